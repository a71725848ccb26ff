"""The study worker: codes a study once it has gone quiet, off the receive path, and hands the result on.

A study is always coded whole — every instance it has in the spool, already-coded ones included — so a
study that grows after it was coded is re-coded and stored as an amended result: same study UID, new
content hash (the hash of the instance set), later `created_at`. Results go through the same sink as
the folder watcher's. The study's files move to done/ only after the sink has committed, so a crash in
between re-codes the study at the next start and the store, keyed by content hash, keeps it once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ...errors import InputError
from ...models import ExamResult
from ..settle import QuietGroups
from ..sink import ExportError
from .spool import Spool, short

log = logging.getLogger(__name__)

Coder = Callable[[list[Path]], Iterable[ExamResult | InputError]]
Deliver = Callable[[list[ExamResult], list[Path]], None]


class StudyWorker(threading.Thread):
    """One thread coding quiet studies one at a time; the watcher's `QuietGroups` says which are quiet."""

    def __init__(self, spool: Spool, quiet: float, code: Coder, deliver: Deliver):
        super().__init__(name="study-worker", daemon=True)
        self.spool, self.code, self.deliver = spool, code, deliver
        self._groups = QuietGroups(quiet)
        self._poll = min(1.0, quiet / 4)
        self._lock = threading.Lock()
        self._halt = threading.Event()
        for key in spool.waiting():  # what the last run received but did not code
            self.arrived(key, "restart")

    def arrived(self, key: str, sop: str) -> None:
        """An instance of study `key` was spooled: the study's quiet interval starts again."""
        with self._lock:
            self._groups.add(key, sop, time.monotonic())

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        while not self._halt.wait(self._poll):
            with self._lock:
                due = self._groups.due(time.monotonic())
            for key, _ in due:
                if self._halt.is_set():
                    return
                self.code_study(key)

    def code_study(self, key: str) -> None:
        files = self.spool.files(key)
        if not files:
            return
        amended = (self.spool.root / "done" / key).is_dir()
        try:
            items = list(self.code(files))
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
