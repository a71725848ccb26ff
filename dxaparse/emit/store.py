"""The embedded result store: one SQLite file holding every coded exam once, keyed by content hash.

Each result is written in one transaction (all of it or none), so a crash never leaves half an exam;
WAL lets `export` read while `watch` writes. The file must be on a local disk — SQLite's locking is not
reliable on SMB/NFS (docs/store.md) — which is why `network_filesystem` exists. The full result JSON is
kept next to the queryable tables so `export` reproduces contract-v1 objects exactly.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a result is read back: `default_path` alone stays cheap for the CLI
    from ..models import Billing, ExamResult

MIGRATIONS = [
    """
    CREATE TABLE exams (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        source_path TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        vendor TEXT NOT NULL,
        study_uid TEXT,
        exam_date TEXT,
        category TEXT NOT NULL,
        needs_review INTEGER NOT NULL,
        result_json TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX exams_created_at ON exams(created_at);
    CREATE INDEX exams_study_uid ON exams(study_uid);
    CREATE TABLE measurements (
        exam_id INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        site TEXT NOT NULL, side TEXT, label TEXT NOT NULL, vertebrae TEXT NOT NULL,
        bmd REAL, bmc REAL, area REAL, t_score REAL, z_score REAL, excluded INTEGER NOT NULL,
        PRIMARY KEY (exam_id, ordinal)
    );
    CREATE TABLE cpt (
        exam_id INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        code TEXT NOT NULL, modifiers TEXT NOT NULL, units INTEGER NOT NULL, reason TEXT NOT NULL,
        PRIMARY KEY (exam_id, ordinal)
    );
    CREATE TABLE icd10 (
        exam_id INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        code TEXT NOT NULL, reason TEXT NOT NULL,
        PRIMARY KEY (exam_id, ordinal)
    );
    CREATE TABLE flags (
        exam_id INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        code TEXT NOT NULL, message TEXT NOT NULL,
        PRIMARY KEY (exam_id, ordinal)
    );
    CREATE TABLE inputs (
        sha256 TEXT PRIMARY KEY,
        exam_id INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE
    )
    """,
    # 2: where the watcher filed each input in done/, so a late object of a study can be re-coded with
    # the objects already filed (NULL: not filed by the watcher, or stored before version 2).
    """
    ALTER TABLE inputs ADD COLUMN filed TEXT
    """,
]
"""Schema changes in order; `PRAGMA user_version` counts those applied. Append, never edit."""

Inputs = Iterable[str] | Mapping[str, str | None]
"""Content hashes of an exam's input files, or a mapping from each to where the file was filed."""

NETWORK_FS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "ceph", "glusterfs", "9p", "fuse.sshfs"}


class StoreError(Exception):
    pass


def default_path() -> Path:
    """`$XDG_DATA_HOME/dxaparse/dxaparse.sqlite3` (~/.local/share/… when unset): per user, local disk."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "dxaparse" / "dxaparse.sqlite3"


def network_filesystem(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The network file system type `path` would live on (cifs, nfs4, …), or None if local/unknown."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, fstype = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].encode().decode("unicode_escape")  # /proc/mounts writes a space as \040
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, parts[2]
    return fstype if fstype in NETWORK_FS else None


class Store:
    """Coded exams in SQLite. `add` is idempotent by content hash and safe to call from several threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._connect()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=FULL")  # a committed result survives power loss before the move
        return db

    def _migrate(self) -> None:
        for version, script in enumerate(MIGRATIONS, 1):
            with self._tx() as db:
                current = db.execute("PRAGMA user_version").fetchone()[0]
                if current >= version:
                    continue
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={version}")
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise StoreError(f"{self.path}: written by a newer dxaparse (schema {current})")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(self, result: ExamResult, inputs: Inputs = ()) -> bool:
        """Store one exam (False if its hash is already stored) and record the hashes of the input files
        it came from, all in one transaction. `inputs` may map each hash to where the file was filed
        (`study_inputs` reads it back); a hash already recorded keeps its first exam and filed path."""
        return self.add_many([(result, inputs)])[0]

    def add_many(self, items: Iterable[tuple[ExamResult, Inputs]]) -> list[bool]:
        """`add` for several exams in one transaction: a bulk load pays one commit (one fsync) per batch,
        not per exam, and a crash loses the whole batch or nothing."""
        with self._lock, self._tx() as db:
            return [self._add(db, result, inputs) for result, inputs in items]

    def _add(self, db: sqlite3.Connection, result: ExamResult, inputs: Inputs) -> bool:
        added = self._insert(db, result)
        exam_id = db.execute("SELECT id FROM exams WHERE sha256 = ?", (result.source.sha256,)).fetchone()[0]
        filed = inputs if isinstance(inputs, Mapping) else {}
        db.executemany("INSERT OR IGNORE INTO inputs(sha256, exam_id, filed) VALUES (?, ?, ?)",
                       [(sha, exam_id, filed.get(sha)) for sha in inputs])
        return added

    @staticmethod
    def _insert(db: sqlite3.Connection, r: ExamResult) -> bool:
        cur = db.execute(
            "INSERT OR IGNORE INTO exams(sha256, source_path, source_kind, vendor, study_uid, exam_date, "
            "category, needs_review, result_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r.source.sha256, r.source.path, r.source.kind, r.source.vendor, r.exam.study_uid,
             r.exam.date.isoformat() if r.exam.date else None, r.coding.category.value,
             int(r.coding.needs_review), r.model_dump_json(), _now()))
        if cur.rowcount == 0:
            return False
        exam_id = cur.lastrowid
        db.executemany(
            "INSERT INTO measurements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(exam_id, n, m.site.value, m.side, m.label, " ".join(m.vertebrae), m.bmd, m.bmc, m.area,
              m.t_score, m.z_score, int(m.excluded)) for n, m in enumerate(r.measurements, 1)])
        db.executemany("INSERT INTO cpt VALUES (?, ?, ?, ?, ?, ?)",
                       [(exam_id, n, c.code, " ".join(c.modifiers), c.units, c.reason)
                        for n, c in enumerate(r.coding.cpt, 1)])
        db.executemany("INSERT INTO icd10 VALUES (?, ?, ?, ?)",
                       [(exam_id, n, c.code, c.reason) for n, c in enumerate(r.coding.icd10, 1)])
        db.executemany("INSERT INTO flags VALUES (?, ?, ?, ?)",
                       [(exam_id, n, f.code, f.message) for n, f in enumerate(r.coding.flags, 1)])
        return True

    def has(self, sha256: str) -> bool:
        """Is an exam with this content hash stored?"""
        return self._exists("SELECT 1 FROM exams WHERE sha256 = ?", sha256)

    def has_input(self, sha256: str) -> bool:
        """Was a file with this hash already coded (as an input of a stored exam, or as the exam itself)?"""
        return self._exists("SELECT 1 FROM inputs WHERE sha256 = ?1 UNION ALL "
                            "SELECT 1 FROM exams WHERE sha256 = ?1", sha256)

    def latest(self, study_uid: str | None, before: str | None = None, *,
               billed: bool = False) -> ExamResult | None:
        """The study's most recently stored result, None if it has none. With `before` (an exam's content
        hash): the study's result stored just before that exam — the one an amended result replaces —
        or, while that exam is not stored yet, the latest. With `billed`: the latest of those whose
        charge went out (billing ready or released), the one an amended charge credits."""
        if not study_uid:
            return None
        with self._lock:
            rows = self._db.execute(
                "SELECT result_json FROM exams WHERE study_uid = ?1 AND sha256 IS NOT ?2 AND id < "
                "COALESCE((SELECT id FROM exams WHERE sha256 = ?2), 9223372036854775807) "
                "ORDER BY id DESC", (study_uid, before))
            from ..models import ExamResult

            for (text,) in rows:
                result = ExamResult.model_validate_json(text)
                if not billed or result.billing.billable:
                    return result
        return None

    def set_billing(self, sha256: str, billing: Billing) -> ExamResult:
        """Record a stored exam's new billing state (a release); returns the updated result."""
        from ..models import ExamResult

        with self._lock, self._tx() as db:
            row = db.execute("SELECT result_json FROM exams WHERE sha256 = ?", (sha256,)).fetchone()
            if row is None:
                raise KeyError(sha256)
            result = ExamResult.model_validate_json(row[0])
            result.billing = billing
            db.execute("UPDATE exams SET result_json = ? WHERE sha256 = ?",
                       (result.model_dump_json(), sha256))
        return result

    def find(self, prefix: str) -> list[ExamResult]:
        """Stored exams whose content hash starts with `prefix` (how a person names an exam)."""
        from ..models import ExamResult

        with self._lock:
            rows = self._db.execute("SELECT result_json FROM exams WHERE sha256 LIKE ? || '%' ORDER BY id",
                                    (prefix.lower(),)).fetchall()
        return [ExamResult.model_validate_json(text) for (text,) in rows]

    def study_inputs(self, study_uid: str) -> dict[str, str | None]:
        """Content hash → filed path (None if not recorded) of every input of the study's stored exams."""
        with self._lock:
            rows = self._db.execute("SELECT i.sha256, i.filed FROM inputs i JOIN exams e ON e.id = i.exam_id "
                                    "WHERE e.study_uid = ? ORDER BY i.rowid", (study_uid,)).fetchall()
        return dict(rows)

    def set_filed(self, sha256: str, filed: str) -> None:
        """Record where an input file now is (it was filed under another name than planned, or found)."""
        with self._lock, self._tx() as db:
            db.execute("UPDATE inputs SET filed = ? WHERE sha256 = ?", (filed, sha256))

    def _exists(self, sql: str, sha256: str) -> bool:
        with self._lock:
            return self._db.execute(sql, (sha256,)).fetchone() is not None

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM exams").fetchone()[0]

    def iter_results(self, since: dt.datetime | dt.date | None = None) -> Iterator[ExamResult]:
        """Stored exams in the order they were stored; `since`: only those stored at or after it (UTC)."""
        if isinstance(since, dt.datetime):
            since = since.astimezone(dt.UTC) if since.tzinfo else since.replace(tzinfo=dt.UTC)
            bound = since.isoformat(timespec="microseconds")
        else:
            bound = since.isoformat() if since else ""
        from ..models import ExamResult

        # A connection of its own: a long export must not hold the writers' lock.
        db = self._connect()
        try:
            rows = db.execute("SELECT result_json FROM exams WHERE created_at >= ? ORDER BY id",
                              (bound,))
            for (text,) in rows:
                yield ExamResult.model_validate_json(text)
        finally:
            db.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
