"""What a worker runs: pure top-level functions, so a process pool or a Dask cluster can ship them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..code import CodingSettings
from ..errors import InputError
from ..isolate import Limits, code_here
from ..models import ExamResult
from ..pipeline import process, process_study
from ..read.files import not_regular_at
from .plan import Unit

log = logging.getLogger(__name__)

Done = tuple[list[str], list[tuple[str, str]]]
"""A coded unit as it travels back: result JSON texts and (path, reason) per bad input. Text pickles
in microseconds where a result model takes a tenth of a millisecond."""


def code_unit(unit: Unit, settings: CodingSettings, *, password: str | None = None,
              ocr: bool = True) -> list[ExamResult | InputError]:
    """Read and code one unit, exactly as `dxaparse code` would, under the site's limits (in the worker
    process: a pool worker codes in its main thread): a DICOM study spread over several folders gets
    their common folder as its source path. A file swapped for a link or a special file since the
    survey (minutes or hours ago, in a large tree) fails alone; the rest are read."""
    paths = [Path(p) for p in unit.paths]
    refused = {p: reason for p in paths if (reason := not_regular_at(p))}
    if refused:
        errors: list[ExamResult | InputError] = [InputError(p, reason) for p, reason in refused.items()]
        kept = [(str(p), sha) for p, sha in zip(paths, unit.hashes, strict=True) if p not in refused]
        if not kept:
            return errors
        rest = Unit(tuple(p for p, _ in kept), tuple(sha for _, sha in kept), unit.study)
        return errors + code_unit(rest, settings, password=password, ocr=ocr)
    limits = Limits.of(settings)
    try:
        if unit.study:
            root = Path(os.path.commonpath([p.parent for p in paths])) if len(paths) > 1 else None
            return code_here(limits, paths[0], process_study, paths, settings, root=root, ocr=ocr,
                             hashes=dict(zip(paths, unit.hashes, strict=True)))
        return code_here(limits, paths[0], process, paths[0], settings, password=password, ocr=ocr)
    except Exception as err:  # a bug in a reader or the coder must not stop the other units
        log.error("internal error on %d file(s): %s", len(paths), type(err).__name__)
        log.debug("traceback", exc_info=True)
        return [InputError(paths[0], f"internal error ({type(err).__name__}); see the log with -vv")]


def code_units(units: list[Unit], settings: CodingSettings, password: str | None = None,
               ocr: bool = True) -> list[Done]:
    """A chunk of units (one task: fewer round trips), each returned as `Done`."""
    out = []
    for unit in units:
        items = code_unit(unit, settings, password=password, ocr=ocr)
        out.append(([i.model_dump_json() for i in items if isinstance(i, ExamResult)],
                    [(i.path, i.reason) for i in items if isinstance(i, InputError)]))
    return out
