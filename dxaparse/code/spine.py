"""The one lumbar spine score that takes part in the diagnosis, after vertebral exclusion.

ISCD: exclude a vertebra whose T-score differs by more than 1.0 from its neighbours (or that the
scanner operator excluded), diagnose from the remaining 3 or 2, never from one. Exclusions reach us
as the printed ranges (Hologic prints L2-L4, L1,L3-L4 ...): we pick the widest printed range that
leaves the excluded vertebrae out. Which vertebrae are the outliers is decided only when it is clear
(one smallest set whose removal leaves no jump); a step between two pairs is left to a human (§6.7).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..models import Measurement
from ..vendors import spine_vertebrae
from .readings import Reading, Score, reading
from .tables import diagnosis

_ORDER = ["L1", "L2", "L3", "L4"]


@dataclass(frozen=True)
class SpineChoice:
    reading: Reading | None
    note: str = ""            # for the reason: how the range was chosen
    unresolved: str = ""      # for a §6.7 flag: a vertebra to leave out and no printed range doing it


def choose_spine(rows: list[Measurement], score: Score) -> SpineChoice:
    """The spine reading to use among the lumbar_spine measurements, with why."""
    rules = diagnosis()
    singles: dict[str, float] = {}
    excluded: set[str] = set()
    ranges: list[tuple[Reading, list[str]]] = []
    for m in rows:
        vert = m.vertebrae or spine_vertebrae(m.label) or []
        r = reading(m, score)
        if len(vert) == 1:
            if m.excluded:
                excluded.add(vert[0])
            elif r is not None:
                singles.setdefault(vert[0], r.value)
        elif r is not None:
            ranges.append((r, vert))

    limit = rules.max_adjacent_difference
    outliers, unclear = _outliers(singles, limit, rules.min_vertebrae)
    if unclear:
        return SpineChoice(None, unresolved=unclear)

    avoid = excluded | outliers
    checked = [(r, v) for r, v in ranges if len(v) >= rules.min_vertebrae]
    if avoid:
        why = _why_excluded(excluded, outliers, singles, limit)
        clean = [(r, v) for r, v in checked if not set(v) & avoid]
        if not clean:
            return SpineChoice(None, unresolved=f"{why}, and no printed spine range leaves "
                                                f"{', '.join(sorted(avoid))} out")
        best = max(clean, key=lambda rv: len(rv[1]))[0]
        return SpineChoice(best, note=f"{why}: the printed range {_name(best)} leaves it out (ISCD "
                                      "vertebral exclusion; using the printed range is a rule of ours)")
    if checked:
        best = max(checked, key=lambda rv: len(rv[1]))[0]
        note = "" if singles else (f"only the spine total ({best.where}) was given, so its vertebrae "
                                   "could not be checked for a jump; it is used as printed")
        return SpineChoice(best, note=note)
    unnamed = [r for r, v in ranges if not v]
    if unnamed:
        return SpineChoice(unnamed[0], note=f"the spine total ({unnamed[0].where}) names no vertebrae and is "
                                            "used as printed")
    if singles:
        return SpineChoice(None, note="only single vertebrae have spine scores, and one vertebra never "
                                      "decides (ISCD)")
    return SpineChoice(None)


def _name(r: Reading) -> str:
    return r.m.label or "-".join(r.m.vertebrae)


def _outliers(singles: dict[str, float], limit: float, keep: int) -> tuple[set[str], str]:
    """The fewest vertebrae whose removal leaves no jump > limit between neighbours, when that set is
    unique; otherwise ({}, why it is unclear)."""
    order = [v for v in _ORDER if v in singles]
    jumps = _jumps(order, singles, limit)
    if not jumps:
        return set(), ""
    for k in range(1, len(order) - keep + 1):
        fits = [set(out) for out in itertools.combinations(order, k)
                if not _jumps([v for v in order if v not in out], singles, limit)]
        if len(fits) == 1:
            return fits[0], ""
        if fits:
            options = " or ".join(",".join(sorted(f)) for f in fits)
            return set(), f"{jumps}; leaving out {options} would each remove it: which to exclude is unclear"
    return set(), f"{jumps}; no {keep} or more vertebrae remain without a jump"


def _jumps(order: list[str], singles: dict[str, float], limit: float) -> str:
    """The jumps between neighbouring scored vertebrae, in words ("" when none)."""
    return "; ".join(f"{a} ({singles[a]:g}) and {b} ({singles[b]:g}) differ by more than {limit:.1f}"
                     for a, b in itertools.pairwise(order) if abs(singles[a] - singles[b]) > limit)


def _why_excluded(excluded: set[str], outliers: set[str], singles: dict[str, float], limit: float) -> str:
    parts = []
    if outliers:
        parts.append(", ".join(f"{v} ({singles[v]:g})" for v in sorted(outliers))
                     + f" differs by more than {limit:.1f} from the adjacent vertebrae")
    if excluded:
        parts.append(f"{', '.join(sorted(excluded))} marked excluded")
    return "; ".join(parts)
