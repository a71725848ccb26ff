"""The PACS hook against hostile peers and poison studies (issue 15): connections that never negotiate,
a study that takes too long to code, and SIGTERM while one is being coded. All traffic on 127.0.0.1."""

from __future__ import annotations

import contextlib
import signal
import socket
import time

import pytest
from pydicom.uid import generate_uid

from ._pacs import SITE_NO_LIMIT, Hook, echo, encapsulated_pdf, hologic_sr, send, site_config, wait_for
from ._poison import dense_pdf

pytestmark = pytest.mark.slow


def test_idle_and_half_sent_connections_cannot_lock_out_the_hook(tmp_path):
    """40 silent connections, ten times --max-associations (half of them sending half a PDU header and
    stalling), hold their slots for the ACSE timeout only: a real C-ECHO gets through within seconds.
    (A small limit, so that the hook is surely full however slowly a busy machine accepts them.)"""
    with Hook(tmp_path, "--max-associations", "4") as hook, contextlib.ExitStack() as held:
        for n in range(40):
            sock = held.enter_context(socket.create_connection(("127.0.0.1", hook.port)))
            if n % 2:
                sock.sendall(b"\x01\x00")  # an A-ASSOCIATE-RQ header cut short: the reader blocks on it
        wait_for(lambda: echo(hook.port) is None, 10, "the idle connections to fill the hook")
        start = time.monotonic()
        wait_for(lambda: echo(hook.port) == 0x0000, 15, "a C-ECHO to succeed", interval=0.5)
        assert time.monotonic() - start < 12
        assert "rejected: more than 4 associations at once" in hook.log_text()


def _warm_up(hook: Hook) -> None:
    """Code one study, so that the fork server is running: its start (a second or more on a busy
    machine) is no part of what the tests time."""
    assert send(hook.port, [hologic_sr(generate_uid())]) == [0x0000]
    hook.wait_results(1, timeout=30)


def test_a_poison_study_is_refused_at_the_time_limit_while_a_good_one_is_coded_at_once(tmp_path):
    """A report that takes ~20 s to read, then a good study: the good one is coded on the other worker
    while the poison runs into the time limit, and the poison is refused naming the limit."""
    config = site_config(tmp_path / "etc", SITE_NO_LIMIT + "seconds_per_input = 3\n")
    poison, good = generate_uid(), generate_uid()
    pdf = dense_pdf(tmp_path / "dense.pdf", 9000).read_bytes()
    with Hook(tmp_path / "hook", "--config", str(config)) as hook:
        _warm_up(hook)
        assert send(hook.port, [encapsulated_pdf(poison, pdf)]) == [0x0000]
        assert send(hook.port, [hologic_sr(good)]) == [0x0000]
        sent = time.monotonic()
        results = hook.wait_results(2, timeout=30)
        coded = time.monotonic() - sent
        assert results[-1].exam.study_uid == good
        assert coded < hook.quiet + 4, f"the good study waited {coded:.1f} s"
        note = hook.spool / "failed" / f"{poison}.error.txt"
        wait_for(note.exists, 20, "the poison study to be refused")
        assert note.read_text() == "over the time limit of 3 s (setting seconds_per_input)\n"
        assert time.monotonic() - sent < hook.quiet + 8
        assert len(list((hook.spool / "failed" / poison).glob("*.dcm"))) == 1


def test_sigterm_while_a_slow_study_is_coded_stops_within_seconds_and_the_study_waits_for_the_next_start(
        tmp_path):
    config = site_config(tmp_path / "etc")  # the default limit of 120 s: the study is being coded
    study = generate_uid()
    pdf = dense_pdf(tmp_path / "dense.pdf", 6000).read_bytes()
    hook = Hook(tmp_path / "hook", "--config", str(config)).start()
    try:
        _warm_up(hook)
        assert send(hook.port, [encapsulated_pdf(study, pdf)]) == [0x0000]
        time.sleep(hook.quiet + 2)  # quiet, then well into its ~14 s of reading
        hook.proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        hook.proc.wait(30)
        stopped = time.monotonic() - start
    finally:
        hook.stop()
    assert hook.proc.returncode == 0
    assert stopped < 5, f"SIGTERM took {stopped:.1f} s"
    assert "left in incoming/ for the next start (stopping)" in hook.log_text()
    assert len(list((hook.spool / "incoming" / study).glob("*.dcm"))) == 1
    assert not (hook.spool / "failed" / study).exists() and len(hook.results()) == 1

    site_config(tmp_path / "etc", SITE_NO_LIMIT + "seconds_per_input = 2\n")
    with Hook(tmp_path / "hook", "--config", str(config)) as again:  # the next start codes it
        note = again.spool / "failed" / f"{study}.error.txt"
        wait_for(note.exists, 20, "the study to be coded again, and refused at the new limit")
        assert "over the time limit of 2 s" in note.read_text()
