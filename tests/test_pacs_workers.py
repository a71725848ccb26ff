"""The hook's study workers on their own (issue 15): several studies coded at once, one study never on
two workers, and a worker that outlives a failing spool. The coder here is a function of the test, so
the workers run without limits (coding in their own threads); the limits are in test_pacs_limits.py."""

from __future__ import annotations

import threading
import time

from dxaparse.code import CodingSettings
from dxaparse.serve.pacs.spool import Spool
from dxaparse.serve.pacs.worker import StudyWorker
from dxaparse.unit import Outcome, RunOptions

from ._pacs import wait_for

PART10 = b"\0" * 128 + b"DICM" + b"rest"
NO_LIMITS = RunOptions(CodingSettings(seconds_per_input=0, memory_per_worker_mb=0))


class Recorder:
    """A coder that notes when it coded which study, optionally waiting for a gate first."""

    def __init__(self, seconds: float = 0.0, gate: threading.Event | None = None):
        self.seconds, self.gate = seconds, gate
        self.calls: list[tuple[str, int, float, float]] = []  # study, instances, start, end
        self._lock = threading.Lock()

    def __call__(self, unit, options, isolator):
        files = unit.paths
        start = time.monotonic()
        if self.gate:
            self.gate.wait(10)
        time.sleep(self.seconds)
        with self._lock:
            self.calls.append((files[0].parent.name, len(files), start, time.monotonic()))
        return Outcome.of(unit, [])  # no exam: the study is filed in failed/, all these tests need


def _worker(tmp_path, code, workers: int) -> tuple[Spool, StudyWorker]:
    spool = Spool(tmp_path / "spool")
    worker = StudyWorker(spool, 0.2, NO_LIMITS, lambda results, hashes: [], workers=workers, run=code)
    return spool, worker


def _add(spool: Spool, worker: StudyWorker, study: str, sop: str) -> None:
    spool.add(study, sop, PART10)
    worker.arrived(study, sop)


def test_two_workers_code_two_studies_at_once(tmp_path):
    coder = Recorder(seconds=1.0)
    spool, worker = _worker(tmp_path, coder, workers=2)
    worker.start()
    try:
        _add(spool, worker, "1.2.3", "1.2.3.1")
        _add(spool, worker, "1.2.4", "1.2.4.1")
        wait_for(lambda: len(coder.calls) == 2, 10, "both studies coded")
    finally:
        worker.stop()
        worker.join(5)
    (_, _, start_a, end_a), (_, _, start_b, end_b) = coder.calls
    assert start_a < end_b and start_b < end_a, "the studies were coded one after the other"


def test_a_study_that_grows_while_it_is_coded_is_coded_again_after_never_beside(tmp_path):
    gate = threading.Event()
    coder = Recorder(gate=gate)
    spool, worker = _worker(tmp_path, coder, workers=2)
    worker.start()
    try:
        _add(spool, worker, "1.2.3", "1.2.3.1")
        wait_for(lambda: "1.2.3" in worker._busy, 10, "the study to be taken")
        _add(spool, worker, "1.2.3", "1.2.3.2")  # due again while the first coding waits at the gate
        time.sleep(1.0)  # five quiet intervals: a free worker would take it now, were it allowed to
        gate.set()
        wait_for(lambda: len(coder.calls) == 2, 10, "the study coded again")
    finally:
        worker.stop()
        worker.join(5)
    (_, first, _, end), (_, second, start, _) = coder.calls
    assert (first, second) == (1, 2) and start >= end


def test_a_worker_outlives_a_spool_that_fails_and_tries_the_study_again(tmp_path, monkeypatch):
    coder = Recorder()
    spool, worker = _worker(tmp_path, coder, workers=1)
    real, failures = spool.finish, []

    def finish(key, files, error):
        if not failures:
            failures.append(key)
            raise OSError(28, "No space left on device")
        return real(key, files, error)

    monkeypatch.setattr(spool, "finish", finish)
    worker.start()
    try:
        _add(spool, worker, "1.2.3", "1.2.3.1")
        wait_for(lambda: (spool.root / "failed" / "1.2.3.error.txt").exists(), 10, "the study filed")
        _add(spool, worker, "1.2.5", "1.2.5.1")
        wait_for(lambda: (spool.root / "failed" / "1.2.5.error.txt").exists(), 10, "the next study filed")
    finally:
        worker.stop()
        worker.join(5)
    assert failures == ["1.2.3"] and [c[0] for c in coder.calls] == ["1.2.3", "1.2.3", "1.2.5"]
