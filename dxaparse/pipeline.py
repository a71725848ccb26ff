"""read → code: the one path every entry point (CLI, watcher, PACS hook, batch) takes, `run_unit`.

Each entry point builds a `unit.Unit` for what it found and one `unit.RunOptions` for its run, and
calls `run_unit`; what comes back is the unit's `unit.Outcome` (results, rejected objects, failure).

Every input is isolated here, once for all entry points: whatever a reader or the coder raises on one
input (a library tripping on a malformed file, a bug of ours) becomes that input's `InputError` — one
line for a person, exit status 2, `failed/` — and the other inputs are still read and written. The
reason names the failure's class, never its message (which may quote the file's values); the traceback
goes to the debug log. Libraries' warnings and log records are kept off stderr meanwhile (`quiet`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from .billing import decide
from .code import CodingSettings, code_findings
from .errors import InputError
from .history import History, compare, lookup
from .history.prior import NONE
from .isolate import Isolator, Limits, code_here
from .models import ExamResult, Findings
from .names import path_to_text
from .quiet import captured
from .read import read_file
from .read.files import Kind, not_regular_at
from .unit import Outcome, RunOptions, Unit, units_of

log = logging.getLogger(__name__)


def result_of(findings: Findings, settings: CodingSettings, today: dt.date | None = None,
              history: History = NONE) -> ExamResult:
    """Attach the coding block, the billing state and the comparison with the prior exam to a reader's
    findings. `today` (default: the local date) ends the payer's filing window; `history` is what the
    store holds of the patient (`history.lookup`). Readers name the source by the path they were given;
    a result, which is stored and exported as UTF-8, names it as text (`names.path_to_text`)."""
    coding = code_findings(findings, settings)
    source = findings.source.model_copy(update={"path": path_to_text(findings.source.path)})
    return ExamResult(**{**dict(findings), "source": source}, coding=coding,
                      billing=decide(findings, coding, settings, today, history),
                      comparison=compare(findings, history, settings))


def run_unit(unit: Unit, options: RunOptions, isolator: Isolator | None = None) -> Outcome:
    """Read and code one unit into its outcome: the one call every entry point makes. Under the site's
    limits: in `isolator`'s child process (the services, which run threads), or in this process
    (`isolate.code_here`: `dxaparse code`, batch workers). Whatever goes wrong is the unit's outcome,
    never an exception (but `isolate.Cancelled`: the service is stopping)."""
    try:
        if isolator is not None:
            items = isolator.code(unit.paths[0], read_and_code, unit, options)
        else:
            items = code_here(Limits.of(options.settings), unit.paths[0], read_and_code, unit, options)
    except Exception as err:  # the isolation itself failing (an answer that does not travel back)
        items = [_internal(unit.paths[0], "not coded", err)]
    return Outcome.of(unit, items)


def read_and_code(unit: Unit, options: RunOptions) -> Iterator[ExamResult | InputError]:
    """The unit's files read and coded, each error an `InputError` value. A file swapped for a link or
    a special file since it was found (minutes or hours ago, for a batch survey) fails alone and is not
    opened; the rest are read. The readers take the unit's hashes: they hash nothing again."""
    refused = {p: reason for p in unit.paths if (reason := not_regular_at(p))}
    for path, reason in refused.items():
        yield InputError(path, reason)
    rest = unit.without(set(refused))
    if rest is None:
        return
    read_options = options.read_options()
    if rest.kind is Kind.DICOM:
        from .read.dicom import read_dicom
        read = read_dicom(list(rest.paths), root=rest.root, options=read_options,
                          hashes=dict(zip(rest.paths, rest.hashes, strict=True)))
    else:
        read = read_file(rest.paths[0], read_options, rest.hashes[0])
    yield from _isolated(rest.paths[0], read, options)


def process(path: Path, settings: CodingSettings, *, password: str | None = None,
            ocr: bool = True) -> Iterator[ExamResult | InputError]:
    """Read and code one input as `dxaparse code` does — a file, or a folder holding one exam — in this
    process without limits: for library use and tests. Bad inputs come back as `InputError` values."""
    options = RunOptions(settings, ocr=ocr, password=password)
    for unit in units_of(path):
        if isinstance(unit, InputError):
            yield unit
        else:
            yield from read_and_code(unit, options)


def _isolated(path: Path, read: Iterable[Findings | InputError], options: RunOptions,
              ) -> Iterator[ExamResult | InputError]:
    """`read`'s findings coded, each step inside `captured()` (not across the yields: the caller's own
    work between two inputs is not the readers'). A reader that raises has ended its input: what it
    yielded before stands, the rest of it is `path`'s error; a coder that raises fails that exam alone.
    Each exam's history is looked up here, in the run's store (`RunOptions.store`), once for every entry
    point: the one place history enters coding."""
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
                settings = options.settings
                result = result_of(item, settings, history=lookup(options.store, item, settings))
        except Exception as err:
            yield _internal(item.source.path, "not coded", err)
            continue
        yield result


def _internal(path: str | Path, what: str, err: Exception) -> InputError:
    """The one form of an internal error: its class, never its message (which may quote the file)."""
    log.debug("%s: internal error (%s); traceback:", what, type(err).__name__, exc_info=err)
    error = InputError(path, f"{what} (internal error: {type(err).__name__})")
    error.__cause__ = err  # a MemoryError under a memory cap is then named as the limit (`isolate`)
    return error
