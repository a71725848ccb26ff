"""Running the services (issue 16): what `pacs` prints per study and when it stops, JSON log records,
`dxaparse status` as a health check, `watch --once`'s exit status, the PDF password kept out of `ps`,
and the reason given for an object whose study another entry point coded."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from dxaparse.emit.store import Store
from dxaparse.serve.mllp import Outbox

from ._exams import exam, findings_json
from ._pacs import Hook, hologic_sr, save, send, site_config, wait_for
from ._pdf import draw
from .conftest import ROOT
from .test_pdf_bad import hologic_page


def _records(stderr: str) -> list[dict]:
    """Every stderr line must be one JSON object."""
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


# -- dxaparse pacs: a line per study, counts when it stops --------------------------------------------


def test_pacs_prints_one_line_per_study_without_v_and_the_counts_when_it_stops(tmp_path):
    hook = Hook(tmp_path / "hook", "--config", str(site_config(tmp_path)), quiet=0.5, verbose=False)
    with hook:
        assert send(hook.port, [hologic_sr("1.2.826.0.1.3680043.8.498.701")]) == [0x0000]
        empty = hologic_sr("1.2.826.0.1.3680043.8.498.702")
        empty.ContentSequence = []  # an SR without results: the study fails
        assert send(hook.port, [empty]) == [0x0000]
        wait_for(lambda: hook.settled() and hook.log_text().count("\n#") == 2, 60, "two lines")
    [result] = hook.results()
    lines = hook.log_text().splitlines()
    coded = [line for line in lines if line.startswith("#") and " coded " in line]
    failed = [line for line in lines if line.startswith("#") and " failed: " in line]
    assert len(coded) == len(failed) == 1
    assert coded[0].split()[1] == result.source.sha256[:12]  # the exam's hash: its export files' name
    assert "77080" in coded[0] and "PACS-TEST-1" not in hook.log_text()
    assert lines[-1] == "dxaparse pacs: stopped; 1 coded, 0 duplicate, 1 failed; 0 waiting"


# -- --log-format json ------------------------------------------------------------------------------------


def test_watch_logs_json_records_with_the_exams_hash_and_status(tmp_path, cli):
    inbox = tmp_path / "in"
    inbox.mkdir()
    findings_json(inbox, "DOE_JANE.json", 3)
    (inbox / "SMITH.json").write_text("[1]")
    run = cli("watch", str(inbox), "--store", str(tmp_path / "s.sqlite3"), "--settle", "0.1", "--once",
              "--retry-partial", "0", "--log-format", "json")
    assert run.code == 2, run.err
    records = _records(run.err)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    by_status = {r["status"]: r for r in records if r["logger"] == "dxaparse.outcomes"}
    [stored] = Store(tmp_path / "s.sqlite3").iter_results()
    assert by_status["coded"]["sha256"] == stored.source.sha256 and by_status["coded"]["level"] == "INFO"
    assert by_status["coded"]["cpt"] == [c.code for c in stored.coding.cpt]
    assert by_status["failed"]["reason"] and len(by_status["failed"]["sha256"]) == 64
    assert "DOE" not in run.err and "SMITH" not in run.err


def test_batch_and_code_log_json_records(tmp_path, cli):
    tree = tmp_path / "tree"
    tree.mkdir()
    findings_json(tree, "a.json", 4)
    (tree / "b.json").write_text('{"patient": {"sex": "F"}, "x_other": 1, "measurements": []}')
    run = cli("batch", str(tree), "--store", str(tmp_path / "s.sqlite3"), "--jobs", "1",
              "--log-format", "json")
    assert run.code == 0, run.err
    outcomes = [r for r in _records("\n".join(line for line in run.err.splitlines() if line.startswith("{")))
                if r["logger"] == "dxaparse.outcomes"]
    assert sorted(r["status"] for r in outcomes) == ["coded", "coded"]
    code = cli("code", str(tree / "b.json"), "--log-format", "json")
    [warning] = _records(code.err)
    assert warning["level"] == "WARNING" and "ignored unknown fields: x_other" in warning["message"]


# -- watch --once -------------------------------------------------------------------------------------------


def test_watch_once_exits_2_when_an_input_failed_and_0_when_none_did(tmp_path, cli):
    inbox = tmp_path / "in"
    inbox.mkdir()
    findings_json(inbox, "good.json", 5)
    argv = ["watch", str(inbox), "--store", str(tmp_path / "s.sqlite3"), "--settle", "0.1", "--once",
            "--retry-partial", "0"]
    assert cli(*argv).code == 0
    (inbox / "bad.pdf").write_bytes(b"%PDF-1.4 nothing")
    run = cli(*argv)
    assert run.code == 2 and "0 coded, 0 duplicate, 1 failed" in run.out


# -- the PDF password ---------------------------------------------------------------------------------------


@pytest.fixture
def encrypted(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    return draw(folder / "locked.pdf", hologic_page, encrypt="s3cret")


ENV = "DXAPARSE_PDF_PASSWORD"


def _code(encrypted, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dxaparse.cli", "code", str(encrypted), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None})


def test_password_from_a_file_or_the_environment_with_the_flag_first(tmp_path, encrypted):
    secret = tmp_path / "pdf-password"
    secret.write_text("s3cret\n")  # an editor's newline is no part of it
    wrong = tmp_path / "wrong"
    wrong.write_text("guess\n")
    unset = {"DXAPARSE_PDF_PASSWORD": None}
    assert _code(encrypted, env=unset).returncode == 2
    assert _code(encrypted, "--password-file", str(secret), env=unset).returncode == 0
    assert _code(encrypted, env={"DXAPARSE_PDF_PASSWORD": "s3cret"}).returncode == 0
    # flag > file > environment
    assert _code(encrypted, "--password-file", str(secret), env={ENV: "guess"}).returncode == 0
    assert _code(encrypted, "--password-file", str(wrong), env={ENV: "s3cret"}).returncode == 2
    assert _code(encrypted, "--password", "s3cret", "--password-file", str(wrong)).returncode == 0


def test_a_missing_password_file_is_one_clear_line(tmp_path, encrypted):
    run = _code(encrypted, "--password-file", str(tmp_path / "nope"))
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == (f"dxaparse: --password-file {tmp_path / 'nope'}: cannot read it: "
                                  "No such file or directory")


def test_watch_and_batch_read_encrypted_reports_with_the_password_file(tmp_path, encrypted, cli):
    secret = tmp_path / "pdf-password"
    secret.write_text("s3cret")
    batch = cli("batch", str(encrypted.parent), "--store", str(tmp_path / "b.sqlite3"), "--jobs", "1",
                "--password-file", str(secret))
    assert batch.code == 0, batch.err
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(encrypted, inbox / "locked.pdf")
    watch = cli("watch", str(inbox), "--store", str(tmp_path / "w.sqlite3"), "--settle", "0.1", "--once",
                "--password-file", str(secret))
    assert watch.code == 0 and " coded " in watch.out, watch.out + watch.err


# -- an object whose study another entry point coded ---------------------------------------------------


def test_an_object_of_a_study_the_pacs_hook_coded_is_told_apart_from_one_moved_out_of_done(tmp_path):
    study = "1.2.826.0.1.3680043.8.498.711"
    hook = Hook(tmp_path / "hook", quiet=0.5)
    with hook:
        assert send(hook.port, [hologic_sr(study)]) == [0x0000]
        [coded] = hook.wait_results(1)
    inbox = tmp_path / "in"
    inbox.mkdir()
    save(hologic_sr(study, spine_t=-1.0), inbox, "IM-again")  # the study again, from the PACS's export
    run = subprocess.run([sys.executable, "-m", "dxaparse.cli", "watch", str(inbox), "--store",
                          str(hook.store), "--settle", "0.1", "--study-quiet", "0.2", "--once",
                          "--retry-partial", "0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    reason = (inbox / "failed" / "IM-again.error.txt").read_text()
    assert f"already coded (in the store as {coded.source.sha256})" in reason
    assert "received another way (the PACS hook" in reason and "put them back" not in reason


# -- dxaparse status -----------------------------------------------------------------------------------------


def _age(path, minutes: float) -> None:
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_status_of_a_healthy_store(tmp_path, cli):
    store = tmp_path / "s.sqlite3"
    with Store(store) as s:
        s.add(exam(1))
        s.add(exam(2))
    run = cli("status", "--store", str(store), "--json")
    assert run.code == 0, run.out
    doc = json.loads(run.out)
    assert doc["healthy"] and doc["problems"] == [] and doc["coded_last_day"] == 2
    assert doc["last_coded_sha256"] == exam(2).source.sha256 and doc["outbox"] is None
    text = cli("status", "--store", str(store))
    assert text.code == 0 and f"last coded:     {doc['last_coded_at']} {exam(2).source.sha256}" in text.out
    assert text.out.rstrip().endswith("healthy")


def test_status_is_unhealthy_for_a_stuck_outbox_old_waiting_work_and_failures(tmp_path, cli):
    store = tmp_path / "s.sqlite3"
    with Store(store) as s:
        s.add(exam(1))
    outbox = Outbox(store.with_name(store.name + ".mllp-outbox"))
    outbox.put("dft", "MSH|^~\\&|DXAPARSE|SITE|BILL|SITE|20260302||DFT^P03|CTL1|P|2.5.1\r")
    outbox.close()
    db = sqlite3.connect(store.with_name(store.name + ".mllp-outbox"))
    db.execute("UPDATE outbox SET queued_at = ?", (time.time() - 40 * 60,))
    db.commit()
    db.close()
    spool = tmp_path / "spool"
    (spool / "incoming" / "1.2.3").mkdir(parents=True)
    (spool / "failed").mkdir()
    _age(save(hologic_sr("1.2.3"), spool / "incoming" / "1.2.3", "a.dcm"), 90)
    watch = tmp_path / "share"
    (watch / "failed").mkdir(parents=True)
    for n in range(3):
        (watch / "failed" / f"r{n}.pdf.error.txt").write_text("r.pdf: not a DXA report\n")
    (watch / "failed" / "old.pdf.error.txt").write_text("old.pdf: not a DXA report\n")
    _age(watch / "failed" / "old.pdf.error.txt", 2 * 24 * 60)
    (watch / "new.pdf").write_bytes(b"%PDF")
    run = cli("status", "--store", str(store), "--spool", str(spool), "--watch", str(watch), "--max-failures",
              "2", "--json")
    assert run.code == 1
    doc = json.loads(run.out)
    assert doc["outbox_pending"] == 1 and doc["outbox_oldest_minutes"] >= 40
    assert doc["spool_waiting"]["count"] == 1 and doc["spool_waiting"]["oldest_minutes"] >= 90
    assert doc["watch_waiting"]["count"] == 1 and doc["failures_last_day"] == 3
    problems = " | ".join(doc["problems"])
    assert "MLLP outbox" in problems and "in the spool waiting" in problems
    assert "3 input(s) failed" in problems
    assert "watched folder" not in problems  # its file is new
    text = cli("status", "--store", str(store), "--spool", str(spool))
    assert text.code == 1 and text.out.count("UNHEALTHY: ") == 2


def test_status_without_a_store_is_unhealthy(tmp_path, cli):
    run = cli("status", "--store", str(tmp_path / "none.sqlite3"))
    assert run.code == 1 and f"UNHEALTHY: no store at {tmp_path / 'none.sqlite3'}" in run.out
    assert not (tmp_path / "none.sqlite3").exists()
