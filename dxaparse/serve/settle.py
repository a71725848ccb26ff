"""When a dropped file is complete, and when a DICOM study has stopped arriving.

Shares give no "file closed" event (SMB/NFS clients deliver no inotify events at all), so completeness
is observed: a file is complete once its size and mtime stayed unchanged for a settle interval, or at
once when it was renamed into place (writers that write a temp name, then rename). DICOM objects
arrive one by one, so a study is coded once no object was added for a quiet interval. Both take `now`
from the caller (a monotonic clock), which keeps them testable and reusable by the PACS hook.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path

import pydicom

_RENAMED = ("renamed",)


class Settler:
    """Candidate files and the moment their size and mtime were last seen to change."""

    def __init__(self, interval: float):
        self.interval = interval
        self._seen: dict[Path, tuple[tuple, float]] = {}

    def watch(self, path: Path, now: float) -> None:
        """A file appeared or changed; its clock starts at the next `ready` that stats it."""
        self._seen.setdefault(path, ((), now))

    def renamed(self, path: Path) -> None:
        """A file was renamed into place: complete as it stands."""
        self._seen[path] = (_RENAMED, 0.0)

    def ready(self, now: float) -> list[Path]:
        """Files complete by now, removed from the candidates; vanished files are dropped."""
        done = []
        for path, (signature, since) in list(self._seen.items()):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                del self._seen[path]
                continue
            current = (st.st_size, st.st_mtime_ns)
            if signature is _RENAMED or (signature == current and now - since >= self.interval):
                del self._seen[path]
                done.append(path)
            elif signature != current:
                self._seen[path] = (current, now)
        return done

    def __len__(self) -> int:
        return len(self._seen)


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
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["StudyInstanceUID"], force=True)
    except Exception:  # any unreadable header: the object is coded alone and the reader says why
        return None
    uid = ds.get("StudyInstanceUID")
    return str(uid) if uid else None
