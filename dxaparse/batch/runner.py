"""Run a back-fill: survey the tree, code its units on an executor, write the results to the store.

The functions the executor runs are the same wherever it runs them (`plan.survey`, `work.code_units`),
so a cluster codes exactly as one machine does. Only this process writes the store (SQLite takes one
writer), in batched transactions, while at most a few tasks per worker are in flight, so memory stays
flat however large the tree.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from tqdm import tqdm

from ..emit.store import Store
from ..logs import OUTCOMES, outcome_fields
from ..models import ExamResult
from ..unit import RunOptions, Unit
from .executors import completed
from .plan import Plan, Seen, chunks, survey, walk
from .tally import Tally
from .work import Done, code_units

outcomes = logging.getLogger(OUTCOMES)

Fail = Callable[[str, str | None, str], None]
"""Hears of a file that could not be coded: its path, its content hash (None if it was not read), why."""


def run_batch(root: Path, store: Store, options: RunOptions, executor: Executor, *, slots: int = 1,
              on_failure: Fail = lambda *_: None, progress: bool = False) -> Tally:
    """Code every file under `root` whose content is not in `store` yet; `on_failure` hears of each
    file that could not be coded as it happens."""
    start = time.perf_counter()
    skip = frozenset(str(store.path) + suffix for suffix in ("", "-wal", "-shm", "-journal"))
    files, problems = walk(root, skip)
    tally = Tally(files=len(files))

    def fail(path: str, sha256: str | None, reason: str) -> None:
        tally.failed.append((path, reason))
        on_failure(path, sha256, reason)

    plan = Plan(store.has_input)
    for seen in problems:
        fail(seen.path, None, seen.reason)
    with _bar(len(files), "survey", progress) as bar:
        size = _chunk_size(len(files), slots, 256)
        for paths, seens in completed(executor, survey, chunks(files, size), slots):
            if isinstance(seens, BaseException):
                seens = [Seen(path, reason=_died(seens)) for path in paths]
            for seen in seens:
                plan.add(seen)
            bar.update(len(paths))
    for seen in plan.failed:
        fail(seen.path, seen.sha256, seen.reason)
    units = plan.units()
    tally.skipped, tally.copies = plan.skipped, plan.copies

    weight = sum(len(u.paths) for u in units)
    size = _chunk_size(weight, slots, 32)
    writer = _Writer(store, tally)
    try:
        with _bar(weight, "code", progress) as bar:
            tasks = chunks(units, size, lambda u: len(u.paths))
            for chunk, dones in completed(executor, code_units, tasks, slots, options):
                if isinstance(dones, BaseException):
                    dones = [([], [(str(path), _died(dones)) for path in unit.paths]) for unit in chunk]
                for unit, done in zip(chunk, dones, strict=True):
                    _settle(unit, done, writer, fail)
                bar.update(sum(len(u.paths) for u in chunk))
    finally:
        writer.flush()  # what was coded stays coded: an interrupted run resumes after it
    tally.seconds = time.perf_counter() - start
    return tally


def _settle(unit: Unit, done: Done, writer: _Writer, fail: Fail) -> None:
    """One coded unit into the store: its failed files (which the pipeline's rule chose) reported, its
    exams stored with the hashes of the files they came from."""
    texts, failed = done
    results = [ExamResult.model_validate_json(t) for t in texts]
    hashes = {str(path): sha for path, sha in zip(unit.paths, unit.hashes, strict=True)}
    for path, reason in sorted(failed):
        fail(path, hashes.get(path), reason)
    if not results:
        reason = "; ".join(dict.fromkeys(r for _, r in failed))
        outcomes.info("%s failed: %s", unit.sha256[:12], reason,
                      extra=outcome_fields(unit.sha256, "failed", [], reason, files=len(unit.paths)))
    bad = {path for path, _ in failed}
    inputs = [sha for path, sha in hashes.items() if path not in bad]
    for n, result in enumerate(results, 1):
        writer.add(result, inputs if n == len(results) else [])


class _Writer:
    """Exams into the store in batched transactions (by count or age), counted once committed."""

    def __init__(self, store: Store, tally: Tally, size: int = 500, seconds: float = 2.0):
        self.store, self.tally, self.size, self.seconds = store, tally, size, seconds
        self._pending: list[tuple[ExamResult, list[str]]] = []
        self._since = time.monotonic()

    def add(self, result: ExamResult, inputs: list[str]) -> None:
        self._pending.append((result, inputs))
        if len(self._pending) >= self.size or time.monotonic() - self._since >= self.seconds:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            for (result, _), new in zip(self._pending, self.store.add_many(self._pending), strict=True):
                if new:
                    self.tally.exams[result.source.kind] += 1
                else:
                    self.tally.again += 1
                status = "coded" if new else "duplicate"
                outcomes.info("%s %s", result.source.sha256[:12], status,
                              extra=outcome_fields(result.source.sha256, status, [result], None))
            self._pending = []
        self._since = time.monotonic()


def _died(error: BaseException) -> str:
    return f"a worker process died while reading it ({type(error).__name__})"


def _chunk_size(total: int, slots: int, most: int) -> int:
    """Files per task: about eight tasks per slot for an even finish, at most `most` per task."""
    return max(1, min(most, total // (8 * slots)))


def _bar(total: int, what: str, show: bool) -> tqdm:
    return tqdm(total=total, desc=what, unit="file", file=sys.stderr, disable=not show, leave=False)
