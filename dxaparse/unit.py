"""One unit of work and the options of a run: what every entry point hands the pipeline.

Four entry points find input — `dxaparse code` (paths on the command line), the folder watcher (files
on a share), the PACS hook (a study in its spool), `dxaparse batch` (a surveyed tree) — and each used
to call the pipeline with its own keyword arguments, so an option could be dropped on one path and not
the others (`watch --no-ocr` and `batch --no-ocr` both were). Now whoever found the input builds a
`Unit` once (its files, their content hashes, its kind, its study), the command builds one `RunOptions`
for the run, and `pipeline.run_unit(unit, options)` turns the one into an `Outcome`. The readers take the
hashes from the unit: a file is hashed once, by the entry point that found it.

Cheap to import (`dxaparse code` imports it): the models are imported only where a type needs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, OverLimit
from .read.files import Kind, folder_files, sha256_file, sha256_of_hashes, sniff

if TYPE_CHECKING:
    from .code import CodingSettings
    from .models import ExamResult
    from .read.options import ReadOptions


@dataclass(frozen=True)
class RunOptions:
    """Everything a run decides about coding, for every unit of the run alike: the site's coding
    settings (with its limits and date order), whether image-only pages are read by OCR, the
    password of encrypted PDF reports (kept out of `repr`, so it is never logged), and the result store
    whose exams are the patients' history (the prior exam, the frequency rule: docs/history.md)."""

    settings: CodingSettings
    ocr: bool = True
    password: str | None = field(default=None, repr=False)
    store: Path | None = None

    def read_options(self) -> ReadOptions:
        """The readers' options: the run's choices, the site's date order and limits."""
        from .read.layout.values import DateOrder
        from .read.options import ReadOptions

        s = self.settings
        return ReadOptions(password=self.password, ocr=self.ocr, date_order=DateOrder(s.date_order),
                           max_pages=s.max_pages, max_page_pixels=s.max_page_pixels)


@dataclass(frozen=True)
class Unit:
    """Files coded together: one report (a PDF, a findings JSON, a DICOM object), or DICOM objects that
    are read together and coded per study. Built by the entry point that found the files."""

    paths: tuple[Path, ...]
    hashes: tuple[str, ...]              # sha256 of each file, in the order of `paths`
    kind: Kind
    study: str | None = None             # the StudyInstanceUID its objects share, when the finder knows it
    root: Path | None = None             # the source path of a multi-object study (default: its first file)

    def __post_init__(self) -> None:
        if len(self.paths) != len(self.hashes) or not self.paths:
            raise ValueError("a unit holds one or more files, each with its hash")

    @property
    def sha256(self) -> str:
        """The unit's content hash, as the exam coded from all of it would be named: the file's own for
        one file, the hash of the hashes for several (`read.files.sha256_of_hashes`). A coded exam is
        named by its result's `source.sha256` (which leaves out objects the reader rejected)."""
        return self.hashes[0] if len(self.hashes) == 1 else sha256_of_hashes(list(self.hashes))

    def without(self, paths: set[Path]) -> Unit | None:
        """The unit less `paths`; None when nothing is left."""
        kept = [(p, h) for p, h in zip(self.paths, self.hashes, strict=True) if p not in paths]
        if not kept:
            return None
        return replace(self, paths=tuple(p for p, _ in kept), hashes=tuple(h for _, h in kept))


def file_unit(path: Path, kind: Kind | None = None, sha256: str | None = None) -> Unit:
    """A unit of one file, its kind sniffed and its content hashed unless given. Raises `InputError`
    for a file that cannot be opened (a link, a special file: `read.files.open_regular`); an empty or
    unknown file is a unit all the same, whose reading says what it is."""
    if kind is None:
        try:
            kind = sniff(path)
        except InputError:
            kind = Kind.UNKNOWN   # the reader gives the reason (empty, unreadable)
    return Unit((path,), (sha256 or sha256_file(path),), kind)


def dicom_unit(paths: list[Path], root: Path | None = None, study: str | None = None) -> Unit:
    """DICOM objects read together, each hashed here (raises `InputError` for a link or special file)."""
    return Unit(tuple(paths), tuple(sha256_file(p) for p in paths), Kind.DICOM, study=study, root=root)


def units_of(path: Path) -> Iterator[Unit | InputError]:
    """The units of one `dxaparse code` input: a file, or a folder holding one exam — its DICOM objects
    one unit (coded per study, the folder their source path), every other report a unit of its own.
    Files that cannot be opened come back as `InputError` values."""
    if not path.is_dir():
        try:
            yield file_unit(path)
        except InputError as err:
            yield err
        except OSError as err:
            yield InputError(path, f"cannot open: {err.strerror or err}")
        return
    dicom: list[tuple[Path, str]] = []
    for file in folder_files(path):
        try:
            unit = file_unit(file)
        except InputError as err:
            yield err
            continue
        except OSError as err:
            yield InputError(file, f"cannot open: {err.strerror or err}")
            continue
        if unit.kind is Kind.DICOM:
            dicom.append((file, unit.hashes[0]))
        else:
            yield unit
    if dicom:
        yield Unit(tuple(p for p, _ in dicom), tuple(h for _, h in dicom), Kind.DICOM, root=path)


def common_root(paths: tuple[Path, ...]) -> Path | None:
    """The folder a multi-object study's files share: its source path when they came from a tree."""
    return Path(os.path.commonpath([p.parent for p in paths])) if len(paths) > 1 else None


@dataclass
class Outcome:
    """What a unit became: its exams' results, the inputs the reader rejected, and — when no exam came
    of it — the failure of the unit as a whole. The rule every entry point follows: with a result, only
    the rejected objects fail; without one, every file of the unit does."""

    unit: Unit
    results: list[ExamResult] = field(default_factory=list)
    rejected: list[InputError] = field(default_factory=list)   # the reader's (or a limit's) refusals
    failure: InputError | None = None                           # set exactly when there is no result

    @property
    def sha256(self) -> str:
        """The exam's content hash (`source.sha256`, which names its export files
        `OUT/<format>/<sha256>.<ext>`) — the first exam's, if the unit held several — or the unit's own
        when nothing was coded: what every per-exam log line names."""
        return self.results[0].source.sha256 if self.results else self.unit.sha256

    @property
    def failed(self) -> list[Path]:
        """The unit's files that failed: the rejected ones with a result, all of them without one."""
        if not self.results:
            return list(self.unit.paths)
        named = {e.path for e in self.rejected}
        return [p for p in self.unit.paths if str(p) in named]

    @property
    def over_limit(self) -> bool:
        """Refused for a resource limit: not a partial file worth reading again."""
        return any(isinstance(e, OverLimit) for e in self.rejected)

    def reason(self, path: Path | str | None = None) -> str:
        """Why `path` (default: the unit) failed."""
        for err in self.rejected:
            if path is not None and err.path == str(path):
                return err.reason
        return self.failure.reason if self.failure else "; ".join(
            dict.fromkeys(e.reason for e in self.rejected))

    @classmethod
    def of(cls, unit: Unit, items: list[ExamResult | InputError]) -> Outcome:
        """A unit's outcome from what reading and coding it gave."""
        results = [i for i in items if not isinstance(i, InputError)]
        rejected = [i for i in items if isinstance(i, InputError)]
        failure = None
        if not results:
            reason = "; ".join(dict.fromkeys(e.reason for e in rejected)) or "no DXA result in this input"
            failure = (rejected[0] if len(rejected) == 1 else
                       (OverLimit if any(isinstance(e, OverLimit) for e in rejected) else InputError)(
                           unit.paths[0], reason))
        return cls(unit, results, rejected, failure)
