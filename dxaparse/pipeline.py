"""read → code: the one path every entry point (CLI, watcher, PACS hook, batch) takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

from .billing import decide
from .code import CodingSettings, code_findings
from .errors import InputError
from .models import ExamResult, Findings
from .read import read_path
from .read.layout.values import DateOrder
from .read.options import ReadOptions


def result_of(findings: Findings, settings: CodingSettings, today: dt.date | None = None) -> ExamResult:
    """Attach the coding block, then the billing state, to a reader's findings. `today` (default: the
    local date) ends the payer's filing window."""
    coding = code_findings(findings, settings)
    return ExamResult(**dict(findings), coding=coding, billing=decide(findings, coding, settings, today))


def read_options(settings: CodingSettings, *, password: str | None = None, ocr: bool = True) -> ReadOptions:
    """The readers' options of a run: the entry point's choices, the site's date order and limits."""
    return ReadOptions(password=password, ocr=ocr, date_order=DateOrder(settings.date_order),
                       max_pages=settings.max_pages, max_page_pixels=settings.max_page_pixels)


def process(path: Path, settings: CodingSettings, *, password: str | None = None,
            ocr: bool = True) -> Iterator[ExamResult | InputError]:
    """Read and code one input; bad inputs come back as `InputError` values."""
    for item in read_path(path, read_options(settings, password=password, ocr=ocr)):
        yield item if isinstance(item, InputError) else result_of(item, settings)


def process_study(paths: list[Path], settings: CodingSettings, *, root: Path | None = None,
                  ocr: bool = True, hashes: Mapping[Path, str] | None = None,
                  ) -> Iterator[ExamResult | InputError]:
    """Read and code DICOM objects given as files, coded together per study (normally one): the unit
    of the folder watcher and the PACS hook, whose objects do not sit in a folder of their own, and of
    a batch run, whose studies may span folders. `root`: the source path of a multi-object study;
    `hashes`: the files' sha256 when the caller has them already."""
    from .read.dicom import read_dicom
    try:
        for item in read_dicom(paths, root=root, options=read_options(settings, ocr=ocr), hashes=hashes):
            yield item if isinstance(item, InputError) else result_of(item, settings)
    except InputError as err:
        yield err
