"""Values the reader may have got wrong (coding.md §6.8): doubt it recorded, two different values for
one site, numbers no scanner prints.

Only the sites that can decide the category are checked: a doubtful Ward's area value changes no
code, so it needs no human. Implausible scores are also kept out of the category (readings.py).
Whether the objects and the page of an exam name one patient on one day is not a question of coding
(coding.md §6 lists no such cause): those doubts hold the claim in billing instead of flagging the coding.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Doubt, DoubtReason, Flag, FlagCode, Measurement
from .flags import flag
from .readings import describe, plausible_score
from .tables import diagnosis

IDENTITY_REASONS = frozenset({DoubtReason.PATIENT_MISMATCH, DoubtReason.DATE_MISMATCH})
"""Doubts about whose exam it is and when: billing holds, never a coding flag."""


def uncertain_values(measurements: list[Measurement], exam_doubts: Sequence[Doubt] = ()) -> list[Flag]:
    """Flags for doubtful values: of the diagnostic sites, and of the exam (patient ID, dates, age, values
    refused, objects not read), which a claim carries too."""
    rules = diagnosis()
    checked = [m for m in measurements if rules.sites[m.site].region and not m.excluded]
    out = []
    if doubts := [f"{describe(m)}: {m.doubt}" for m in checked if m.doubt] + [
            d.detail for d in exam_doubts if d.reason not in IDENTITY_REASONS]:
        out.append(flag(FlagCode.VALUE_DOUBT, f"the reader is unsure of {'; '.join(doubts)}"))
    if conflicts := _conflicts(checked):
        out.append(flag(FlagCode.CONFLICTING_VALUES,
                        f"different values for one site: {'; '.join(conflicts)}"))
    low, high = rules.bmd_range
    odd = [f"{describe(m)} {name} {v:g}" for m in checked
           for name, v in (("T-score", m.t_score), ("Z-score", m.z_score))
           if v is not None and not plausible_score(v)]
    odd += [f"{describe(m)} BMD {m.bmd:g} g/cm²" for m in checked
            if m.bmd is not None and not low <= m.bmd <= high]
    if odd:
        out.append(flag(FlagCode.IMPLAUSIBLE_VALUE, f"implausible: {'; '.join(odd)}"))
    return out


def _conflicts(measurements: list[Measurement]) -> list[str]:
    seen: dict[tuple, set[tuple]] = {}
    first: dict[tuple, Measurement] = {}
    for m in measurements:
        key = (m.site, m.side, tuple(m.vertebrae) or m.label.strip().lower())
        seen.setdefault(key, set()).add((m.bmd, m.t_score, m.z_score))
        first.setdefault(key, m)
    return [f"{describe(first[k])} ({', '.join(_values(v) for v in sorted(vals, key=str))})"
            for k, vals in seen.items() if len(vals) > 1]


def _values(v: tuple) -> str:
    bmd, t, z = v
    return "/".join(f"{n} {x:g}" for n, x in (("BMD", bmd), ("T", t), ("Z", z)) if x is not None)
