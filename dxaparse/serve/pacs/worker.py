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
from collections.abc import Callable, Iterable
from pathlib import Path

from ...errors import InputError
from ...isolate import Cancelled, Isolator, Limits
from ...models import ExamResult
from ..settle import QuietGroups
from ..sink import ExportError
from .spool import Spool, short

log = logging.getLogger(__name__)

Coder = Callable[[list[Path]], Iterable[ExamResult | InputError]]
"""Codes a study's files; it runs in a child process, so it must pickle (a module's function, or a
`functools.partial` of one)."""
Deliver = Callable[[list[ExamResult], list[Path]], None]


class StudyWorker:
    """`workers` threads coding quiet studies, a study never on two at once; the watcher's
    `QuietGroups` says which are quiet."""

    def __init__(self, spool: Spool, quiet: float, code: Coder, deliver: Deliver, *, workers: int,
                 limits: Limits):
        self.spool, self.code, self.deliver = spool, code, deliver
        self._groups = QuietGroups(quiet)
        self._poll = min(1.0, quiet / 4)
        self._lock = threading.Lock()
        self._delivering = threading.Lock()  # studies are coded in parallel, stored one at a time
        self._halt = threading.Event()
        self._due: queue.Queue[str | None] = queue.Queue()
        self._busy: set[str] = set()   # studies being coded
        self._again: set[str] = set()  # busy studies that became due again: coded once they are done
        self._isolators = [Isolator(limits) for _ in range(workers)]
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
        try:
            items = isolator.code(self.spool.root / "incoming" / key, self.code, files)
        except Exception as err:  # a reader bug must not stop the hook
            log.error("study %s: coding crashed (%s); kept in failed/", short(key), type(err).__name__)
            log.debug("coding crash", exc_info=True)
            self.spool.finish(key, files, f"internal error while coding: {type(err).__name__}")
            return
        results = [r for r in items if isinstance(r, ExamResult)]
        errors = sorted({e.reason for e in items if isinstance(e, InputError)})
        if not results:
            reason = "; ".join(errors) or "no DXA exam found in the study"
            log.warning("study %s: %d instance(s) not coded: %s", short(key), len(files), reason)
            self.spool.finish(key, files, reason)
            return
        for result in results:
            result.source.path = str(self.spool.root / "done" / key)
        try:
            with self._delivering:
                self.deliver(results, files)
        except ExportError as err:  # the same content will never export: file it away
            log.warning("study %s: %s; kept in failed/", short(key), err)
            self.spool.finish(key, files, str(err))
            return
        except Exception as err:  # store or disk unavailable: keep the files, try again later
            log.error("study %s: result not stored (%s: %s); retrying after the quiet interval",
                      short(key), type(err).__name__, err)
            self.arrived(key, "retry")
            return
        self.spool.finish(key, files, None)
        log.info("study %s: %d instance(s) coded%s%s", short(key), len(files),
                 " (amended result)" if amended else "",
                 f"; skipped objects: {'; '.join(errors)}" if errors else "")
