"""The diagnostic category from the numbers (ISCD Official Positions 2023 / WHO; coding.md §2).

Who the patient is decides the score (T for postmenopausal women and men 50+, Z otherwise); the lowest
usable score among the diagnostic sites decides the category. Everything that shaped the choice is
kept as plain sentences, because the category itself has no reason field: the finding code's
reason carries them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Category, Flag, FlagCode, Measurement, Patient, Site
from .flags import flag
from .readings import Reading, Score, reading
from .spine import choose_spine
from .tables import diagnosis

OURS = "rule of ours"

WORDS = {
    Category.NORMAL: "normal",
    Category.LOW_BONE_MASS: "low bone mass",
    Category.OSTEOPOROSIS: "osteoporosis",
    Category.WITHIN_EXPECTED: "within the expected range for age",
    Category.BELOW_EXPECTED: "below the expected range for age",
    Category.INDETERMINATE: "indeterminate",
}


@dataclass(frozen=True)
class Diagnosis:
    category: Category
    readings: tuple[Reading, ...]   # usable scores; for an indeterminate patient the T-scores (else Z)
    lowest: Reading | None          # the deciding reading; None when indeterminate
    explanation: str                # sentences for a reason
    flags: tuple[Flag, ...]

    def below_normal(self) -> list[Reading]:
        """Readings outside the normal / expected range, lowest first."""
        return sorted((r for r in self.readings if not _is_normal(r)), key=lambda r: r.value)


@dataclass(frozen=True)
class _Group:
    score: Score | None
    why: str                        # who the patient is, for the reason, or why no score type applies
    both_readings: bool = False     # indeterminate woman 40-49: show the T and the Z reading


def diagnose(patient: Patient, measurements: list[Measurement]) -> Diagnosis:
    group = _group(patient)
    score = group.score or "t"
    readings, notes, flags = _readings(measurements, score)
    if group.score is None and not readings:
        readings, notes, flags = _readings(measurements, "z")
    if group.score is None:
        detail = group.why
        if group.both_readings:
            detail += "; " + "; ".join(_reading_of(measurements, s) for s in ("t", "z"))
        return Diagnosis(Category.INDETERMINATE, tuple(readings), None, detail,
                         (flag(FlagCode.NO_USABLE_SCORE, detail), *flags))
    if not readings:
        detail = (f"{group.why}; no usable {score.upper()}-score at the lumbar spine (2 or more vertebrae), "
                  "total hip, femoral neck or 33% radius")
        detail = "; ".join([detail, *notes])
        return Diagnosis(Category.INDETERMINATE, (), None, detail,
                         (flag(FlagCode.NO_USABLE_SCORE, detail), *flags))
    lowest = min(readings, key=lambda r: r.value)
    category = classify(lowest)
    notes += _ignored_lower(measurements, readings, lowest)
    decided = f"{WORDS[category]}: lowest {lowest.text()} ({_rule(category)})"
    explanation = "; ".join([decided, group.why, *notes])
    return Diagnosis(category, tuple(readings), lowest, explanation, tuple(flags))


def classify(r: Reading) -> Category:
    rules = diagnosis()
    if r.score == "z":
        return Category.BELOW_EXPECTED if r.value <= rules.below_expected_at else Category.WITHIN_EXPECTED
    if r.value >= rules.normal_from:
        return Category.NORMAL
    return Category.OSTEOPOROSIS if r.value <= rules.osteoporosis_at else Category.LOW_BONE_MASS


def _is_normal(r: Reading) -> bool:
    return classify(r) in (Category.NORMAL, Category.WITHIN_EXPECTED)


def _rule(category: Category) -> str:
    rules = diagnosis()
    t, op, z = rules.normal_from, rules.osteoporosis_at, rules.below_expected_at
    return {Category.NORMAL: f"T ≥ {t:.1f}", Category.LOW_BONE_MASS: f"{op:.1f} < T < {t:.1f}",
            Category.OSTEOPOROSIS: f"T ≤ {op:.1f}", Category.BELOW_EXPECTED: f"Z ≤ {z:.1f}",
            Category.WITHIN_EXPECTED: f"Z > {z:.1f}"}[category] + ", WHO/ISCD"


def _group(p: Patient) -> _Group:
    rules = diagnosis()
    missing = [w for w, gone in (("sex (F or M)", p.sex not in ("F", "M")), ("age", p.age_years is None))
               if gone]
    if missing:
        return _Group(None, f"{' and '.join(missing)} not known: no WHO/ISCD group applies, category "
                            f"indeterminate ({OURS})")
    age = p.age_years or 0.0
    if age < rules.child_below:
        return _Group("z", f"patient aged {age:g}, under {rules.child_below:g}: Z-scores only (ISCD)")
    if p.sex == "M":
        if age >= rules.men_t_score_from:
            return _Group("t", f"man aged {age:g}: T-scores (WHO/ISCD)")
        return _Group("z", f"man aged {age:g}, under {rules.men_t_score_from:g}: Z-scores (ISCD)")
    status = p.menopausal_status
    if status == "post":
        return _Group("t", "postmenopausal woman: T-scores (WHO/ISCD)")
    if status == "peri":
        return _Group("t", f"woman in the menopausal transition: T-scores ({OURS}; ISCD allows the WHO "
                           "classification in the menopausal transition)")
    if status == "pre":
        return _Group("z", "premenopausal woman: Z-scores (ISCD)")
    if age >= rules.women_assumed_post_from:
        return _Group("t", f"woman aged {age:g} with unknown menopausal status treated as postmenopausal "
                           f"({OURS})")
    if age < rules.women_assumed_pre_below:
        return _Group("z", f"woman aged {age:g} with unknown menopausal status treated as premenopausal "
                           f"({OURS})")
    return _Group(None, f"woman aged {age:g} with unknown menopausal status: category indeterminate ({OURS})",
                  both_readings=True)


def _readings(measurements: list[Measurement], score: Score) -> tuple[list[Reading], list[str], list[Flag]]:
    """Usable readings in tie-break order (spine, total hip, femoral neck, 33% radius), notes, flags."""
    spine = choose_spine([m for m in measurements if m.site is Site.LUMBAR_SPINE], score)
    readings = [spine.reading] if spine.reading else []
    notes = [spine.note] if spine.note else []
    flags = [flag(FlagCode.VERTEBRA_EXCLUSION_UNRESOLVED, spine.unresolved)] if spine.unresolved else []
    for site in diagnosis().diagnostic_sites:
        if site is not Site.LUMBAR_SPINE:
            readings += [r for m in measurements
                         if m.site is site and m.side != "mean" and (r := reading(m, score))]
    hips = {r.m.side for r in readings if r.region == "hip"}
    if {"left", "right"} <= hips:
        notes.append(f"both hips measured: the lower value counts ({OURS}, from ISCD)")
    if any(m.side == "mean" and m.site in (Site.TOTAL_HIP, Site.FEMORAL_NECK) for m in measurements):
        notes.append("the mean hip is not used for diagnosis (ISCD)")
    if any(r.m.site is Site.RADIUS_33 for r in readings):
        notes.append(f"the 33% radius takes part in the lowest-score rule ({OURS})")
    return readings, notes, flags


def _ignored_lower(measurements: list[Measurement], readings: list[Reading], lowest: Reading) -> list[str]:
    """Other sites with a lower score (Ward's, trochanter, mean hip ...), named so no one wonders."""
    used = {id(r.m) for r in readings}
    lower = [r for m in measurements if id(m) not in used and m.site is not Site.LUMBAR_SPINE
             and (r := reading(m, lowest.score)) and r.value < lowest.value]
    if not lower:
        return []
    return ["not used although lower: " + ", ".join(f"{r.where} {r.value:g}" for r in lower)
            + " (not a diagnostic site, or the mean hip)"]


def _reading_of(measurements: list[Measurement], score: Score) -> str:
    readings, _, _ = _readings(measurements, score)
    kind = "T-score" if score == "t" else "Z-score"
    if not readings:
        return f"{kind} reading: no usable {kind}"
    lowest = min(readings, key=lambda r: r.value)
    return f"{kind} reading: {WORDS[classify(lowest)]} ({lowest.text()})"
