"""The payer's frequency rule for bone mass measurements, before a claim is sent that would be denied.

Medicare pays for one bone mass measurement every 2 years: at least 23 months must have passed following
the month in which the last covered one was performed (Medicare Benefit Policy Manual, ch. 15
§80.5.5). Counted by month, as the manual says: after one in March 2024, the months April 2024 to
February 2026 must pass, so the next is covered from 1 March 2026, whatever the day. More frequent
measurement may be covered when medically necessary; two such cases the exam itself shows:
monitoring long-term glucocorticoid therapy (Z79.52 among its codes), and an axial DXA confirming a
baseline whose first measurement was not axial DXA. Either lifts the hold, and the check says which.
Whether an ABN was signed (GA/GZ) is the reviewer's call: the coder never adds those modifiers.
"""

from __future__ import annotations

import datetime as dt

from ..code.settings import CodingSettings
from ..code.tables import in_force
from ..models import Coding, ExamResult, FrequencyCheck
from .prior import History

MONTHS_PASSED = 23
"""Whole months that must pass following the month of the last covered measurement (Medicare)."""

BONE_MASS_ROLES = {"axial": True, "axial_with_vfa": True, "peripheral": False}
"""CPT roles that are a bone mass measurement, and whether it is axial DXA (VFA alone is neither)."""

GLUCOCORTICOIDS = "Z79.52"

EXCEPTIONS = ("long-term glucocorticoid therapy (Z79.52) among the exam's indications",
              "an axial DXA confirming a baseline first measured by a non-axial method")
"""The exceptions a held exam may meet, for the hold's message."""


def eligible_from(last: dt.date) -> dt.date:
    """The first day a bone mass measurement is covered again after one on `last`."""
    year, month = divmod(last.year * 12 + last.month - 1 + MONTHS_PASSED + 1, 12)
    return dt.date(year, month + 1, 1)


def frequency_check(date: dt.date | None, coding: Coding, history: History,
                    settings: CodingSettings) -> FrequencyCheck | None:
    """What the payer's frequency rule says of an exam of `date` coded as `coding`: None when the site
    applies no rule, the exam is no bone mass measurement, or the store holds no earlier covered one."""
    if settings.frequency_rule == "none" or date is None or (axial := _axial(coding, date)) is None:
        return None
    last = next((r for r in history.earlier if _covered(r)), None)
    if last is None:
        return None
    start = eligible_from(last.exam.date)
    check = FrequencyCheck(last_covered=last.exam.date, last_sha256=last.source.sha256, eligible_from=start,
                           within_limit=date < start)
    if check.within_limit:
        if any(line.code == GLUCOCORTICOIDS for line in coding.icd10):
            check.exception = f"{EXCEPTIONS[0]}: monitoring more often may be covered"
        elif axial and not _axial(last.coding, last.exam.date):
            check.exception = (f"{EXCEPTIONS[1]} (the last, of {last.exam.date.isoformat()}, was not axial "
                               "DXA): a confirmatory measurement may be covered")
    return check


def _covered(result: ExamResult) -> bool:
    """Is a stored result a covered bone mass measurement (billed, with a bone mass code)?"""
    return result.billing.billable and _axial(result.coding, result.exam.date) is not None


def _axial(coding: Coding, date: dt.date | None) -> bool | None:
    """Whether the coded exam holds an axial DXA (True), only a non-axial bone mass measurement (False),
    or none at all (None), by the roles of its CPT codes in the table in force on its date."""
    table = in_force(date).cpt
    kinds = [BONE_MASS_ROLES[c.role] for line in coding.cpt
             if (c := table.codes.get(line.code)) is not None and c.role in BONE_MASS_ROLES]
    return any(kinds) if kinds else None
