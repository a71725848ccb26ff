"""ICD-10-CM lines in claim order: the finding first, then the indications; each with its reason.

coding.md §3: M81.0/M81.8 for osteoporosis, M85.8- by the deciding site and side for low bone mass or
a Z-score below the expected range (M85.89 across regions; never M85.80), M80.08XA first for an acute
VFA fracture, Z87.310 for an old one, then the indication codes, and Z13.820 never first.
"""

from __future__ import annotations

from ..models import Category, Flag, FlagCode, Fracture, IcdLine, Vfa
from .category import OURS, WORDS, Diagnosis
from .flags import flag
from .impression import Statement, Verdict
from .indications import Found
from .tables import IcdTable

_LOW = {Category.LOW_BONE_MASS, Category.BELOW_EXPECTED}
_NO_FINDING = {Category.NORMAL, Category.WITHIN_EXPECTED}


def icd10_lines(table: IcdTable, dx: Diagnosis, verdict: Verdict, stated: Statement | None,
                found: list[Found], vfa: Vfa) -> tuple[list[IcdLine], list[Flag]]:
    """The lines from the ICD-10-CM `table` in force on the exam's date."""
    flags: list[Flag] = []
    explanation = "; ".join(p for p in (dx.explanation, verdict.note) if p)
    finding = _finding(table, dx, verdict.coded, stated)
    acute = [f for f in vfa.fractures if f.acute is True and f.grade != 0]
    old = [f for f in vfa.fractures if f.acute is not True and f.grade != 0]
    if acute:
        replaced = f"; it replaces {finding[0]}" if finding else ""
        finding = (table.finding["current_vertebral_fracture"],
                   f"VFA shows an acute fracture ({_vertebrae(acute)}): osteoporosis with a current "
                   f"vertebral fracture, initial encounter, coded first ({OURS}){replaced}")

    reasons: dict[str, list[str]] = {}
    if old:
        reasons[table.finding["fracture_history"]] = [
            f"VFA shows a fracture not documented as acute ({_vertebrae(old)}): coded as a history of "
            f"osteoporotic fracture ({OURS})"]
        flags.append(flag(FlagCode.VFA_FRACTURE_NOT_ACUTE,
                          f"VFA fracture at {_vertebrae(old)} with acute {_acute_words(old)}"))
    for f in found:
        reasons.setdefault(f.indication.code, []).append(f"{f.indication.name}: {f.evidence} ({OURS})")
    screening = table.finding["screening"]
    if not finding and verdict.coded in _NO_FINDING and not reasons:
        reasons[screening] = [f"{WORDS[verdict.coded]} and no indication found: screening code ({OURS}); "
                              "Medicare denies it alone"]
    if screening in reasons:          # never first: after every other code
        reasons[screening] = reasons.pop(screening)

    lines = [IcdLine(code=finding[0], reason=f"{finding[1]}; {explanation}")] if finding else []
    lines += [IcdLine(code=code, reason="; ".join(why)) for code, why in reasons.items()]
    if lines and not finding and explanation:
        lines[0] = IcdLine(code=lines[0].code, reason=f"{lines[0].reason}; no finding code: {explanation}")
    if [line.code for line in lines] == [screening]:
        flags.append(flag(FlagCode.SCREENING_CODE_ALONE, "Z13.820 is the only diagnosis code"))
    if verdict.coded is Category.BELOW_EXPECTED:
        low = dx.below_normal()
        flags.append(flag(FlagCode.BELOW_EXPECTED_RANGE, "Z-score below the expected range for age"
                          + (f" ({low[0].text()})" if low else "")))
    for line in lines:
        if line.code in table.never or line.code not in table.codes:
            raise ValueError(f"coder bug: {line.code} is not a code this coder may emit")
    return lines, flags


def _finding(table: IcdTable, dx: Diagnosis, coded: Category,
             stated: Statement | None) -> tuple[str, str] | None:
    """The bone density finding code and its reason, or None (normal, or no site to code)."""
    if coded is Category.OSTEOPOROSIS:
        if stated and stated.other_cause:
            return (table.finding["osteoporosis_other"],
                    f"osteoporosis documented as '{stated.other_cause}': other osteoporosis, "
                    "no current fracture")
        return table.finding["osteoporosis"], "osteoporosis without a current fracture"
    if coded not in _LOW:
        return None
    low = dx.below_normal() or ([dx.lowest] if dx.lowest else sorted(dx.readings, key=lambda r: r.value)[:1])
    if not low:
        return None
    regions = list(dict.fromkeys(r.region for r in low))
    if len(regions) > 1:
        return (table.finding["multiple_regions"],
                f"{WORDS[coded]} in more than one region ({', '.join(r.text() for r in low)}): "
                f"M85.89, multiple sites ({OURS})")
    deciding = low[0]
    sides = table.low_density[deciding.region]
    code = sides.get("any") or sides[deciding.m.side or "unknown"]
    return code, (f"{WORDS[coded]}, coded by the deciding site and side ({deciding.text()}): "
                  f"{table.codes[code]} ({OURS}; never M85.80)")


def _vertebrae(fractures: list[Fracture]) -> str:
    return ", ".join((f.vertebra or "vertebra not named") + (f" grade {f.grade}" if f.grade else "")
                     for f in fractures)


def _acute_words(fractures: list[Fracture]) -> str:
    states = {f.acute for f in fractures}
    return "not stated" if states == {None} else "false" if states == {False} else "false or not stated"
