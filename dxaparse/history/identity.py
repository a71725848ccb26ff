"""Whose exam: the patient key (ID with its issuer, birth date, sex) and the site's matching rule.

Two exams are the same patient's only when the rule says so (`CodingSettings.patient_match`). The same
patient ID with another birth date or sex is a conflict, under every rule: a mistyped ID, a reused one,
or two patients of one family. Such exams are never merged silently: the pipeline holds the new one's
charge (`patient_mismatch`) and leaves the other out of its history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from ..models import Patient


class Match(Enum):
    SAME = "same"            # the same patient by the site's rule
    OTHER = "other"          # another patient, or not enough to tell (never merged)
    CONFLICT = "conflict"    # the same ID, but another birth date or sex


@dataclass(frozen=True)
class PatientKey:
    """What identifies a patient across exams. Holds a birth date: never logged, never in a message."""

    id: str
    issuer: str | None
    birth_date: dt.date | None
    sex: str | None

    @classmethod
    def of(cls, patient: Patient) -> PatientKey | None:
        """The key of an exam's patient; None without a patient ID (nothing to match on)."""
        if not (pid := (patient.id or "").strip()):
            return None
        issuer = (patient.id_issuer or "").strip() or None
        return cls(pid, issuer, patient.birth_date, patient.sex)


def match(current: PatientKey, other: PatientKey, rule: str) -> Match:
    """Are `current` and `other` one patient by `rule` ("id", "id+birth_date", "id+issuer+birth_date")?"""
    if current.id != other.id:
        return Match.OTHER
    if "issuer" in rule and current.issuer != other.issuer:
        return Match.OTHER      # one ID number from two assigning authorities: two patients
    if _differ(current.birth_date, other.birth_date) or _differ(current.sex, other.sex):
        return Match.CONFLICT
    if "birth_date" in rule and (current.birth_date is None or other.birth_date is None):
        return Match.OTHER      # the rule asks for a birth date the exams do not both give
    return Match.SAME


def _differ(a: object, b: object) -> bool:
    return a is not None and b is not None and a != b
