"""Readers: turn an input path (DICOM object, study folder, PDF report, findings JSON) into `Findings`.

`read_path` is the one door: it sniffs what a file is from its first bytes (never from its name) and
hands it to the reader for that kind. Bad inputs come back as `InputError` values, not exceptions, so a
folder with one bad object still yields the good studies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .files import Kind, folder_files, sniff

if TYPE_CHECKING:  # the readers import these: `dxaparse.read.ocr.engine.tessdata` alone stays cheap
    from ..models import Findings
    from .options import ReadOptions


def read_path(path: Path, options: ReadOptions | None = None) -> Iterator[Findings | InputError]:
    """Read one CLI input: a file or a folder holding one exam (DICOM grouped by study).
    `options`: None for the defaults (`options.DEFAULTS`)."""
    options = options or _defaults()
    if path.is_dir():
        yield from read_folder(path, options)
        return
    yield from read_file(path, options)


def read_file(path: Path, options: ReadOptions | None = None,
              sha256: str | None = None) -> Iterator[Findings | InputError]:
    """Read one file, of whichever kind its first bytes say. `sha256`: its content hash, which the
    entry point that found the file has (`unit.Unit`); a reader called without one hashes the file."""
    options = options or _defaults()
    try:
        kind = sniff(path)
        if kind is Kind.DICOM:
            from .dicom import read_dicom
            yield from read_dicom([path], options=options, hashes={path: sha256} if sha256 else None)
        elif kind is Kind.PDF:
            from .pdf import read_pdf
            yield read_pdf(path, options, sha256=sha256)
        elif kind is Kind.JSON:
            from .findings_json import read_findings_json
            yield read_findings_json(path, sha256=sha256)
        else:
            raise InputError(path, "not a DICOM object, PDF report or findings JSON")
    except InputError as err:
        yield err


def read_folder(folder: Path, options: ReadOptions | None = None) -> Iterator[Findings | InputError]:
    """Every file below `folder`: DICOM objects coded together per study, other reports one by one."""
    options = options or _defaults()
    dicom: list[Path] = []
    for path in folder_files(folder):
        try:
            kind = sniff(path)
        except InputError as err:
            yield err
            continue
        if kind is Kind.DICOM:
            dicom.append(path)
        else:
            yield from read_path(path, options)
    if dicom:
        from .dicom import read_dicom
        yield from read_dicom(dicom, root=folder, options=options)


def _defaults() -> ReadOptions:
    from .options import DEFAULTS

    return DEFAULTS
