"""Review flags: the causes of coding.md §6, each with a stable key and the check it asks of a coder.

Only these causes raise `needs_review`; routine rules of ours are explained in a line's `reason`
instead, so that a flag always means "a human must look". Keys are stable: users' scripts and the
store filter on them. Flags are listed in the order of §6.
"""

from __future__ import annotations

from ..models import Flag

CHECKS: dict[str, str] = {
    # §6.1
    "no_usable_score": "check the report for a usable score and for the patient's sex, age and "
                       "menopausal status, then set the category by hand",
    # §6.2
    "no_billable_study": "check which study was done; a total-body scan alone is commonly billed with "
                         "an unlisted, payer-specific code",
    "unknown_scan_or_site": "check what this scan, region, unit or value is and whether it changes the "
                            "CPT lines or the category",
    # §6.3
    "vfa_fracture_not_acute": "check whether the fracture is old (prevalent: Z87.310, as coded) or "
                              "current (M80.08XA first)",
    # §6.4
    "screening_code_alone": "Medicare denies Z13.820 alone; find an indication in the order or history",
    # §6.5
    "below_expected_range": "check the physician's wording and any secondary cause before billing "
                            "M85.8- for a Z-score result",
    # §6.6
    "impression_disagrees": "the physician's diagnosis is coded; confirm it with the interpreting "
                            "physician or correct the report",
    # §6.7
    "vertebra_exclusion_unresolved": "check which vertebrae the physician excluded and the spine "
                                     "T-score that remains; the category was set from the other sites",
    # §6.8
    "value_doubt": "check these values against the report",
    "conflicting_values": "check which value the report states for this site",
    "implausible_value": "check these numbers against the report (a lost decimal point?); implausible "
                         "scores were not used",
}


def flag(key: str, detail: str) -> Flag:
    """A flag of one cause: what was found (`detail`), then what a coder should check."""
    return Flag(code=key, message=f"{detail} — {CHECKS[key]}.")


def in_order(flags: list[Flag]) -> list[Flag]:
    order = list(CHECKS)
    return sorted(flags, key=lambda f: order.index(f.code))
