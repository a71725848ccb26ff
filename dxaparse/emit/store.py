"""The embedded result store: one SQLite file holding every coded exam once, keyed by content hash.

A study coded again (objects arrived after it was coded) is stored as the next *version* of the study's
result, so that exactly one result per study is current and a reader counting charges counts it once.

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

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
    # 3: result versions. A study re-coded with more objects (an amended result) is a new version of
    # the study's result, not a second exam: `version` counts 1, 2, … per study_uid in the order
    # stored, `supersedes` is the row it replaces, and `current` marks the one result of each study to
    # count. Existing rows are numbered in insertion (id) order. A result without a study UID is a
    # chain of its own (docs/store.md says why). The indexes make two current results of one study, or
    # two results superseding the same one, a constraint violation rather than a silent double count.
    """
    ALTER TABLE exams ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE exams ADD COLUMN supersedes INTEGER REFERENCES exams(id);
    ALTER TABLE exams ADD COLUMN current INTEGER NOT NULL DEFAULT 1;
    UPDATE exams SET
        version = (SELECT COUNT(*) FROM exams p WHERE p.study_uid = exams.study_uid AND p.id <= exams.id),
        supersedes = (SELECT MAX(p.id) FROM exams p WHERE p.study_uid = exams.study_uid AND p.id < exams.id),
        current = NOT EXISTS (SELECT 1 FROM exams n WHERE n.study_uid = exams.study_uid AND n.id > exams.id)
     WHERE study_uid <> '';
    CREATE UNIQUE INDEX exams_study_version ON exams(study_uid, version) WHERE study_uid <> '';
    CREATE UNIQUE INDEX exams_study_current ON exams(study_uid) WHERE current AND study_uid <> '';
    CREATE UNIQUE INDEX exams_supersedes ON exams(supersedes)
    """,
    # 4: the columns `export` filters on besides those above: the accession number, and the billing
    # status, which `set_billing` keeps equal to the result's `billing.status` (a result stored before
    # billing states existed has none: it reads back held, `not_assessed`, and is held here too).
    """
    ALTER TABLE exams ADD COLUMN accession TEXT;
    ALTER TABLE exams ADD COLUMN billing_status TEXT NOT NULL DEFAULT 'held';
    UPDATE exams SET accession = json_extract(result_json, '$.exam.accession'),
        billing_status = COALESCE(json_extract(result_json, '$.billing.status'), 'held')
     WHERE json_valid(result_json);
    CREATE INDEX exams_accession ON exams(accession);
    CREATE INDEX exams_billing_status ON exams(billing_status)
    """,
    # 5: the review workbench (docs/review.md): its local users (an argon2 hash, never a password), the
    # audit trail of every view, edit, override and release (who, when, before, after, why), and each
    # exam's review in progress — the corrected and re-coded result a coder has not released yet.
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL, exam TEXT,
        field TEXT, before TEXT, after TEXT, reason TEXT
    );
    CREATE INDEX audit_at ON audit(at);
    CREATE INDEX audit_exam ON audit(exam);
    CREATE TABLE drafts (
        exam TEXT PRIMARY KEY, result_json TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL
    )
    """,
    # 6: a patient's earlier exams are looked up by patient ID for every exam coded with a store
    # (`patient_results`, docs/history.md): an index on the ID inside the result.
    """
    CREATE INDEX exams_patient_id ON exams(json_extract(result_json, '$.patient.id'))
    """,
]
"""Schema changes in order; `PRAGMA user_version` counts those applied. Append, never edit."""

Inputs = Iterable[str] | Mapping[str, str | None]
"""Content hashes of an exam's input files, or a mapping from each to where the file was filed."""

NETWORK_FS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "ceph", "glusterfs", "9p", "fuse.sshfs"}


class StoreError(Exception):
    """A file that cannot be used as the store (not SQLite, or a newer schema); the message names it."""


@dataclass(frozen=True)
class StoredVersion:
    """Where a stored result stands among the results of its study: `version` 1 for the first, n + 1
    for the result amending version n; `supersedes`, the content hash of the version it replaces (null
    for version 1); `current`, whether it was the study's latest version, the one to count, when read.
    A result without a study UID is version 1 and current."""

    # The published schema's `store` block (dxaparse.schema) is generated from this class, and exports
    # write its fields by name: add fields, never rename them.
    version: int
    # A content hash, not the row id: it names the result outside this file too (export file names,
    # HL7 control IDs).
    supersedes: str | None
    current: bool


class Stored(NamedTuple):
    """A stored result as `export` writes it: the result, its version, and when it was stored (UTC,
    ISO 8601, as `created_at` holds it)."""

    result: ExamResult
    version: StoredVersion
    stored_at: str


@dataclass(frozen=True)
class Selection:
    """Which stored results an export writes; every criterion given must hold (AND).

    - `since` / `until`: stored at or after / at or before (UTC; a naive date-time is UTC). A date is
      its whole day: `until` 2026-11-30 includes every result stored that day.
    - `held`: results whose charge is held (`billing.status` held; released ones are not).
    - `needs_review`: results whose coding needs a coder's look (`coding.needs_review`).
    - `study_uid`, `accession`: results of that study, of that accession number (exact match).
    - `all_versions`: the superseded versions too; by default each study's current result only.
    """

    since: dt.datetime | dt.date | None = None
    until: dt.datetime | dt.date | None = None
    held: bool = False
    needs_review: bool = False
    study_uid: str | None = None
    accession: str | None = None
    all_versions: bool = False

    def bounds(self) -> tuple[str, str | None]:
        """`created_at` >= the first, and < the second when there is an `until`: text in `created_at`'s
        own form (`_now`), so SQLite compares them as text, on the index."""
        return _instant(self.since) if self.since else "", _after(self.until) if self.until else None

    def where(self) -> tuple[str, list]:
        """The SQL condition on `exams e` and its parameters."""
        low, high = self.bounds()
        terms, params = ["e.created_at >= ?"], [low]
        for wanted, term, param in ((high is not None, "e.created_at < ?", high),
                                    (not self.all_versions, "e.current", None),
                                    (self.held, "e.billing_status = ?", "held"),
                                    (self.needs_review, "e.needs_review", None),
                                    (self.study_uid is not None, "e.study_uid = ?", self.study_uid),
                                    (self.accession is not None, "e.accession = ?", self.accession)):
            if wanted:
                terms.append(term)
                params += [param] if param is not None else []
        return " AND ".join(terms), params


def _instant(when: dt.datetime | dt.date) -> str:
    """A date's first instant, or a date-time in UTC, as `created_at` is written."""
    if not isinstance(when, dt.datetime):
        return when.isoformat()
    when = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return when.isoformat(timespec="microseconds")


def _after(when: dt.datetime | dt.date) -> str:
    """The first instant after `until`: the next day for a date, the next microsecond for a date-time."""
    if isinstance(when, dt.datetime):
        return _instant(when + dt.timedelta(microseconds=1))
    return (when + dt.timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail: `user` did `action` (view, edit, override, accept, release, login …)
    to `exam` (a content hash; None for a login) at `at` (UTC, ISO 8601), changing `field` from `before`
    to `after` (text, JSON for structured values), because of `reason`."""

    user: str
    action: str
    exam: str | None = None
    field: str | None = None
    before: str | None = None
    after: str | None = None
    reason: str | None = None
    at: str = ""

    FIELDS = ("at", "user", "action", "exam", "field", "before", "after", "reason")


class _Head(NamedTuple):
    """A study's current result, which the next result of the study supersedes."""

    id: int
    sha256: str
    version: int

    @staticmethod
    def successor(head: _Head | None) -> StoredVersion:
        return StoredVersion(head.version + 1, head.sha256, True) if head else StoredVersion(1, None, True)


NewResult = Callable[[StoredVersion], None]
"""Called inside `Store.add`'s transaction once a new result has its version; raising rolls it back."""


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
        # Re-entrant: an `add` callback (NewResult) may read the store inside the add's transaction.
        self._lock = threading.RLock()
        try:
            self._db = self._connect()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except sqlite3.DatabaseError as err:
            if err.sqlite_errorname == "SQLITE_NOTADB":   # met on the first read: the file is left as it was
                raise StoreError(f"{self.path}: not an SQLite database") from None
            raise

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

    def add(self, result: ExamResult, inputs: Inputs = (), on_new: NewResult | None = None) -> bool:
        """Store one exam (False if its hash is already stored) and record the hashes of the input files
        it came from, all in one transaction. `inputs` may map each hash to where the file was filed
        (`study_inputs` reads it back); a hash already recorded keeps its first exam and filed path.
        A new exam becomes the current version of its study; `on_new` gets that version before the
        commit, so what it writes (the sink's pending exports) names the version the store assigned
        even when another process stored a result of the same study meanwhile."""
        with self._lock, self._tx() as db:
            return self._add(db, result, inputs, on_new)

    def add_many(self, items: Iterable[tuple[ExamResult, Inputs]]) -> list[bool]:
        """`add` for several exams in one transaction: a bulk load pays one commit (one fsync) per batch,
        not per exam, and a crash loses the whole batch or nothing."""
        with self._lock, self._tx() as db:
            return [self._add(db, result, inputs) for result, inputs in items]

    def _add(self, db: sqlite3.Connection, result: ExamResult, inputs: Inputs,
             on_new: NewResult | None = None) -> bool:
        row = db.execute("SELECT id FROM exams WHERE sha256 = ?", (result.source.sha256,)).fetchone()
        added = row is None
        if added:
            head = self._head(db, result.exam.study_uid)
            exam_id = self._insert(db, result, head)
            if on_new:
                on_new(_Head.successor(head))
        else:
            exam_id = row[0]
        filed = inputs if isinstance(inputs, Mapping) else {}
        db.executemany("INSERT OR IGNORE INTO inputs(sha256, exam_id, filed) VALUES (?, ?, ?)",
                       [(sha, exam_id, filed.get(sha)) for sha in inputs])
        return added

    @staticmethod
    def _head(db: sqlite3.Connection, study_uid: str | None) -> _Head | None:
        """The study's current result; None for a study not stored yet, and for a result without a
        study UID: nothing else safely says two such results are one exam (docs/store.md)."""
        if not study_uid:
            return None
        row = db.execute("SELECT id, sha256, version FROM exams WHERE study_uid = ? AND current",
                         (study_uid,)).fetchone()
        return _Head(*row) if row else None

    @staticmethod
    def _insert(db: sqlite3.Connection, r: ExamResult, head: _Head | None) -> int:
        if head:  # first, or the one-current-per-study index would refuse the new row
            db.execute("UPDATE exams SET current = 0 WHERE id = ?", (head.id,))
        exam_id = db.execute(
            "INSERT INTO exams(sha256, source_path, source_kind, vendor, study_uid, exam_date, category, "
            "needs_review, result_json, created_at, version, supersedes, current, accession, billing_status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (r.source.sha256, r.source.path, r.source.kind, r.source.vendor, r.exam.study_uid,
             r.exam.date.isoformat() if r.exam.date else None, r.coding.category.value,
             int(r.coding.needs_review), r.model_dump_json(), _now(),
             _Head.successor(head).version, head.id if head else None, r.exam.accession,
             r.billing.status.value)).lastrowid
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
        return exam_id

    def has(self, sha256: str) -> bool:
        """Is an exam with this content hash stored?"""
        return self._exists("SELECT 1 FROM exams WHERE sha256 = ?", sha256)

    def has_input(self, sha256: str) -> bool:
        """Was a file with this hash already coded (as an input of a stored exam, or as the exam itself)?"""
        return self._exists("SELECT 1 FROM inputs WHERE sha256 = ?1 UNION ALL "
                            "SELECT 1 FROM exams WHERE sha256 = ?1", sha256)

    def latest(self, study_uid: str | None, before: str | None = None, *,
               billed: bool = False) -> ExamResult | None:
        """The study's current result (its latest version), None if it has none. With `before` (an
        exam's content hash): the version that exam supersedes — the one an amended result replaces —
        or, while that exam is not stored yet, the current one, which it will supersede. With `billed`:
        from there back along the versions, the first whose charge went out (billing ready or
        released) — the one an amended charge credits."""
        if not study_uid:
            return None
        from ..models import ExamResult

        with self._lock:
            stored = self._db.execute("SELECT supersedes FROM exams WHERE sha256 = ?", (before,)).fetchone()
            if stored:
                row = self._db.execute("SELECT result_json, supersedes FROM exams WHERE id = ?",
                                       stored).fetchone()
            else:
                row = self._db.execute("SELECT result_json, supersedes FROM exams WHERE study_uid = ? AND "
                                       "current", (study_uid,)).fetchone()
            while row is not None:
                result = ExamResult.model_validate_json(row[0])
                if not billed or result.billing.billable:
                    return result
                row = self._db.execute("SELECT result_json, supersedes FROM exams WHERE id = ?",
                                       (row[1],)).fetchone()
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
            db.execute("UPDATE exams SET result_json = ?, billing_status = ? WHERE sha256 = ?",
                       (result.model_dump_json(), billing.status.value, sha256))
        return result

    def find(self, prefix: str) -> list[ExamResult]:
        """Stored exams whose content hash starts with `prefix` (how a person names an exam)."""
        from ..models import ExamResult

        with self._lock:
            rows = self._db.execute("SELECT result_json FROM exams WHERE sha256 LIKE ? || '%' ORDER BY id",
                                    (prefix.lower(),)).fetchall()
        return [ExamResult.model_validate_json(text) for (text,) in rows]

    def version(self, sha256: str) -> StoredVersion | None:
        """The version of the stored exam with this content hash; None if it is not stored."""
        with self._lock:
            row = self._db.execute(f"SELECT {_VERSION} FROM exams e LEFT JOIN exams p ON p.id = e.supersedes "
                                   "WHERE e.sha256 = ?", (sha256,)).fetchone()
        return _version(row) if row else None

    def version_for(self, result: ExamResult) -> StoredVersion:
        """The version `result` has in the store, or the one it would get if added now: what an export
        is rendered with before it is committed (`add` hands over the final one)."""
        with self._lock:
            stored = self.version(result.source.sha256)
            if stored:
                return stored
            head = self._head(self._db, result.exam.study_uid)
        return _Head.successor(head)

    def study_inputs(self, study_uid: str) -> dict[str, str | None]:
        """Content hash → filed path (None if not recorded) of every input of the study's stored exams."""
        with self._lock:
            rows = self._db.execute("SELECT i.sha256, i.filed FROM inputs i JOIN exams e ON e.id = i.exam_id "
                                    "WHERE e.study_uid = ? ORDER BY i.rowid", (study_uid,)).fetchall()
        return dict(rows)

    def exam_of(self, sha256: str) -> str | None:
        """The content hash of the exam an input file with this hash was coded into (the exam's own
        hash for a one-file exam), None if it is not stored: what logs name a duplicate input by."""
        with self._lock:
            row = self._db.execute("SELECT e.sha256 FROM inputs i JOIN exams e ON e.id = i.exam_id "
                                   "WHERE i.sha256 = ?1 UNION ALL SELECT sha256 FROM exams WHERE sha256 = ?1",
                                   (sha256,)).fetchone()
        return row[0] if row else None

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
        """Every stored exam, all versions, in the order stored; `since`: only those stored at or after
        it (UTC). To count each study once, use `iter_versions`."""
        return (result for result, _ in self.iter_versions(since, all_versions=True))

    def iter_versions(self, since: dt.datetime | dt.date | None = None, *,
                      all_versions: bool = False) -> Iterator[tuple[ExamResult, StoredVersion]]:
        """(result, version) of each study's current result — with `all_versions`, of every stored exam
        — in the order stored; `since`: only those stored at or after it (UTC). Current only by
        default, because that is what a count of exams or charges must read."""
        selection = Selection(since=since, all_versions=all_versions)
        return ((stored.result, stored.version) for stored in self.select(selection))

    def select(self, selection: Selection) -> Iterator[Stored]:
        """The stored results `selection` picks, in the order stored, filtered in SQL: an export of a few
        exams out of a large store reads those exams only."""
        where, params = selection.where()
        from ..models import ExamResult

        # A connection of its own: a long export must not hold the writers' lock.
        db = self._connect()
        try:
            rows = db.execute(f"SELECT e.result_json, e.created_at, {_VERSION} FROM exams e "
                              f"LEFT JOIN exams p ON p.id = e.supersedes WHERE {where} ORDER BY e.id", params)
            for text, stored_at, *version in rows:
                yield Stored(ExamResult.model_validate_json(text), _version(version), stored_at)
        finally:
            db.close()

    def stored_at(self, sha256: str) -> str | None:
        """When the exam with this content hash was stored (UTC, ISO 8601); None if it is not stored.
        Inside an `add`'s `on_new`, the time of the commit being made."""
        with self._lock:
            row = self._db.execute("SELECT created_at FROM exams WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def amend(self, result: ExamResult, of: str) -> StoredVersion:
        """Store `result` (a content hash of its own) as the next version of the stored exam `of`, which
        must be current: what a coder's review releases. Chained on `of` itself, so a result without a
        study UID gets a version 2 too."""
        with self._lock, self._tx() as db:
            row = db.execute("SELECT id, sha256, version, current FROM exams WHERE sha256 = ?",
                             (of,)).fetchone()
            if row is None or not row[3]:
                raise ValueError(f"{of[:12]} is not the current result of its study")
            head = _Head(*row[:3])
            self._insert(db, result, head)
        return _Head.successor(head)

    def worklist(self) -> list[Stored]:
        """Current results a coder must look at: held charges first, then results needing review whose
        charge was not released (a released result was looked at), each group by date of service."""
        from ..models import ExamResult

        with self._lock:
            rows = self._db.execute(
                f"SELECT e.result_json, e.created_at, {_VERSION} FROM exams e LEFT JOIN exams p "
                "ON p.id = e.supersedes WHERE e.current AND (e.billing_status = 'held' OR "
                "(e.needs_review AND e.billing_status <> 'released')) "
                "ORDER BY e.billing_status <> 'held', e.exam_date IS NULL, e.exam_date, e.id").fetchall()
        return [Stored(ExamResult.model_validate_json(text), _version(v), at) for text, at, *v in rows]

    def history(self, sha256: str) -> list[Stored]:
        """The stored exam and every version before it, newest first (along `supersedes`)."""
        from ..models import ExamResult

        out = []
        sql = (f"SELECT e.result_json, e.created_at, {_VERSION}, e.supersedes FROM exams e "
               "LEFT JOIN exams p ON p.id = e.supersedes WHERE ")
        with self._lock:
            row = self._db.execute(sql + "e.sha256 = ?", (sha256,)).fetchone()
            while row is not None:
                text, at, *version, parent = row
                out.append(Stored(ExamResult.model_validate_json(text), _version(version), at))
                row = self._db.execute(sql + "e.id = ?", (parent,)).fetchone()
        return out

    # --- the review workbench: users, audit trail, reviews in progress ---------------------------

    def set_user(self, name: str, role: str, password_hash: str) -> None:
        """Add a workbench user, or give an existing one a new role and password."""
        with self._lock, self._tx() as db:
            db.execute("INSERT INTO users VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                       "role = excluded.role, password_hash = excluded.password_hash",
                       (name, role, password_hash, _now()))

    def user(self, name: str) -> tuple[str, str] | None:
        """(role, password hash) of a workbench user; None if there is none of this name."""
        with self._lock:
            row = self._db.execute("SELECT role, password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return tuple(row) if row else None

    def record(self, entry: AuditEntry) -> None:
        """Append a line to the audit trail (its time is now, UTC)."""
        with self._lock, self._tx() as db:
            db.execute("INSERT INTO audit(at, user, action, exam, field, before, after, reason) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (_now(), entry.user, entry.action, entry.exam, entry.field, entry.before, entry.after,
                        entry.reason))

    def audit(self, exams: Iterable[str] = (),
              since: dt.datetime | dt.date | None = None) -> list[AuditEntry]:
        """The audit trail in the order written: of `exams` (content hashes) if given, from `since`."""
        exams = list(exams)
        terms, params = ["at >= ?"], [_instant(since) if since else ""]
        if exams:
            terms.append(f"exam IN ({', '.join('?' * len(exams))})")
            params += exams
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(AuditEntry.FIELDS)} FROM audit "
                                    f"WHERE {' AND '.join(terms)} ORDER BY id", params).fetchall()
        return [AuditEntry(**dict(zip(AuditEntry.FIELDS, row, strict=True))) for row in rows]

    def draft(self, sha256: str) -> ExamResult | None:
        """The review in progress of a stored exam: its corrected, re-coded result not yet released."""
        from ..models import ExamResult

        with self._lock:
            row = self._db.execute("SELECT result_json FROM drafts WHERE exam = ?", (sha256,)).fetchone()
        return ExamResult.model_validate_json(row[0]) if row else None

    def set_draft(self, sha256: str, result: ExamResult | None, by: str = "") -> None:
        """Keep (or, with None, drop) the review in progress of a stored exam."""
        with self._lock, self._tx() as db:
            if result is None:
                db.execute("DELETE FROM drafts WHERE exam = ?", (sha256,))
            else:
                db.execute("INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?)",
                           (sha256, result.model_dump_json(), by, _now()))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def patient_results(path: Path, patient_id: str) -> list[ExamResult]:
    """The current results of the stored exams with this patient ID, oldest stored first; none when there
    is no store at `path`. Read-only, on a connection of its own: the pipeline looks a patient's history
    up from a coding process while a service writes the store."""
    from ..models import ExamResult

    if not Path(path).is_file():
        return []
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT result_json FROM exams WHERE json_extract(result_json, '$.patient.id') = ? "
                          "AND current ORDER BY id", (patient_id,)).fetchall()
    finally:
        db.close()
    return [ExamResult.model_validate_json(text) for (text,) in rows]


_VERSION = "e.version, p.sha256, e.current"
"""The columns `_version` reads, from `exams e LEFT JOIN exams p ON p.id = e.supersedes`."""


def _version(row: Iterable) -> StoredVersion:
    version, supersedes, current = row
    return StoredVersion(version, supersedes, bool(current))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
