"""The study workers: code each study once it has gone quiet, off the receive path, and hand the result on.

A study is always coded whole — every instance it has in the spool, already-coded ones included — so a
study that grows after it was coded is re-coded and stored as an amended result: same study UID, new
content hash (the hash of the instance set), later `created_at`. Results go through the same sink as
the folder watcher's. The study's files move to done/ only after the sink has committed, so a crash in
between re-codes the study at the next start and the store, keyed by content hash, keeps it once.

Several workers code at once, each in a child process of its own under the site's limits
(`dxaparse.isolate`), so that one poison study — a report that takes minutes to read — holds up one
worker for at most the time limit and never the studies behind it. On `stop` the children are killed:
the studies being coded stay in incoming/ and are coded at the next start.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable

from ...isolate import Cancelled, Isolator, Limits
from ...models import ExamResult
from ...pipeline import run_unit
from ...unit import Outcome as Coded
from ...unit import RunOptions, Unit, dicom_unit
from ..report import Outcome, log_outcome
from ..settle import QuietGroups
from ..sink import ExportError
from .spool import Spool, short

log = logging.getLogger(__name__)

Deliver = Callable[[list[ExamResult], list[str]], list[bool]]
"""Commits a study's results with its files' content hashes; True for each result that was new."""
Run = Callable[[Unit, RunOptions, Isolator], Coded]
"""The pipeline's one call (`pipeline.run_unit`); a test may put another in its place."""
Report = Callable[[Outcome], None]


class StudyWorker:
    """`workers` threads coding quiet studies, a study never on two at once; the watcher's
    `QuietGroups` says which are quiet."""

    def __init__(self, spool: Spool, quiet: float, options: RunOptions, deliver: Deliver, *, workers: int,
                 report: Report = lambda outcome: None, run: Run = run_unit):
        self.spool, self.options, self.deliver, self.report, self.run = spool, options, deliver, report, run
        self.counts: Counter = Counter()   # units by status, as reported
        self._number = 0
        self._groups = QuietGroups(quiet)
        self._poll = min(1.0, quiet / 4)
        self._lock = threading.Lock()
        self._delivering = threading.Lock()  # studies are coded in parallel, stored one at a time
        self._halt = threading.Event()
        self._due: queue.Queue[str | None] = queue.Queue()
        self._busy: set[str] = set()   # studies being coded
        self._again: set[str] = set()  # busy studies that became due again: coded once they are done
        self._isolators = [Isolator(Limits.of(options.settings)) for _ in range(workers)]
        self._threads = [threading.Thread(target=self._dispatch, name="study-dispatch", daemon=True)]
        self._threads += [threading.Thread(target=self._work, args=(isolator,), name=f"study-worker-{n}",
                                           daemon=True) for n, isolator in enumerate(self._isolators, 1)]
        for key in spool.waiting():  # what the last run received but did not code
            self.arrived(key, "restart")

    def arrived(self, key: str, sop: str) -> None:
        """An instance of study `key` was spooled: the study's quiet interval starts again."""
        with self._lock:
            self._groups.add(key, sop, time.monotonic())

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop taking studies and abandon those being coded (their children are killed)."""
        self._halt.set()
        for isolator in self._isolators:
            isolator.cancel()
            self._due.put(None)

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))

    def _dispatch(self) -> None:
        while not self._halt.wait(self._poll):
            with self._lock:
                for key, _ in self._groups.due(time.monotonic()):
                    if key in self._busy:
                        self._again.add(key)
                    else:
                        self._busy.add(key)
                        self._due.put(key)

    def _work(self, isolator: Isolator) -> None:
        try:
            while (key := self._due.get()) is not None and not self._halt.is_set():
                try:
                    self.code_study(key, isolator)
                except Cancelled:
                    log.info("study %s: left in incoming/ for the next start (stopping)", short(key))
                    return
                except Exception as err:  # the spool failing (disk full): this worker must go on
                    log.error("study %s: %s; retrying after the quiet interval", short(key),
                              type(err).__name__)
                    self.arrived(key, "retry")
                finally:
                    with self._lock:
                        self._busy.discard(key)
                        if key in self._again:
                            self._again.discard(key)
                            self._busy.add(key)
                            self._due.put(key)
        finally:
            isolator.close()

    def code_study(self, key: str, isolator: Isolator) -> None:
        files = self.spool.files(key)
        if not files:
            return
        amended = (self.spool.root / "done" / key).is_dir()
        # The spool found the files: it hashes them, once; the readers and the store take these.
        unit = dicom_unit(files, root=self.spool.root / "done" / key)
        coded = self.run(unit, self.options, isolator)
        outcome = Outcome(0, coded.sha256, files, "failed", coded.results, amended=amended)
        if not coded.results:
            outcome.reason = coded.reason() or "no DXA exam found in the study"
            log.warning("study %s: %d instance(s) not coded: %s", coded.sha256[:12], len(files),
                        outcome.reason, extra={"sha256": coded.sha256})
            self.spool.finish(key, files, outcome.reason)
            self._report(outcome)
            return
        for result in coded.results:
            result.source.path = str(self.spool.root / "done" / key)
        try:
            with self._delivering:
                added = self.deliver(coded.results, list(unit.hashes))
        except ExportError as err:  # the same content will never export: file it away
            log.warning("study %s: %s; kept in failed/", coded.sha256[:12], err,
                        extra={"sha256": coded.sha256})
            self.spool.finish(key, files, str(err))
            outcome.reason = str(err)
            self._report(outcome)
            return
        except Exception as err:  # store or disk unavailable: keep the files, try again later
            log.error("study %s: result not stored (%s: %s); retrying after the quiet interval",
                      coded.sha256[:12], type(err).__name__, err, extra={"sha256": coded.sha256})
            self.arrived(key, "retry")
            return
        self.spool.finish(key, files, None)
        outcome.status = "coded" if any(added or ()) else "duplicate"
        if coded.rejected:
            log.info("study %s: coded without %d object(s): %s", coded.sha256[:12], len(coded.rejected),
                     coded.reason(), extra={"sha256": coded.sha256})
        self._report(outcome)

    def _report(self, outcome: Outcome) -> None:
        with self._lock:
            self._number += 1
            outcome.number = self._number
            self.counts[outcome.status] += 1
        log_outcome(outcome)
        self.report(outcome)
