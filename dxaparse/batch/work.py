"""What a worker runs: pure top-level functions, so a process pool or a Dask cluster can ship them."""

from __future__ import annotations

from ..pipeline import run_unit
from ..unit import RunOptions, Unit

Done = tuple[list[str], list[tuple[str, str]]]
"""A coded unit as it travels back: result JSON texts, and (path, reason) of each of its files that failed
(the pipeline's rule: with a result, the objects the reader rejected; without one, every file). Text
pickles in microseconds where a result model takes a tenth of a millisecond."""


def code_units(units: list[Unit], options: RunOptions) -> list[Done]:
    """A chunk of units (one task: fewer round trips), each coded exactly as `dxaparse code` would, under
    the site's limits in the worker process (a pool worker codes in its main thread), and returned as
    `Done`."""
    out = []
    for unit in units:
        coded = run_unit(unit, options)
        out.append(([r.model_dump_json() for r in coded.results],
                    [(str(path), coded.reason(path)) for path in coded.failed]))
    return out
