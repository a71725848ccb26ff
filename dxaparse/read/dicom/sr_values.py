"""One SR measured value, checked before it is used: its units, its number, its plausible range.

The rule of every reader: take what is certain, flag what is not. A value whose units are another
spelling of the expected ones (`{SD}` for a T-score, `mg/cm2` for BMD) is read, converted; a value
whose units are unknown is read but noted (`exam.unrecognized`, so a person looks); a value whose units
belong to another quantity, that has no units while nothing else says what it is, that is not a number
or that no scanner would print is refused: it is never coded, and the reason goes to `exam.doubts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydicom.dataset import Dataset

from ... import vendors
from ...models import Doubt, DoubtReason
from .header import as_text
from .sr_terms import SrTerms

FIELD_OF_KIND = {"tbs": "tbs", "frax_major": "frax.major", "frax_hip": "frax.hip",
                 "vfa_grade": "vfa.fractures"}
"""The result path a refused value of each kind would have filled; every other kind is a measurement's."""


@dataclass(frozen=True)
class Checked:
    value: float | None = None    # None: refused, `problem` says why
    problem: Doubt | None = None  # why the value was refused (for exam.doubts)
    note: str | None = None       # what was odd but read anyway (for exam.unrecognized)


def units_of(item: Dataset) -> str | None:
    """The units as sent (code value, else meaning), or None when the item has none."""
    values = item.get("MeasuredValueSequence")
    units = (values[0].get("MeasurementUnitsCodeSequence") or [Dataset()])[0] if values else Dataset()
    return as_text(units.get("CodeValue") or units.get("CodeMeaning"))


def check(item: Dataset, kind: str, coded: bool, terms: SrTerms, what: str) -> Checked:
    """The value of NUM `item` read as quantity `kind`; `coded`: its concept code says what it is, so
    missing units leave no doubt. `what` names the value in messages (`"BMD" in "L1-L4"`)."""
    raw = units_of(item)
    unit = terms.unit(vendors.normalize_label(raw)) if raw else None
    note = None

    def refused(reason: DoubtReason, detail: str) -> Checked:
        return Checked(problem=Doubt(field=FIELD_OF_KIND.get(kind, "measurements"), reason=reason,
                                     detail=detail))

    if raw is None and not coded:
        return refused(DoubtReason.UNITS_MISSING, f"SR value without units: {what}")
    if raw is not None and unit is None:
        note = f'units "{raw}" of {what}'
    elif unit is not None and kind not in terms.units[unit.unit]:
        return refused(DoubtReason.UNITS_MISMATCH, f'SR units do not fit the value: {what} has units "{raw}"')
    try:
        value = float(item.MeasuredValueSequence[0].get("NumericValue"))
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        return refused(DoubtReason.UNREADABLE, f"SR value is not a number: {what}")
    value = round(value * unit.factor, 6) if unit else value
    low, high = terms.plausible[kind]
    if kind == "vfa_grade" and not (value.is_integer() and low <= value <= high):
        return refused(DoubtReason.IMPLAUSIBLE, f"SR value is not a Genant grade (0-3): {what}")
    if not low <= value <= high:
        return refused(DoubtReason.IMPLAUSIBLE, f"SR value out of the plausible range {low:g} to {high:g}: "
                                                f"{what} is {value:g}")
    return Checked(value, note=note)
