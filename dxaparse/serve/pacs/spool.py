"""The hook's spool: every received instance is on disk, durably, before its C-STORE success is sent.

One folder per study (named by its StudyInstanceUID), in one of three states:

    incoming/<study>/<sop>.dcm    received; coded once the study has been quiet
    done/<study>/<sop>.dcm        coded; the study's latest result is in the store
    failed/<study>/<sop>.dcm      could not be coded; failed/<study>.error.txt says why

An instance lives in exactly one of these places. A SOP Instance UID already anywhere in its study is
not written again (a PACS re-sending a study must not create copies or trigger a needless re-code).
Writes go to a temp file that is fsynced and renamed, then the folder is fsynced, so a crash leaves
either the whole instance or a stray `*.tmp` that was never acknowledged (removed at start-up).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from pathlib import Path

STATES = ("incoming", "done", "failed")
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")


def safe_name(uid: str) -> str:
    """A UID as a file name; a UID breaking the PS3.5 syntax becomes a hash so it cannot escape the spool."""
    uid = uid.strip().rstrip("\0")
    if _UID.fullmatch(uid) and len(uid) <= 64:
        return uid
    return "x" + hashlib.sha256(uid.encode()).hexdigest()[:40]


def short(key: str) -> str:
    """A study's name for logs: linkable across log lines, not to the patient's record."""
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """The spool folder; safe to use from the association threads and the study worker at once."""

    def __init__(self, root: Path):
        self.root = root
        for state in STATES:
            (root / state).mkdir(parents=True, exist_ok=True)
        for stray in (root / "incoming").glob("*/*.tmp"):
            stray.unlink()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: str) -> threading.Lock:
        """The lock that keeps a study's files still while they are written or moved."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def add(self, key: str, sop: str, data: bytes) -> bool:
        """Store one instance durably; False when the study already holds this SOP Instance UID."""
        name = f"{safe_name(sop)}.dcm"
        folder = self.root / "incoming" / key
        if self._holds(key, name):
            return False
        with self.lock(key):  # a temp file in the folder keeps `finish` from removing it
            if not folder.is_dir():
                folder.mkdir()
                _fsync_dir(folder.parent)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            with self.lock(key):
                if self._holds(key, name):
                    return False
                os.replace(tmp, folder / name)
                _fsync_dir(folder)
            return True
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _holds(self, key: str, name: str) -> bool:
        return any((self.root / state / key / name).exists() for state in STATES)

    def waiting(self) -> list[str]:
        """Studies with instances not yet coded (after a restart: what the last run left)."""
        return sorted(p.name for p in (self.root / "incoming").iterdir()
                      if p.is_dir() and any(p.glob("*.dcm")))

    def files(self, key: str) -> list[Path]:
        """Every instance of a study, in all states: a study is always coded whole."""
        with self.lock(key):
            return sorted((p for s in STATES for p in (self.root / s / key).glob("*.dcm")),
                          key=lambda p: p.name)

    def finish(self, key: str, files: list[Path], error: str | None) -> Path:
        """Move a coded study's files to done/ (or failed/ with the reason); returns their folder."""
        state = "failed" if error else "done"
        target = self.root / state / key
        note = self.root / "failed" / f"{key}.error.txt"
        with self.lock(key):
            target.mkdir(exist_ok=True)
            sources = {f.parent for f in files}
            for f in files:
                if f.parent != target:
                    os.replace(f, target / f.name)
            for folder in {target, *sources}:
                _fsync_dir(folder)
            for folder in sources - {target}:
                if not any(folder.iterdir()):
                    folder.rmdir()
            if error:
                note.write_text(error + "\n", encoding="utf-8")
            else:
                note.unlink(missing_ok=True)
        return target
