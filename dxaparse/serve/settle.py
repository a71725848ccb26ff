"""When a dropped file is complete, and when a DICOM study has stopped arriving.

Shares give no "file closed" event (SMB/NFS clients deliver no inotify events at all), so completeness
is observed: a file is complete once its size and mtime stayed unchanged for a settle interval, or at
once when it was renamed into place (writers that write a temp name, then rename). A file whose read
failed while it may still have been written is put back (`again`) and taken after a back-off, or once it
settles again if it changes meanwhile. DICOM objects arrive one by one, so a study is coded once no
object was added for a quiet interval. Both take `now` from the caller (a monotonic clock), which keeps
them testable and reusable by the PACS hook.

Entries are looked at with `lstat`: a link is a candidate like any file (the watcher files it away
unread), never the file it leads to.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path

import pydicom

from ..read.files import open_regular

_RENAMED = ("renamed",)


class Settler:
    """Candidate files and the moment their size and mtime were last seen to change."""

    def __init__(self, interval: float):
        self.interval = interval
        self._seen: dict[Path, tuple[tuple, float]] = {}
        self._tries: dict[Path, tuple[int, float]] = {}  # files put back: how often, since when

    def again(self, path: Path, delay: float, now: float) -> None:
        """Take `path` again in `delay` seconds, or once it settled if it changes before."""
        tries, first = self._tries.get(path, (0, now))
        self._tries[path] = (tries + 1, first)
        self._seen[path] = (self._signature(path), now + delay - self.interval)

    def tries(self, path: Path, now: float) -> tuple[int, float]:
        """How often `path` was put back, and for how long (0, 0.0 for a file never put back)."""
        tries, first = self._tries.get(path, (0, now))
        return tries, now - first

    def forget(self, path: Path) -> None:
        """`path` was filed away: a file of that name later is new."""
        self._tries.pop(path, None)

    def watch(self, path: Path, now: float) -> None:
        """A file appeared or changed; its clock starts at the next `ready` that stats it."""
        self._seen.setdefault(path, ((), now))

    def renamed(self, path: Path) -> None:
        """A file was renamed into place: complete as it stands, and new (earlier tries do not count)."""
        self._seen[path] = (_RENAMED, 0.0)
        self._tries.pop(path, None)

    def ready(self, now: float) -> list[Path]:
        """Files complete by now, removed from the candidates; vanished files are dropped."""
        done = []
        for path, (signature, since) in list(self._seen.items()):
            current = self._signature(path)
            if current is None:
                del self._seen[path]
                self._tries.pop(path, None)
                continue
            if signature is _RENAMED or (signature == current and now - since >= self.interval):
                del self._seen[path]
                done.append(path)
            elif signature != current:
                self._seen[path] = (current, now)
        return done

    def __len__(self) -> int:
        return len(self._seen)

    @staticmethod
    def _signature(path: Path) -> tuple | None:
        try:
            st = os.lstat(path)
        except OSError:  # gone, or its folder is
            return None
        return st.st_size, st.st_mtime_ns


class QuietGroups:
    """Items grouped by key (DICOM objects by StudyInstanceUID); a group is due once no item was added
    to it for `quiet` seconds."""

    def __init__(self, quiet: float):
        self.quiet = quiet
        self._groups: dict[Hashable, tuple[dict, float]] = {}

    def add(self, key: Hashable, item: Hashable, now: float) -> None:
        items, _ = self._groups.get(key, ({}, now))
        items[item] = None
        self._groups[key] = (items, now)

    def due(self, now: float) -> list[tuple[Hashable, list]]:
        """Groups quiet by now, removed from the tracker, oldest first; items in arrival order."""
        out = [(key, list(items)) for key, (items, last) in self._groups.items() if now - last >= self.quiet]
        for key, _ in out:
            del self._groups[key]
        return out

    def items(self) -> int:
        """How many items wait in all groups."""
        return sum(len(items) for items, _ in self._groups.values())

    def __len__(self) -> int:
        return len(self._groups)


def study_uid(path: Path) -> str | None:
    """StudyInstanceUID from the header alone (no pixel data read), or None if it has none/unreadable."""
    try:
        with open_regular(path) as fh:
            ds = pydicom.dcmread(fh, stop_before_pixels=True, specific_tags=["StudyInstanceUID"], force=True)
    except Exception:  # any unreadable header: the object is coded alone and the reader says why
        return None
    uid = ds.get("StudyInstanceUID")
    return str(uid) if uid else None
