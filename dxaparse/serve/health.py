"""What `dxaparse status` can know about a running service without asking it: its store, its MLLP outbox,
and — when given — the PACS spool and the watched folder. Read only: nothing is created or changed.

The health rule, for a monitor (exit status 1 and the reasons when any holds):

- the store is missing or cannot be read;
- the oldest message waiting in the MLLP outbox was queued longer than `outbox_minutes` ago (the
  receiver is down or refusing: charges are not reaching billing), or the outbox holds a message the
  receiver rejected in the last day (it is not resent: a person must look);
- work has been waiting longer than `waiting_minutes`: a study in the spool's incoming/ or a file in
  the watched folder untouched for that long (the service is not running, or stuck);
- more inputs failed in the last day than `max_failures` (failed/ notes written in the last 24 hours).

Failures are counted from the `*.error.txt` notes the services leave in failed/ (`dxaparse batch`
keeps none: its failures are on its own output). Nothing here reads a patient identifier: exams are
named by content hash, inputs are counted, never named.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .folders import is_temp

DAY = 24 * 3600.0


@dataclass(frozen=True)
class Rule:
    outbox_minutes: float = 15.0
    waiting_minutes: float = 60.0
    max_failures: int = 10


@dataclass
class Waiting:
    count: int = 0
    oldest_minutes: float | None = None   # since the oldest waiting file was last modified


@dataclass
class Status:
    store: str
    last_coded_at: str | None = None     # UTC, ISO 8601
    last_coded_sha256: str | None = None
    coded_last_day: int = 0
    outbox: str | None = None            # its path, None when there is none
    outbox_pending: int = 0
    outbox_oldest_minutes: float | None = None
    outbox_rejected_last_day: int = 0
    spool_waiting: Waiting | None = None    # studies in incoming/
    watch_waiting: Waiting | None = None    # files in the watched folder
    failures_last_day: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json_dict(self) -> dict:
        return {**asdict(self), "healthy": self.healthy}


def status(store: Path, outbox: Path | None = None, spool: Path | None = None, watch: Path | None = None,
           rule: Rule = Rule(), now: float | None = None) -> Status:
    """The status of the services writing `store` (outbox default `<store>.mllp-outbox`), judged by
    `rule`."""
    now = time.time() if now is None else now
    outbox = outbox or store.with_name(store.name + ".mllp-outbox")
    out = Status(store=str(store))
    _read_store(out, store, now)
    if outbox.is_file():
        out.outbox = str(outbox)
        _read_outbox(out, outbox, now, rule)
    failed_notes: list[Path] = []
    if spool is not None:
        studies = [d for d in (spool / "incoming").glob("*") if d.is_dir()]
        out.spool_waiting = _waiting([f for d in studies for f in d.glob("*.dcm")], now, lambda p: p.parent)
        failed_notes += (spool / "failed").glob("*.error.txt")
    if watch is not None:
        out.watch_waiting = _waiting(list(_dropped(watch)), now)
        failed_notes += (watch / "failed").rglob("*.error.txt")
    out.failures_last_day = sum(1 for p in failed_notes if now - _mtime(p, 0.0) < DAY)
    _judge(out, rule)
    return out


def _read_store(out: Status, path: Path, now: float) -> None:
    if not path.is_file():
        out.problems.append(f"no store at {path}")
        return
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT created_at, sha256 FROM exams ORDER BY id DESC LIMIT 1").fetchone()
            since = dt.datetime.fromtimestamp(now - DAY, dt.UTC).isoformat(timespec="microseconds")
            out.coded_last_day = db.execute("SELECT COUNT(*) FROM exams WHERE created_at >= ?",
                                            (since,)).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as err:
        out.problems.append(f"the store cannot be read: {err}")
        return
    if row:
        out.last_coded_at, out.last_coded_sha256 = row


def _read_outbox(out: Status, path: Path, now: float, rule: Rule) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            pending, oldest = db.execute("SELECT COUNT(*), MIN(queued_at) FROM outbox "
                                         "WHERE state = 'pending'").fetchone()
            out.outbox_rejected_last_day = db.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'rejected' AND done_at >= ?",
                (now - DAY,)).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as err:
        out.problems.append(f"the MLLP outbox cannot be read: {err}")
        return
    out.outbox_pending = pending
    out.outbox_oldest_minutes = round((now - oldest) / 60, 1) if oldest is not None else None


def _dropped(root: Path):
    """Files waiting in the watched folder: not in done/ or failed/, not temp or hidden names."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        filing = ("done", "failed") if here == root else ()
        dirnames[:] = [d for d in dirnames if d not in filing and not is_temp(d)]
        yield from (here / name for name in filenames if not is_temp(name))


def _waiting(files: list[Path], now: float, unit=lambda p: p) -> Waiting:
    if not files:
        return Waiting()
    oldest = min(_mtime(f, now) for f in files)
    return Waiting(len({unit(f) for f in files}), round((now - oldest) / 60, 1))


def _mtime(path: Path, default: float) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return default


def _judge(out: Status, rule: Rule) -> None:
    if out.outbox_oldest_minutes is not None and out.outbox_oldest_minutes > rule.outbox_minutes:
        out.problems.append(f"the MLLP outbox has held a message for {out.outbox_oldest_minutes:g} min "
                            f"(more than {rule.outbox_minutes:g}): is the receiver up?")
    if out.outbox_rejected_last_day:
        out.problems.append(f"{out.outbox_rejected_last_day} HL7 message(s) rejected by the receiver in the "
                            "last day: they are not resent")
    for what, waiting in (("study(ies) in the spool", out.spool_waiting),
                          ("file(s) in the watched folder", out.watch_waiting)):
        if waiting and waiting.oldest_minutes is not None and waiting.oldest_minutes > rule.waiting_minutes:
            out.problems.append(f"{waiting.count} {what} waiting, the oldest for {waiting.oldest_minutes:g} "
                                f"min (more than {rule.waiting_minutes:g}): is the service running?")
    if out.failures_last_day > rule.max_failures:
        out.problems.append(f"{out.failures_last_day} input(s) failed in the last day "
                            f"(more than {rule.max_failures})")
