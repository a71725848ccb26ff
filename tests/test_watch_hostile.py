"""The folder watcher against what a hostile or careless share holds (issue 15): links out of the share,
FIFOs, sockets and devices, names that are not UTF-8, writers that pause, libraries that quote values.

Each scenario drops good files beside the bad one and checks that they are coded, that the watcher stops
when asked (the `watching` helper fails if it does not) and that nothing is read through a link. Every
wait is bounded.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dxaparse.names import text_to_path
from dxaparse.read.files import sha256_file
from dxaparse.serve import folders
from dxaparse.serve import watch as watch_module

from ._exams import findings_json
from .conftest import ROOT
from .test_read_hostile import LINK_REASON, SPECIAL
from .test_watch import IN_THIS_PROCESS, record_studies, wait_for, watching
from .test_watch_parts import write_dicom

PDF = ROOT / "samples" / "pdf" / "ge-encore-v16.pdf"


def _reason(failed: Path, name: str) -> str:
    return (failed / f"{name}.error.txt").read_text(encoding="utf-8")


def _outside(tmp_path: Path) -> Path:
    """Another department's folder, next to the share: a valid report that must never be coded here."""
    other = tmp_path / "other-department"
    other.mkdir(exist_ok=True)
    return findings_json(other, "their-report.json", 77)


# -- links ------------------------------------------------------------------------------------------------


def test_a_link_to_a_report_outside_the_share_is_filed_as_a_link_and_never_read(tmp_path):
    theirs = _outside(tmp_path)
    before = theirs.read_bytes()
    with watching(tmp_path) as w:
        (w.inbox / "linked.json").symlink_to(theirs)
        findings_json(w.inbox, "good.json", 1)
        wait_for(lambda: len(w.report.outcomes) == 2, "both handled")
        assert w.names(w.done) == ["good.json"] and w.store.count() == 1
        assert not w.store.has_input(sha256_file(theirs))
        link = w.failed / "linked.json"
        assert link.is_symlink() and os.readlink(link) == str(theirs)  # moved as a link, not copied
        assert _reason(w.failed, "linked.json") == f"linked.json: {LINK_REASON}"
        (failed,) = w.report.status("linked.json")
        assert failed.status == "failed" and failed.sha256 == ""
    assert theirs.read_bytes() == before and not (w.done / "linked.json").exists()


def test_links_to_system_files_fail_alike_saying_nothing_of_their_target(tmp_path):
    with watching(tmp_path) as w:
        for name, target in (("a.json", "/etc/passwd"), ("b.json", "/etc/shadow"), ("c.json", "/nonexistent"),
                             ("d.json", "/etc"), ("e.json", "e.json")):  # the last one loops to itself
            (w.inbox / name).symlink_to(target)
        findings_json(w.inbox, "good.json", 2)
        wait_for(lambda: len(w.report.outcomes) == 6, "all handled")
        assert w.names(w.done) == ["good.json"]
        reasons = {_reason(w.failed, n).split(": ", 1)[1] for n in ("a.json", "b.json", "c.json", "d.json",
                                                                       "e.json")}
        assert reasons == {LINK_REASON}
        assert all((w.failed / n).is_symlink() for n in ("a.json", "b.json", "c.json", "d.json", "e.json"))


def test_a_linked_folder_is_not_entered(tmp_path):
    theirs = _outside(tmp_path)
    with watching(tmp_path, poll=0.1) as w:  # the polling observer must not walk into it either
        (w.inbox / "ward").symlink_to(theirs.parent, target_is_directory=True)
        findings_json(w.inbox, "good.json", 3)
        wait_for(lambda: len(w.report.outcomes) == 2, "both handled")
        time.sleep(0.5)  # a few more polls: nothing from behind the link may turn up
        assert len(w.report.outcomes) == 2 and w.store.count() == 1
        assert (w.failed / "ward").is_symlink() and _reason(w.failed, "ward") == f"ward: {LINK_REASON}"
    assert theirs.exists() and not (tmp_path / "in" / "done" / "ward").exists()


def test_a_folder_swapped_for_a_link_before_its_file_settled_is_not_read_through(tmp_path, caplog):
    theirs = _outside(tmp_path)
    shutil.copy(theirs, theirs.parent / "x.json")
    with watching(tmp_path, settle=1.0) as w:
        (w.inbox / "sub").mkdir()
        findings_json(w.inbox / "sub", "x.json", 4)
        wait_for(lambda: w.watcher.waiting() == 1, "sub/x.json seen")
        (w.inbox / "sub").rename(tmp_path / "away")  # and `sub` becomes a link to the other department
        (w.inbox / "sub").symlink_to(theirs.parent, target_is_directory=True)
        wait_for(lambda: (w.failed / "sub").is_symlink(), "the link filed")
        wait_for(lambda: w.watcher.waiting() == 0 and w.report.outcomes, "sub/x.json dropped, link reported")
        assert w.store.count() == 0 and [o.files[0].name for o in w.report.outcomes] == ["sub"]
    assert sorted(p.name for p in theirs.parent.iterdir()) == ["their-report.json", "x.json"]
    assert "behind a symbolic link" in caplog.text and "sub" not in caplog.text


def test_a_done_folder_placed_elsewhere_by_a_link_is_used_not_filed_away(tmp_path):
    elsewhere = tmp_path / "filed"
    elsewhere.mkdir()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "done").symlink_to(elsewhere, target_is_directory=True)
    with watching(tmp_path) as w:
        findings_json(w.inbox, "good.json", 12)
        wait_for(lambda: w.report.outcomes, "good.json handled")
        assert (elsewhere / "good.json").exists(), "good.json not filed through the link"
        assert (w.inbox / "done").is_symlink() and [o.status for o in w.report.outcomes] == ["coded"]


# -- special files ----------------------------------------------------------------------------------------


def test_fifos_sockets_and_a_link_to_dev_zero_never_hang_the_watcher(tmp_path):
    with watching(tmp_path) as w:
        os.mkfifo(w.inbox / "pipe.pdf")
        (w.inbox / "zero.pdf").symlink_to("/dev/zero")
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(w.inbox / "s.json"))
        findings_json(w.inbox, "good.json", 5)
        try:
            wait_for(lambda: len(w.report.outcomes) == 4, "all handled", timeout=20)
        finally:
            sock.close()
        assert w.names(w.done) == ["good.json"]
        assert _reason(w.failed, "pipe.pdf") == f"pipe.pdf: a FIFO (named pipe){SPECIAL}"
        assert _reason(w.failed, "s.json") == f"s.json: a socket{SPECIAL}"
        assert _reason(w.failed, "zero.pdf") == f"zero.pdf: {LINK_REASON}"
        assert (w.failed / "pipe.pdf").is_fifo() and (w.failed / "s.json").is_socket()


def test_a_fifo_in_the_share_at_start_neither_hangs_once_nor_ignores_sigterm(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    os.mkfifo(inbox / "pipe.pdf")
    (inbox / "zero.dcm").symlink_to("/dev/zero")
    findings_json(inbox, "good.json", 6)
    argv = [sys.executable, "-m", "dxaparse.cli", "watch", str(inbox), "--store", str(tmp_path / "s.sqlite3"),
            "--settle", "0.1"]
    once = subprocess.run([*argv, "--once"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert once.returncode == 2, once.stderr   # --once: inputs failed
    assert "1 coded, 0 duplicate, 2 failed; 0 waiting" in once.stdout
    os.mkfifo(inbox / "pipe2.pdf")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (inbox / "failed" / "pipe2.pdf").exists(), "the second FIFO filed", timeout=30)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "0 coded, 0 duplicate, 1 failed" in out.splitlines()[-1]


def test_a_special_file_that_cannot_be_moved_is_left_and_logged_once(tmp_path, monkeypatch, caplog):
    """failed/ on another file system: a FIFO cannot be moved there without being read. It stays where it
    is, logged once, not taken again until it changes or the watcher restarts."""
    real_link, real_rename = os.link, os.rename

    def cross_device(*_, **__):
        raise OSError(18, "Invalid cross-device link")

    def fifo(src) -> bool:
        return os.path.basename(os.fsdecode(src)) == "pipe.pdf"

    monkeypatch.setattr(folders.os, "link",
                        lambda s, d, **kw: cross_device() if fifo(s) else real_link(s, d, **kw))
    monkeypatch.setattr(folders.os, "rename", lambda s, d: cross_device() if fifo(s) else real_rename(s, d))
    caplog.set_level(logging.INFO)
    with watching(tmp_path, poll=0.1) as w:
        os.mkfifo(w.inbox / "pipe.pdf")
        findings_json(w.inbox, "good.json", 7)
        wait_for(lambda: len(w.report.outcomes) == 2, "both handled")
        time.sleep(1.0)  # ten polls
        assert len(w.report.outcomes) == 2 and (w.inbox / "pipe.pdf").is_fifo()
        assert caplog.text.count("left where it is") == 1 and "pipe.pdf" not in caplog.text
        assert w.names(w.failed) == [] and w.names(w.done) == ["good.json"]


def test_a_file_the_service_may_not_read_is_filed_away_while_the_rest_go_on(tmp_path, monkeypatch):
    """Root reads every file, so the refusal is simulated where the watcher meets it: hashing."""
    real = watch_module.sha256_file

    def denied(path):
        if path.name == "locked.json":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(watch_module, "sha256_file", denied)
    with watching(tmp_path) as w:
        findings_json(w.inbox, "locked.json", 13)
        findings_json(w.inbox, "good.json", 14)
        wait_for(lambda: len(w.report.outcomes) == 2, "both handled")
        assert w.names(w.done) == ["good.json"]
        assert _reason(w.failed, "locked.json") == "locked.json: cannot open: Permission denied\n"


# -- names that are not UTF-8 -----------------------------------------------------------------------------


def _latin1(folder: Path, raw: bytes, content: bytes) -> Path:
    """A file created by its bytes name, as an old client writes it."""
    with open(os.fsencode(folder) + b"/" + raw, "wb") as fh:
        fh.write(content)
    return folder / os.fsdecode(raw)


def test_names_that_are_not_utf8_are_coded_filed_and_stored_losslessly(tmp_path):
    with watching(tmp_path, ocr=False) as w:
        pdf = _latin1(w.inbox, b"Scan-M\xfcller.pdf", PDF.read_bytes())
        good = _latin1(w.inbox, b"Befund-J\xf6rg.json", findings_json(tmp_path, "x.json", 8).read_bytes())
        _latin1(w.inbox, b"Kaputt-\xe9.json", b'{"patient": ')
        (w.inbox / "Bad\\name.json").write_text("[1]")
        wait_for(lambda: len(w.report.outcomes) == 4, "all four handled")
        assert w.names(w.done) == sorted([pdf.name, good.name])
        assert os.path.exists(os.fsencode(w.done) + b"/Scan-M\xfcller.pdf")  # the very bytes name
        failed = w.failed / os.fsdecode(b"Kaputt-\xe9.json")
        assert failed.exists()
        line = (w.failed / os.fsdecode(b"Kaputt-\xe9.json.error.txt")).read_text(encoding="utf-8")
        assert line.startswith("Kaputt-\\xe9.json: not valid JSON")
        assert _reason(w.failed, "Bad\\name.json").startswith("Bad\\\\name.json: ")
        stored = {r.source.sha256: r for r in w.store.iter_results()}
        assert {r.source.path for r in stored.values()} == {
            str(w.inbox) + "/Scan-M\\xfcller.pdf", str(w.inbox) + "/Befund-J\\xf6rg.json"}
        assert {text_to_path(r.source.path).name for r in stored.values()} == {pdf.name, good.name}
        rows = w.store._db.execute("SELECT filed FROM inputs").fetchall()
        assert sorted(text_to_path(f).name for (f,) in rows) == sorted([pdf.name, good.name])
        assert all(text_to_path(f).is_file() for (f,) in rows)


def test_a_late_object_finds_its_study_filed_under_a_name_that_is_not_utf8(tmp_path, monkeypatch):
    calls = record_studies(monkeypatch)  # a stand-in reader: coded in this process, where it is patched
    with watching(tmp_path, study_quiet=0.3, settings=IN_THIS_PROCESS) as w:
        write_dicom(w.inbox / os.fsdecode(b"IM-\xe4"), "1.2.826.0.1.15")
        wait_for(lambda: w.names(w.done) == [os.fsdecode(b"IM-\xe4")], "the study coded and filed")
        write_dicom(w.inbox / "IM-late", "1.2.826.0.1.15")
        wait_for(lambda: len(calls) == 2, "the study re-coded with the late object")
        assert calls[-1] == sorted([os.fsdecode(b"IM-\xe4"), "IM-late"])
        wait_for(lambda: len(w.report.outcomes) == 2, "the late object handled")
        assert len(w.names(w.done)) == 2 and w.report.outcomes[-1].amended and w.names(w.failed) == []


@pytest.mark.parametrize("log_paths", [False, True])
def test_the_command_shows_a_name_that_is_not_utf8_only_when_asked_and_escaped(tmp_path, log_paths):
    inbox = tmp_path / "in"
    inbox.mkdir()
    _latin1(inbox, b"M\xfcller-Hans.json", findings_json(tmp_path, "x.json", 9).read_bytes())
    _latin1(inbox, b"M\xfcller-Eva.json", b"[")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"}
    run = subprocess.run([sys.executable, "-m", "dxaparse.cli", "watch", str(inbox), "--store",
                          str(tmp_path / "s.sqlite3"), "--settle", "0.1", "--once", "--retry-partial", "0",
                          *(["--log-paths"] if log_paths else [])],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 2, run.stderr   # --once: an input failed
    assert "1 coded, 0 duplicate, 1 failed" in run.stdout
    assert ("M\\xfcller-Hans.json" in run.stdout and "M\\xfcller-Eva.json" in run.stdout) is log_paths
    assert ("ller-" in run.stdout + run.stderr) is log_paths


# -- writers that pause -----------------------------------------------------------------------------------


def test_a_writer_pausing_longer_than_settle_has_its_report_coded_not_failed(tmp_path):
    content = PDF.read_bytes()
    with watching(tmp_path, settle=0.3, retry_partial=60, ocr=False) as w:
        target = w.inbox / "slow.pdf"
        with target.open("wb") as fh:
            fh.write(content[: len(content) // 2])
            fh.flush()
            time.sleep(2.0)  # the settle interval passes several times: the half file is read and fails
            assert not w.report.outcomes and w.names(w.failed) == []
            fh.write(content[len(content) // 2:])
        wait_for(lambda: w.report.outcomes, "the completed report handled")
        assert w.names(w.done) == ["slow.pdf"]
        (outcome,) = w.report.outcomes
        assert outcome.status == "coded" and outcome.number == 1 and w.names(w.failed) == []
        assert w.store.has_input(sha256_file(w.done / "slow.pdf"))


def test_a_bad_file_fails_once_it_is_old_and_at_once_when_it_was_old_already(tmp_path):
    with watching(tmp_path, retry_partial=1.5) as w:
        old = w.inbox / "old.json"
        old.write_text("{")
        os.utime(old, (time.time() - 3600, time.time() - 3600))
        wait_for(lambda: "old.json" in w.names(w.failed), "the old bad file failed", timeout=5)
        young = w.inbox / "young.json"
        young.write_text("{")
        seen = time.monotonic()
        wait_for(lambda: len(w.report.outcomes) == 2, "the young bad file failed", timeout=20)
        assert time.monotonic() - seen >= 1.0, "failed at once: not tried again while young"
        assert "young.json" in w.names(w.failed)
        assert [o.status for o in w.report.outcomes] == ["failed", "failed"]
        assert [o.number for o in w.report.outcomes] == [1, 2]


def test_retry_partial_zero_fails_at_once(tmp_path):
    with watching(tmp_path, retry_partial=0) as w:
        (w.inbox / "bad.json").write_text("{")
        wait_for(lambda: "bad.json" in w.names(w.failed), "failed", timeout=5)


def test_a_writer_resuming_during_the_back_off_is_waited_for(tmp_path):
    """The back-off is cut short by a change: the file settles again and is taken once it is still."""
    with watching(tmp_path, settle=0.2, retry_partial=60) as w:
        target = w.inbox / "two-part.json"
        doc = json.dumps({"patient": {"sex": "F", "age_years": 70},
                          "measurements": [{"site": "total_hip", "side": "left", "t_score": -2.7}]})
        stop = threading.Event()

        def writer():
            with target.open("w") as fh:
                fh.write(doc[:20])
                fh.flush()
                stop.wait(1.5)
                fh.write(doc[20:])

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            wait_for(lambda: w.report.outcomes, "coded once complete", timeout=20)
        finally:
            stop.set()
            thread.join()
        assert w.names(w.done) == ["two-part.json"]
        assert [o.status for o in w.report.outcomes] == ["coded"]


# -- what libraries say -----------------------------------------------------------------------------------


def _dicom_quoting(path: Path, uid: str) -> None:
    """A DICOM object whose StudyInstanceUID is invalid for its VR: pydicom warns, quoting it."""
    write_dicom(path, "1.2.840.99999.0")
    path.write_bytes(path.read_bytes().replace(b"1.2.840.99999.0", uid.encode()))


@pytest.mark.parametrize("verbose", [[], ["-v"], ["-vv"]])
def test_library_warnings_reach_stderr_without_their_values(tmp_path, verbose):
    inbox = tmp_path / "in"
    inbox.mkdir()
    uid = "1.2.840.7QX7.7"
    _dicom_quoting(inbox / "IM1", uid)
    run = subprocess.run([sys.executable, "-m", "dxaparse.cli", *verbose, "watch", str(inbox), "--store",
                          str(tmp_path / "s.sqlite3"), "--settle", "0.1", "--study-quiet", "0.1", "--once",
                          "--retry-partial", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr   # --once: the object failed
    assert (uid in run.stdout + run.stderr) is (verbose == ["-vv"])
    assert ("withheld" in run.stderr) is (verbose == ["-v"])
