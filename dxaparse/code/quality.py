"""Values the reader may have got wrong (coding.md §6.8): doubt it recorded, two different values for
one site, numbers no scanner prints, and inputs the reader found damaged.

Only the sites that can decide the category are checked: a doubtful Ward's area value changes no
code, so it needs no human. Implausible scores are also kept out of the category (readings.py). TBS and
FRAX are checked too: a TBS bills 77089, and a FRAX no scanner prints says the page was misread.
Whether the objects and the page of an exam name one patient on one day is not a question of coding
(coding.md §6 lists no such cause): those doubts hold the claim in billing instead of flagging the coding.
"""

from __future__ import annotations

from ..models import DoubtReason, Findings, Flag, FlagCode, Measurement
from .flags import flag
from .readings import describe, plausible_score
from .tables import diagnosis

IDENTITY_REASONS = frozenset({DoubtReason.PATIENT_MISMATCH, DoubtReason.DATE_MISMATCH})
"""Doubts about whose exam it is and when: billing holds, never a coding flag."""


def uncertain_values(findings: Findings) -> list[Flag]:
    """Flags for doubtful values: of the diagnostic sites, of TBS and FRAX, and of the exam (patient ID,
    dates, age, values refused, objects not read), which a claim carries too; and for damaged input,
    flagged apart because a person must go back to the input, not to a value."""
    rules = diagnosis()
    checked = [m for m in findings.measurements if rules.sites[m.site].region and not m.excluded]
    doubts = [d for d in findings.exam.doubts if d.reason not in IDENTITY_REASONS]
    out = []
    if unsure := [f"{describe(m)}: {m.doubt}" for m in checked if m.doubt] + [
            d.detail for d in doubts if d.reason is not DoubtReason.DAMAGED]:
        out.append(flag(FlagCode.VALUE_DOUBT, f"the reader is unsure of {'; '.join(unsure)}"))
    if conflicts := _conflicts(checked):
        out.append(flag(FlagCode.CONFLICTING_VALUES,
                        f"different values for one site: {'; '.join(conflicts)}"))
    if odd := _implausible(findings, checked):
        out.append(flag(FlagCode.IMPLAUSIBLE_VALUE, f"implausible: {'; '.join(odd)}"))
    if damage := [d.detail for d in doubts if d.reason is DoubtReason.DAMAGED]:
        out.append(flag(FlagCode.DAMAGED_INPUT, "; ".join(damage)))
    return out


def _implausible(findings: Findings, checked: list[Measurement]) -> list[str]:
    """Values outside diagnosis.toml's plausible ranges (NaN is outside every range)."""
    rules = diagnosis()
    odd = [f"{describe(m)} {name} {v:g}" for m in checked
           for name, v in (("T-score", m.t_score), ("Z-score", m.z_score))
           if v is not None and not plausible_score(v)]
    odd += [f"{describe(m)} BMD {m.bmd:g} g/cm²" for m in checked
            if m.bmd is not None and not _within(m.bmd, rules.bmd_range)]
    if findings.tbs is not None and not _within(findings.tbs.value, rules.tbs_range):
        odd.append(f"TBS {findings.tbs.value:g}")
    if (frax := findings.frax) is not None:
        odd += [f"FRAX {name} {v:g}%" for name, v in (("major", frax.major), ("hip", frax.hip))
                if v is not None and not _within(v, rules.frax_range)]
    return odd


def _within(value: float, limits: tuple[float, float]) -> bool:
    low, high = limits
    return low <= value <= high


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
