"""read → code: the one path every entry point (CLI, watcher, PACS hook, batch) takes.

Every input is isolated here, once for all entry points: whatever a reader or the coder raises on one
input (a library tripping on a malformed file, a bug of ours) becomes that input's `InputError` — one
line for a person, exit status 2, `failed/` — and the other inputs are still read and written. The
reason names the failure's class, never its message (which may quote the file's values); the traceback
goes to the debug log. Libraries' warnings and log records are kept off stderr meanwhile (`quiet`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .billing import decide
from .code import CodingSettings, code_findings
from .errors import InputError
from .models import ExamResult, Findings
from .names import path_to_text
from .quiet import captured
from .read import read_path
from .read.layout.values import DateOrder
from .read.options import ReadOptions

log = logging.getLogger(__name__)


def result_of(findings: Findings, settings: CodingSettings, today: dt.date | None = None) -> ExamResult:
    """Attach the coding block, then the billing state, to a reader's findings. `today` (default: the
    local date) ends the payer's filing window. Readers name the source by the path they were given;
    a result, which is stored and exported as UTF-8, names it as text (`names.path_to_text`)."""
    coding = code_findings(findings, settings)
    source = findings.source.model_copy(update={"path": path_to_text(findings.source.path)})
    return ExamResult(**{**dict(findings), "source": source}, coding=coding,
                      billing=decide(findings, coding, settings, today))


def read_options(settings: CodingSettings, *, password: str | None = None, ocr: bool = True) -> ReadOptions:
    """The readers' options of a run: the entry point's choices, the site's date order and limits."""
    return ReadOptions(password=password, ocr=ocr, date_order=DateOrder(settings.date_order),
                       max_pages=settings.max_pages, max_page_pixels=settings.max_page_pixels)


def process(path: Path, settings: CodingSettings, *, password: str | None = None,
            ocr: bool = True) -> Iterator[ExamResult | InputError]:
    """Read and code one input; bad inputs come back as `InputError` values, never as exceptions."""
    yield from _isolated(path, read_path(path, read_options(settings, password=password, ocr=ocr)), settings)


def process_study(paths: list[Path], settings: CodingSettings, *, root: Path | None = None,
                  ocr: bool = True, hashes: Mapping[Path, str] | None = None,
                  ) -> Iterator[ExamResult | InputError]:
    """Read and code DICOM objects given as files, coded together per study (normally one): the unit
    of the folder watcher and the PACS hook, whose objects do not sit in a folder of their own, and of
    a batch run, whose studies may span folders. `root`: the source path of a multi-object study;
    `hashes`: the files' sha256 when the caller has them already."""
    from .read.dicom import read_dicom
    read = read_dicom(paths, root=root, options=read_options(settings, ocr=ocr), hashes=hashes)
    yield from _isolated(paths[0], read, settings)


def _isolated(path: Path, read: Iterable[Findings | InputError], settings: CodingSettings,
              ) -> Iterator[ExamResult | InputError]:
    """`read`'s findings coded, each step inside `captured()` (not across the yields: the caller's own
    work between two inputs is not the readers'). A reader that raises has ended its input: what it
    yielded before stands, the rest of it is `path`'s error; a coder that raises fails that exam alone."""
    items = iter(read)
    while True:
        try:
            with captured():
                item = next(items)
        except StopIteration:
            return
        except InputError as err:
            yield err
            return
        except Exception as err:
            yield _internal(path, "unreadable input", err)
            return
        if isinstance(item, InputError):
            yield item
            continue
        try:
            with captured():
                result = result_of(item, settings)
        except Exception as err:
            yield _internal(item.source.path, "not coded", err)
            continue
        yield result


def _internal(path: str | Path, what: str, err: Exception) -> InputError:
    log.debug("%s: internal error (%s); traceback:", what, type(err).__name__, exc_info=err)
    return InputError(path, f"{what} (internal error: {type(err).__name__})")
