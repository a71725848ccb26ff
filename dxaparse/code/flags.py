"""Review flags: the causes of coding.md §6, each with a stable key and the check it asks of a coder.

Only these causes raise `needs_review`; routine rules of ours are explained in a line's `reason`
instead, so that a flag always means "a human must look". The keys are the `FlagCode` vocabulary of
the result format (stable: users' scripts and the store filter on them), in the order of §6.
"""

from __future__ import annotations

from ..models import Flag, FlagCode

CHECKS: dict[FlagCode, str] = {
    # §6.1
    FlagCode.NO_USABLE_SCORE:
        "check the report for a usable score and for the patient's sex, age and menopausal status, then "
        "set the category by hand",
    # §6.2
    FlagCode.NO_BILLABLE_STUDY:
        "check which study was done; a total-body scan alone is commonly billed with an unlisted, "
        "payer-specific code",
    FlagCode.UNKNOWN_SCAN_OR_SITE:
        "check what this scan, region, unit or value is and whether it changes the CPT lines or the "
        "category",
    # §6.3
    FlagCode.VFA_FRACTURE_NOT_ACUTE:
        "check whether the fracture is old (prevalent: Z87.310, as coded) or current (M80.08XA first)",
    # §6.4
    FlagCode.SCREENING_CODE_ALONE:
        "Medicare denies Z13.820 alone; find an indication in the order or history",
    # §6.5
    FlagCode.BELOW_EXPECTED_RANGE:
        "check the physician's wording and any secondary cause before billing M85.8- for a Z-score result",
    # §6.6
    FlagCode.IMPRESSION_DISAGREES:
        "the physician's diagnosis is coded; confirm it with the interpreting physician or correct the "
        "report",
    # §6.7
    FlagCode.VERTEBRA_EXCLUSION_UNRESOLVED:
        "check which vertebrae the physician excluded and the spine T-score that remains; the category "
        "was set from the other sites",
    # §6.8
    FlagCode.VALUE_DOUBT:
        "check these values against the report",
    FlagCode.CONFLICTING_VALUES:
        "check which value the report states for this site",
    FlagCode.IMPLAUSIBLE_VALUE:
        "check these numbers against the report (a lost decimal point?); implausible scores were not used",
    FlagCode.UNCLEAR_TERM:
        "check the spelling in the report; if the term is meant, add its code by hand",
    FlagCode.DAMAGED_INPUT:
        "the input file is damaged and results may be missing from what was read: code from the original "
        "report, or have the scanner or PACS send it again",
}


def flag(key: FlagCode, detail: str) -> Flag:
    """A flag of one cause: what was found (`detail`), then what a coder should check."""
    return Flag(code=key, message=f"{detail} — {CHECKS[key]}.")


def unclear_terms(details: list[str]) -> list[Flag]:
    """One `unclear_term` flag for every term one letter off a coded one (code/near_miss.py)."""
    return [flag(FlagCode.UNCLEAR_TERM, "; ".join(details))] if details else []


def in_order(flags: list[Flag]) -> list[Flag]:
    order = list(FlagCode)
    return sorted(flags, key=lambda f: order.index(f.code))
