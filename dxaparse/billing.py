"""Billing state: may an exam's charge leave dxaparse? Decided after coding, apart from it.

`coding.needs_review` answers a coding question (docs/coding.md §6). Whether a charge may be sent is
a different one: a perfectly coded exam still must not be billed without a patient to post it to, a
date of service, or within the payer's filing window, and a flagged exam must wait for a coder. Each
reason is a `Hold`; any hold keeps the charge (DFT^P03) back and sends results as preliminary until a
person releases it (`dxaparse release`), which records who and when. Nothing here invents a value:
a missing date or identifier is a hold, never a default.
"""

from __future__ import annotations

import calendar
import datetime as dt

from .code import CodingSettings
from .code.quality import IDENTITY_REASONS
from .code.tables import in_force
from .history import History, frequency_check
from .history.frequency import EXCEPTIONS
from .history.prior import NONE
from .models import Billing, BillingStatus, Coding, Findings, Hold, HoldReason, Release

CHECKS: dict[HoldReason, str] = {
    HoldReason.NEEDS_REVIEW: "resolve the coding's review flags, then release the charge",
    HoldReason.MISSING_PATIENT_ID: "find the patient's identifier (PID-3) in the RIS or on the order",
    HoldReason.MISSING_EXAM_DATE: "find the date of service in the RIS or on the report",
    HoldReason.PATIENT_MISMATCH: "check that every object and page of the exam belongs to this patient",
    HoldReason.DATE_MISMATCH: "check which date is the date of service",
    HoldReason.NO_TABLE_FOR_DATE: "code it by hand with the tables in force on the date of service",
    HoldReason.OUTSIDE_FILING_WINDOW: "check whether the payer still accepts the claim",
    HoldReason.RELEASE_REQUIRED: "this site bills only released exams: check and release it",
    HoldReason.NOT_ASSESSED: "re-code it, or check and release it",
    HoldReason.FREQUENCY_LIMIT: "check whether an exception applies and is documented, or whether the "
                                "patient signed an ABN (the reviewer adds GA or GZ: dxaparse never does), "
                                "then release it",
}


def hold(reason: HoldReason, detail: str) -> Hold:
    """A hold of one reason: what was found (`detail`), then what to check before releasing."""
    return Hold(reason=reason, message=f"{detail} — {CHECKS[reason]}.")


def decide(findings: Findings, coding: Coding, settings: CodingSettings,
           today: dt.date | None = None, history: History = NONE) -> Billing:
    """The billing state of a freshly coded exam; `today` (default: the local date) ends the filing
    window; `history` (the patient's exams in the store) gives identity conflicts and the payer's
    frequency rule (docs/history.md)."""
    today = today or dt.date.today()
    holds = []
    if coding.needs_review:
        holds.append(hold(HoldReason.NEEDS_REVIEW,
                          f"the coding needs review ({', '.join(f.code for f in coding.flags)})"))
    if not (findings.patient.id or "").strip():
        holds.append(hold(HoldReason.MISSING_PATIENT_ID, "the exam names no patient identifier"))
    for doubt in findings.exam.doubts:  # whose exam, and on which day: no coding flag, a hold instead
        if doubt.reason in IDENTITY_REASONS:
            holds.append(hold(HoldReason(doubt.reason.value), doubt.detail))
    for other in history.conflicts:  # never merged silently; no birth date in the message
        when = other.exam.date.isoformat() if other.exam.date else "an unknown date"
        holds.append(hold(HoldReason.PATIENT_MISMATCH,
                          f"a stored exam of {when} ({other.source.sha256[:12]}) has this patient ID but "
                          "another birth date or sex; it is not taken as this patient's history"))
    frequency = frequency_check(findings.exam.date, coding, history, settings)
    if frequency and frequency.within_limit and not frequency.exception:
        holds.append(hold(HoldReason.FREQUENCY_LIMIT,
                          f"the last covered bone mass measurement of this patient was on "
                          f"{frequency.last_covered.isoformat()} ({frequency.last_sha256[:12]}): the "
                          f"payer's frequency rule covers the next from "
                          f"{frequency.eligible_from.isoformat()}, unless an exception applies "
                          f"({'; or '.join(EXCEPTIONS)})"))
    date = findings.exam.date
    if date is None:
        holds.append(hold(HoldReason.MISSING_EXAM_DATE, "the exam has no date of service"))
    else:
        if not (tables := in_force(date)).covered:
            holds.append(hold(HoldReason.NO_TABLE_FOR_DATE, "; ".join(tables.uncovered)))
        months = settings.timely_filing_months
        if months and today > (limit := add_months(date, months)):
            holds.append(hold(HoldReason.OUTSIDE_FILING_WINDOW,
                              f"the exam of {date.isoformat()} is older than the payer's filing limit of "
                              f"{months} months (ended {limit.isoformat()})"))
    if not holds and settings.bill_ready_exams == "on-release":
        holds.append(hold(HoldReason.RELEASE_REQUIRED, "the site setting bill_ready_exams is on-release"))
    return Billing(status=BillingStatus.HELD if holds else BillingStatus.READY, holds=holds,
                   frequency=frequency)


def release(billing: Billing, by: str, note: str | None = None, at: dt.datetime | None = None) -> Billing:
    """The billing of a held exam once `by` released it: the holds stay, as the record of why it waited."""
    if billing.status is not BillingStatus.HELD:
        raise ValueError(f"the charge is {billing.status.value}, not held: nothing to release")
    when = at or dt.datetime.now(dt.UTC)
    return Billing(status=BillingStatus.RELEASED, holds=billing.holds,
                   release=Release(by=by, at=when, note=note), frequency=billing.frequency)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
