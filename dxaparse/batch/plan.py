"""What a back-fill has to do: every file of the tree once, grouped into units of work.

Files are surveyed (kind, content hash, DICOM study) in the workers, since that reads every file of
a tree that may hold hundreds of thousands. A study's objects may sit in any folder, so studies are
formed only once the whole tree is surveyed. A unit whose files are all in the store already is
skipped — what makes a run resumable — and content seen twice in the tree is coded once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..read.files import Kind, not_regular_at, sha256_file, sniff
from ..serve.settle import study_uid
from ..unit import Unit, common_root


@dataclass(frozen=True)
class Seen:
    """One surveyed file; `reason` says why it could not even be opened."""

    path: str
    kind: str | None = None
    sha256: str | None = None
    study_uid: str | None = None
    reason: str | None = None


def walk(root: Path, skip: frozenset[str] = frozenset()) -> tuple[list[str], list[Seen]]:
    """Regular files under `root` in name order, hidden ones and `skip` left out; and as failures, the
    folders that could not be listed and the entries that are not read: symbolic links (never followed,
    to a file or a folder: they may lead out of the tree) and special files (a FIFO would block, a
    device never end)."""
    files: list[str] = []
    problems: list[Seen] = []

    def visit(folder: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            problems.append(Seen(folder, reason=f"cannot list folder: {err.strerror or err}"))
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.path in skip:
                continue
            if entry.is_dir(follow_symlinks=False):
                visit(entry.path)
            elif entry.is_file(follow_symlinks=False):
                files.append(entry.path)
            elif reason := not_regular_at(Path(entry.path)):
                problems.append(Seen(entry.path, reason=reason))

    visit(str(root))
    return files, problems


def survey(paths: list[str]) -> list[Seen]:
    """Kind, content hash and StudyInstanceUID (header only) of each file: a worker's first task."""
    return [_survey(Path(p)) for p in paths]


def _survey(path: Path) -> Seen:
    try:
        kind = sniff(path)
        sha = sha256_file(path)
    except InputError as err:
        return Seen(str(path), reason=err.reason)
    except OSError as err:
        return Seen(str(path), reason=f"cannot open: {err.strerror or err}")
    return Seen(str(path), kind.value, sha, study_uid(path) if kind is Kind.DICOM else None)


@dataclass
class Plan:
    """Surveyed files in, units of work out; `known(sha256)` says whether the store holds a file."""

    known: Callable[[str], bool]
    failed: list[Seen] = field(default_factory=list)
    skipped: int = 0   # files whose content is in the store already
    copies: int = 0    # files whose content another file of this tree has
    _files: dict[str, Seen] = field(default_factory=dict)  # by content hash

    def add(self, seen: Seen) -> None:
        if seen.reason is not None:
            self.failed.append(seen)
            return
        other = self._files.get(seen.sha256)
        if other is not None:
            self.copies += 1
        if other is None or seen.path < other.path:  # the first copy in path order, however surveys finish
            self._files[seen.sha256] = seen

    def units(self) -> list[Unit]:
        """Every unit to code, in path order: each study's objects together (a DICOM object without a
        readable study alone: its reader says what is wrong), every other file alone. A study spread
        over several folders gets their common folder as its source path."""
        studies: dict[str, list[Seen]] = {}
        units = []
        for seen in sorted(self._files.values(), key=lambda s: s.path):
            if seen.study_uid:
                studies.setdefault(seen.study_uid, []).append(seen)
            else:
                units.append(self._unit([seen]))
        units += [self._unit(group) for group in studies.values()]
        self._files.clear()
        return sorted(filter(None, units), key=lambda u: u.paths)

    def _unit(self, group: list[Seen]) -> Unit | None:
        hashes = tuple(s.sha256 for s in group)
        if all(map(self.known, hashes)):
            self.skipped += len(group)
            return None
        paths = tuple(Path(s.path) for s in group)
        return Unit(paths, hashes, Kind(group[0].kind), study=group[0].study_uid, root=common_root(paths))


def chunks(items: list, size: int, weight: Callable[[object], int] = lambda _: 1) -> Iterator[list]:
    """`items` in consecutive lists of about `size` total weight (a study weighs its file count)."""
    chunk, total = [], 0
    for item in items:
        chunk.append(item)
        total += weight(item)
        if total >= size:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk
