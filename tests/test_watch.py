"""The folder watcher with a real observer, real files and real processes (issue 6's test list).

Waits poll for a condition with a generous bound (CI machines are small and busy); no sleep is an
assertion.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dxaparse.code import CodingSettings, load_settings
from dxaparse.emit.store import Store
from dxaparse.names import path_to_text
from dxaparse.read.files import sha256_file, sha256_of_hashes
from dxaparse.serve import watch as watch_module
from dxaparse.serve.settle import study_uid
from dxaparse.serve.sink import ResultSink
from dxaparse.serve.watch import Outcome, Watcher, WatchOptions
from dxaparse.unit import Outcome as Coded
from dxaparse.unit import RunOptions

from ._exams import exam, findings_json
from .conftest import ROOT
from .test_watch_parts import write_dicom


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Collect:
    outcomes: list[Outcome] = field(default_factory=list)

    def outcome(self, o: Outcome) -> None:
        self.outcomes.append(o)

    def summary(self, counts, waiting) -> None:
        pass

    def status(self, name: str) -> list[Outcome]:
        return [o for o in self.outcomes if any(p.name == name for p in o.files)]


@dataclass
class Running:
    inbox: Path
    store: Store
    report: Collect
    watcher: Watcher

    @property
    def done(self) -> Path:
        return self.inbox / "done"

    @property
    def failed(self) -> Path:
        return self.inbox / "failed"

    def names(self, folder: Path) -> list[str]:
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.exists() else []


IN_THIS_PROCESS = CodingSettings(seconds_per_input=0, memory_per_worker_mb=0)
"""Without limits the watcher codes in its own thread, where a reader replaced by the test is seen (under
limits it codes in a child process, which imports the real one)."""


@contextmanager
def watching(tmp_path: Path, out_dir: Path | None = None, formats=(), settings: CodingSettings | None = None,
             **options):
    """A watcher on tmp_path/in, in a thread. A bad input fails at once (`retry_partial` 0) unless a
    test asks for the retry of partial files."""
    inbox = tmp_path / "in"
    inbox.mkdir(exist_ok=True)
    report = Collect()
    run = RunOptions(settings or load_settings(None), ocr=options.pop("ocr", True))
    with Store(tmp_path / "store.sqlite3") as store:
        watcher = Watcher(WatchOptions(root=inbox, **{"settle": 0.2, "retry_partial": 0, **options}),
                          run, ResultSink(store, out_dir, formats), report)
        thread = threading.Thread(target=watcher.run, name="watcher", daemon=True)
        thread.start()
        try:
            assert watcher.started.wait(60), "the watcher did not start"
            yield Running(inbox, store, report, watcher)
        finally:
            watcher.stop()
            thread.join(60)
        assert not thread.is_alive(), "the watcher did not stop"


def record_studies(monkeypatch) -> list[list[str]]:
    """Replace the DICOM reader by one that codes a study's files as one exam and records which files
    each call was given (grouping tests need no real DXA content)."""
    calls: list[list[str]] = []

    def fake_run_unit(unit, options, isolator):
        calls.append(sorted(p.name for p in unit.paths))
        sha = sha256_of_hashes([sha256_file(p) for p in unit.paths])
        # as result_of does
        source = {"path": path_to_text(unit.paths[0]), "kind": "dicom-study", "sha256": sha}
        result = exam(len(calls), source=source)
        result.exam.study_uid = study_uid(unit.paths[0])
        return Coded.of(unit, [result])

    monkeypatch.setattr(watch_module, "run_unit", fake_run_unit)
    return calls


def test_half_written_file_is_not_taken_until_complete(tmp_path):
    with watching(tmp_path, settle=2.0) as w:
        target = w.inbox / "slow.json"
        finish = threading.Event()

        def writer():  # a slow network copy: bytes keep coming, far apart from complete JSON
            with target.open("w") as fh:
                fh.write('{"patient": {"sex": "F", "age_years": 70}, "indications": ["')
                while not finish.is_set():
                    fh.write("x")
                    fh.flush()
                    time.sleep(0.05)
                fh.write('"], "measurements": [{"site": "total_hip", "side": "left", "t_score": -2.7}]}')

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            for n in range(2):  # two complete files dropped meanwhile are taken while slow.json is not
                findings_json(w.inbox, f"quick{n}.json", n)
                wait_for(lambda n=n: f"quick{n}.json" in w.names(w.done), f"quick{n}.json coded")
            assert target.exists() and not w.report.status("slow.json")
            assert thread.is_alive(), "the writer stopped early: the test proves nothing"
        finally:
            finish.set()
            thread.join()
        wait_for(lambda: w.report.status("slow.json"), "slow.json coded once complete")
        (outcome,) = w.report.status("slow.json")
        assert outcome.status == "coded" and w.names(w.failed) == []
        assert outcome.results[0].coding.category.value == "osteoporosis"


def test_temp_names_wait_for_the_rename_which_is_taken_at_once(tmp_path):
    with watching(tmp_path, settle=600) as w:  # so long that only a rename can explain a take
        part = findings_json(w.inbox, "a.json.part", 1)
        sentinel = findings_json(w.inbox, ".b.tmp", 2)
        sentinel.rename(w.inbox / "b.json")
        wait_for(lambda: "b.json" in w.names(w.done), "renamed b.json coded")
        assert part.exists() and not w.report.status("a.json.part")
        part.rename(w.inbox / "a.json")
        wait_for(lambda: len(w.report.outcomes) == 2, "renamed a.json coded")
        assert "a.json" in w.names(w.done)
        assert [o.status for o in w.report.outcomes] == ["coded", "coded"]


def test_thousand_files_dropped_at_once_are_all_coded_exactly_once(tmp_path):
    started = time.monotonic()
    with watching(tmp_path, settle=0.5) as w:
        names = [f"r{n:04d}.json" for n in range(1000)]
        for n, name in enumerate(names):
            findings_json(w.inbox, name, n)
        wait_for(lambda: len(w.report.outcomes) == 1000, "1000 inputs handled", timeout=120)
        assert w.store.count() == 1000 and not any(w.inbox.glob("*.json"))
        assert w.names(w.done) == names
        assert [o.status for o in w.report.outcomes] == ["coded"] * 1000
        assert len({o.sha256 for o in w.report.outcomes}) == 1000
        assert sorted(p.name for o in w.report.outcomes for p in o.files) == names
    assert time.monotonic() - started < 120


def test_bad_files_land_in_failed_with_their_reason_while_the_rest_go_on(tmp_path):
    with watching(tmp_path) as w:
        (w.inbox / "garbage.pdf").write_bytes(b"\x00\x01 not a report")
        (w.inbox / "empty.json").write_bytes(b"")
        (w.inbox / "broken.json").write_text('{"patient": ')
        (w.inbox / "misspelt.json").write_text('{"measurements": [{"site": "total_hip", "T score": -2.8}]}')
        (w.inbox / "bundle.json").write_text('{"resourceType": "Bundle", "type": "collection"}')
        for n in range(5):
            findings_json(w.inbox, f"good{n}.json", n)
        wait_for(lambda: len(w.report.outcomes) == 10, "10 inputs handled")
        assert w.names(w.done) == [f"good{n}.json" for n in range(5)]
        bad = ("garbage.pdf", "empty.json", "broken.json", "misspelt.json", "bundle.json")
        assert w.names(w.failed) == sorted([*bad, *(f"{n}.error.txt" for n in bad)])
        reasons = {n: (w.failed / f"{n}.error.txt").read_text() for n in bad}
        assert reasons["garbage.pdf"] == "garbage.pdf: not a DICOM object, PDF report or findings JSON\n"
        assert reasons["empty.json"].startswith("empty.json: empty file")
        assert reasons["broken.json"].startswith("broken.json: not valid JSON")
        assert reasons["misspelt.json"] == ("misspelt.json: unknown field 'T score' in measurements[0]; "
                                            "did you mean 't_score'?\n")
        assert reasons["bundle.json"] == "bundle.json: a FHIR Bundle resource, not dxaparse findings\n"
        assert all(text.count("\n") == 1 for text in reasons.values())
        assert w.store.count() == 5


def test_same_content_dropped_twice_is_stored_once(tmp_path):
    out = tmp_path / "out"
    with watching(tmp_path, out_dir=out, formats=["hl7"]) as w:
        first = findings_json(w.inbox, "a.json", 7)
        content = first.read_bytes()
        wait_for(lambda: "a.json" in w.names(w.done), "a.json coded")
        (w.inbox / "copy-of-a.json").write_bytes(content)
        wait_for(lambda: "copy-of-a.json" in w.names(w.done), "the copy filed")
        (w.inbox / "a.json").write_bytes(content)  # same name again: filed beside, never over
        wait_for(lambda: len(w.report.outcomes) == 3, "the second a.json handled")
        assert "a-1.json" in w.names(w.done)
        assert [o.status for o in w.report.outcomes] == ["coded", "duplicate", "duplicate"]
        assert w.store.count() == 1
        assert len(list((out / "hl7").iterdir())) == 1  # one charge message, not three


def test_polling_mode_works(tmp_path, monkeypatch):
    made = []
    real = watch_module.PollingObserverVFS
    monkeypatch.setattr(watch_module, "PollingObserverVFS",
                        lambda *args, **kw: made.append((args, kw)) or real(*args, **kw))
    with watching(tmp_path, poll=0.2) as w:
        for n in range(20):
            findings_json(w.inbox, f"p{n}.json", n)
        sub = w.inbox / "ward-3"
        sub.mkdir()
        findings_json(sub, "deep.json", 99)
        # a file is moved to done/ after its result is committed: wait for the move, then count
        wait_for(lambda: len(w.names(w.done)) == 20 and w.names(w.done / "ward-3") == ["deep.json"],
                 "20 files and one in a sub-folder coded via polling and filed")
        assert w.store.count() == 21
    assert made == [((os.lstat, os.scandir), {"polling_interval": 0.2})]  # lstat: links not followed


def test_dicom_objects_of_one_study_are_coded_together_once_quiet(tmp_path, monkeypatch):
    """Grouping only: the DICOM reader is replaced by one that reports which files it was given."""
    calls = record_studies(monkeypatch)
    with watching(tmp_path, study_quiet=3.0, settings=IN_THIS_PROCESS) as w:
        write_dicom(w.inbox / "A1", "1.2.826.0.1.1")
        write_dicom(w.inbox / "A2", "1.2.826.0.1.1")
        write_dicom(w.inbox / "B1", "1.2.826.0.1.2")
        wait_for(lambda: w.watcher._groups.items() == 3, "three objects waiting in their studies")
        write_dicom(w.inbox / "A3", "1.2.826.0.1.1")  # the study is not quiet yet: A3 joins it
        wait_for(lambda: len(calls) == 2, "both studies coded")
        wait_for(lambda: len(w.names(w.done)) == 4, "all objects filed")
        assert sorted(calls) == [["A1", "A2", "A3"], ["B1"]]
        assert w.store.count() == 2
        assert w.store.has_input(sha256_file(w.done / "A2"))
        write_dicom(w.inbox / "B2", "1.2.826.0.1.2")  # a late object: its study is re-coded whole
        wait_for(lambda: len(calls) == 3, "late object coded")
        assert calls[-1] == ["B1", "B2"]
        wait_for(lambda: len(w.report.outcomes) == 3, "late object handled")
        assert len(w.names(w.done)) == 5 and w.report.outcomes[-1].amended and w.store.count() == 3


def test_a_dicom_study_dropped_object_by_object_is_coded_once_as_one_exam(tmp_path):
    """The real DICOM reader: the two image objects of a sample study give the exam `dxaparse code`
    gives for their folder (same content hash: it does not depend on file names or order)."""
    sample = ROOT / "samples" / "dicom" / "hologic-images-spine-hip"
    expected = json.loads(sample.with_name(sample.name + ".expected.json").read_text())
    with watching(tmp_path, study_quiet=1.0) as w:
        shutil.copy(sample / "spine.dcm", w.inbox / "IM0001")
        shutil.copy(sample / "hip.dcm", w.inbox / "IM0002")
        wait_for(lambda: w.report.outcomes, "the study handled")  # reported once both are filed
        assert len(w.names(w.done)) == 2
        (outcome,) = w.report.outcomes
        assert outcome.status == "coded" and sorted(p.name for p in outcome.files) == ["IM0001", "IM0002"]
        (result,) = outcome.results
        assert result.source.sha256 == expected["source"]["sha256"]
        assert result.exam.study_uid == expected["exam"]["study_uid"]
        assert [c.code for c in result.coding.cpt] == [c["code"] for c in expected["coding"]["cpt"]]
        shutil.copy(sample / "hip.dcm", w.inbox / "resent-hip")  # a re-sent object is already stored
        wait_for(lambda: len(w.report.outcomes) == 2, "re-sent object handled")
        assert w.report.outcomes[1].status == "duplicate" and w.store.count() == 1


def test_a_late_object_makes_its_study_re_coded_whole_as_an_amended_result(tmp_path, cli):
    """The real DICOM reader: four objects of a study are coded, then the VFA object arrives late. The
    study is re-coded with the four from done/ — the amended result is the one `dxaparse code` gives for
    the whole study — never as a partial exam of the late object. The sample exam is years old, so each
    result is held (outside the filing window): its hl7 export holds preliminary results only. Once the
    first result was released and billed, releasing the amended one credits the first charge (the codes
    changed) before posting the new one, and corrects the results."""
    sample = ROOT / "samples" / "dicom" / "hologic-study-sr-iva"
    expected = json.loads(sample.with_name(sample.name + ".expected.json").read_text())
    uid = expected["exam"]["study_uid"]
    out = tmp_path / "out"
    with watching(tmp_path, out_dir=out, formats=("hl7", "json"), study_quiet=1.0) as w:
        (w.inbox / "ward").mkdir()
        for name in ("sr.dcm", "spine.dcm", "hip.dcm", "iva-ps.dcm"):
            shutil.copy(sample / name, w.inbox / "ward" / name)
        wait_for(lambda: len(w.names(w.done / "ward")) == 4, "the first objects filed")
        (first,) = w.store.iter_results()
        assert [c.code for c in first.coding.cpt] == ["77080"] and first.exam.study_uid == uid
        assert first.billing.status == "held"
        run = cli("release", "--store", str(w.store.path), first.source.sha256, "--by", "coder1",
                  "--out-dir", str(out))
        assert run.code == 0, run.err

        shutil.copy(sample / "iva.dcm", w.inbox / "IM-late")  # another folder: the study UID decides
        wait_for(lambda: len(w.report.outcomes) == 2, "the late object coded")
        outcome = w.report.outcomes[1]
        assert outcome.status == "coded" and outcome.amended
        assert [p.name for p in outcome.files] == ["IM-late"]
        assert w.names(w.done / "ward") == ["hip.dcm", "iva-ps.dcm", "spine.dcm", "sr.dcm"]
        assert w.names(w.done) == ["IM-late"] and not w.failed.exists()

        results = list(w.store.iter_results())
        assert [r.exam.study_uid for r in results] == [uid, uid]  # the first result and one amended
        amended = results[1]
        assert amended.source.sha256 == expected["source"]["sha256"]  # the hash of all five objects
        assert [c.code for c in amended.coding.cpt] == [c["code"] for c in expected["coding"]["cpt"]]
        assert w.store.latest(uid).source.sha256 == amended.source.sha256
        late_alone = sha256_of_hashes([sha256_file(w.done / "IM-late")])
        assert not w.store.has(late_alone)
        assert set(w.store.study_inputs(uid)) == {sha256_file(p) for p in w.done.rglob("*") if p.is_file()}

        assert amended.billing.status == "held"
        hl7 = (out / "hl7" / f"{amended.source.sha256}.hl7").read_bytes().decode().split("\n")
        assert [m.split("|")[8].split("^")[:2] for m in hl7 if m] == [["ORU", "R01"]]
        assert "|P\r" in hl7[0] + "\r" and "FT1" not in hl7[0]
        run = cli("release", "--store", str(w.store.path), amended.source.sha256, "--out-dir", str(out))
        assert run.code == 0, run.err
        released = (out / "hl7" / f"{amended.source.sha256}.release.hl7").read_bytes().decode()
        released = [m for m in released.split("\n") if m]
        assert [m.split("|")[8].split("^")[:2] for m in released] == [["DFT", "P03"]] * 2 + [["ORU", "R01"]]
        credit, charge, oru = released
        assert "|CD|" in credit and "77080" in credit and "77085" in charge and "|C\r" in oru + "\r"
        assert sorted(p.name for p in (out / "json").iterdir()) == sorted(
            f"{r.source.sha256}.json" for r in results)

        shutil.copy(sample / "iva.dcm", w.inbox / "IM-late-again")  # re-sent: only filed
        wait_for(lambda: len(w.report.outcomes) == 3, "the re-sent object handled")
        assert w.report.outcomes[2].status == "duplicate" and w.store.count() == 2


def test_a_crash_between_storing_an_amended_result_and_filing_the_late_object_loses_nothing(
        tmp_path, monkeypatch):
    sample = ROOT / "samples" / "dicom" / "hologic-study-sr-iva"
    uid = json.loads(sample.with_name(sample.name + ".expected.json").read_text())["exam"]["study_uid"]
    with watching(tmp_path, study_quiet=0.5) as w:
        for name in ("sr.dcm", "spine.dcm", "hip.dcm", "iva-ps.dcm"):
            shutil.copy(sample / name, w.inbox / name)
        wait_for(lambda: len(w.names(w.done)) == 4, "the first objects filed")
    inbox = tmp_path / "in"
    shutil.copy(sample / "iva.dcm", inbox / "IM-late")
    with Store(tmp_path / "store.sqlite3") as store:  # the late object's run dies after the commit
        watcher = Watcher(WatchOptions(root=inbox), RunOptions(load_settings(None)), ResultSink(store),
                          Collect())

        def killed(*_):
            raise RuntimeError("kill -9")

        monkeypatch.setattr(watch_module, "move_unique", killed)
        with pytest.raises(RuntimeError, match="kill -9"):
            watcher._code([inbox / "IM-late"], study=uid)
        monkeypatch.undo()
        assert store.count() == 2 and (inbox / "IM-late").exists()
    with watching(tmp_path, study_quiet=0.5, once=True) as w:  # the restart only files it
        wait_for(lambda: len(w.names(w.done)) == 5, "the late object filed")
        wait_for(lambda: len(w.report.outcomes) == 1, "its outcome")
        assert w.report.outcomes[0].status == "duplicate" and w.store.count() == 2
        assert all(Path(p).is_file() for p in w.store.study_inputs(uid).values())


def test_a_late_object_whose_study_objects_left_done_fails_with_the_reason(tmp_path, monkeypatch):
    """Never a partial exam: without the study's coded objects the late one waits in failed/; put back
    with them, it is re-coded with them, found in done/ by header although filed under other names."""
    calls = record_studies(monkeypatch)
    with watching(tmp_path, study_quiet=0.5, settings=IN_THIS_PROCESS) as w:
        write_dicom(w.inbox / "A1", "1.2.826.0.1.7")
        wait_for(lambda: w.names(w.done) == ["A1"], "the study coded")
        (w.done / "A1").rename(tmp_path / "A1")  # someone tidies done/
        write_dicom(w.inbox / "A2", "1.2.826.0.1.7")
        wait_for(lambda: "A2.error.txt" in w.names(w.failed), "the late object failed")
        assert "not in done/" in (w.failed / "A2.error.txt").read_text()
        assert calls == [["A1"]] and w.store.count() == 1

        shutil.move(tmp_path / "A1", w.inbox / "old-A1")  # put back under another name, with A2
        shutil.move(w.failed / "A2", w.inbox / "A2")
        wait_for(lambda: len(calls) == 2, "the study re-coded")
        assert calls[-1] == ["A2", "old-A1"]
        wait_for(lambda: any(o.amended and o.status == "coded" for o in w.report.outcomes),
                 "the re-coded study handled")
        assert w.names(w.done) == ["A2", "old-A1"]
        assert w.store.count() == 2 and w.report.outcomes[-1].amended


# -- the command, as a process --------------------------------------------------------------------------


def _start(inbox: Path, store: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dxaparse.cli", "watch", str(inbox), "--store", str(store),
                             "--settle", "0.2", "--retry-partial", "0", *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stored(store: Path) -> list[str]:
    with Store(store) as s:
        return [r.source.sha256 for r in s.iter_results()]


def _drop(inbox: Path, count: int) -> dict[str, str]:
    """`count` distinct findings files; returns name → content hash."""
    inbox.mkdir(parents=True, exist_ok=True)
    return {p.name: sha256_file(p) for p in (findings_json(inbox, f"k{n:03d}.json", n) for n in range(count))}


def test_kill_9_mid_batch_then_restart_loses_nothing_and_duplicates_nothing(tmp_path):
    inbox, store, out = tmp_path / "in", tmp_path / "store.sqlite3", tmp_path / "out"
    dropped = _drop(inbox, 500)
    (inbox / "bad.json").write_text("{")
    proc = _start(inbox, store, "--out-dir", str(out), "--out-format", "csv,json")
    try:
        wait_for(lambda: len(list((inbox / "done").glob("*.json"))) >= 30, "a good part of the batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    left = len(list(inbox.glob("*.json")))
    assert left > 0, "the batch finished before the kill: the test proves nothing"

    rerun = _start(inbox, store, "--out-dir", str(out), "--out-format", "csv,json", "--once")
    _, stderr = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, stderr
    assert list(inbox.glob("*.json")) == []
    assert sorted(p.name for p in (inbox / "done").iterdir()) == sorted(dropped)  # no "-1" copies
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["bad.json", "bad.json.error.txt"]
    stored = _stored(store)
    assert len(stored) == len(set(stored)) == 500
    assert set(stored) == set(dropped.values())
    for fmt in ("csv", "json"):
        files = sorted(p.name for p in (out / fmt).iterdir())
        assert files == sorted(f"{sha}.{fmt}" for sha in stored)  # one export each, nothing pending


def test_sigterm_finishes_the_current_file_and_exits_cleanly(tmp_path):
    inbox, store = tmp_path / "in", tmp_path / "store.sqlite3"
    dropped = _drop(inbox, 500)
    proc = _start(inbox, store)
    try:
        wait_for(lambda: len(list((inbox / "done").glob("*.json"))) >= 5, "the first files coded")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "dxaparse watch: stopped;" in stdout.splitlines()[-1]
    done = {p.name for p in (inbox / "done").iterdir()}
    assert 0 < len(done) < 500, "stopped at once, not after the whole batch"
    # every filed input has its result and every result its filed input: nothing half-done
    assert sorted(_stored(store)) == sorted(dropped[name] for name in done)
    assert len(list(inbox.glob("*.json"))) == 500 - len(done)
    assert stdout.count(" coded ") == len(done)

    rerun = _start(inbox, store, "--once")
    rerun.communicate(timeout=180)
    assert rerun.returncode == 0 and len(_stored(store)) == 500


@pytest.mark.parametrize("log_paths", [False, True])
def test_output_and_logs_carry_no_patient_identifiers_by_default(tmp_path, log_paths):
    inbox = tmp_path / "in"
    inbox.mkdir()
    doc = {"patient": {"sex": "F", "age_years": 71, "id": "MRN424242"},
           "measurements": [{"site": "total_hip", "t_score": -2.8}], "x_ris": {"order": "MRN424242"}}
    (inbox / "DOE_JANE_1950-02-03.json").write_text(json.dumps(doc))
    (inbox / "SMITH_ANN.json").write_text("[1, 2]")
    run = subprocess.run([sys.executable, "-m", "dxaparse.cli", "-v", "watch", str(inbox), "--store",
                          str(tmp_path / "s.sqlite3"), "--settle", "0.1", "--once", "--retry-partial", "0",
                          *(["--log-paths"] if log_paths else [])],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr   # --once: an input failed
    assert " coded " in run.stdout and " failed: " in run.stdout
    # the reader's warning names the input as the output lines do: by short hash, or by its path
    sha = sha256_file(inbox / "done" / "DOE_JANE_1950-02-03.json")[:12]
    named = "DOE_JANE_1950-02-03.json" if log_paths else sha
    assert f"findings_json: {named}: ignored unknown fields: x_ris\n" in run.stderr and sha in run.stdout
    text = run.stdout + run.stderr
    assert "MRN424242" not in text
    assert ("DOE_JANE" in text and "SMITH_ANN" in text) is log_paths
    assert ("DOE" in text or "SMITH" in text) is log_paths


def test_watch_refuses_a_store_inside_the_watched_folder(tmp_path, cli):
    (tmp_path / "in").mkdir()
    run = cli("watch", str(tmp_path / "in"), "--store", str(tmp_path / "in" / "s.sqlite3"), "--once")
    assert run.code == 2 and "inside the watched folder" in run.err
    assert not (tmp_path / "in" / "s.sqlite3").exists()
