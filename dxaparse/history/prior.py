"""The patient's earlier exams in the store, looked up once per exam: the one value that brings history
into the coding of an exam (`pipeline.result_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..code.settings import CodingSettings
from ..emit.store import patient_results
from ..models import ExamResult, Findings
from .identity import Match, PatientKey, match


@dataclass(frozen=True)
class History:
    """What the store knows of the exam's patient: the exams of the same patient dated before this one
    (latest first), and those with the same patient ID but another birth date or sex (`conflicts`),
    which are no part of the history."""

    earlier: tuple[ExamResult, ...] = ()
    conflicts: tuple[ExamResult, ...] = ()

    @property
    def prior(self) -> ExamResult | None:
        """The latest earlier exam: the one a follow-up is compared with."""
        return self.earlier[0] if self.earlier else None


NONE = History()
"""No store, or nothing in it of this patient."""


def lookup(store: Path | None, findings: Findings, settings: CodingSettings) -> History:
    """The history of `findings`' patient in the store at `store` (none without a store, a patient ID or
    an earlier exam). Other versions of this exam's own study are not its history."""
    key = PatientKey.of(findings.patient)
    if store is None or key is None:
        return NONE
    earlier, conflicts = [], []
    for stored in patient_results(store, key.id):
        if stored.source.sha256 == findings.source.sha256 or (
                findings.exam.study_uid and stored.exam.study_uid == findings.exam.study_uid):
            continue
        other = PatientKey.of(stored.patient)
        verdict = match(key, other, settings.patient_match) if other else Match.OTHER
        if verdict is Match.CONFLICT:
            conflicts.append(stored)
        elif verdict is Match.SAME and stored.exam.date and findings.exam.date \
                and stored.exam.date < findings.exam.date:
            earlier.append(stored)
    earlier.sort(key=lambda r: r.exam.date, reverse=True)
    return History(tuple(earlier), tuple(conflicts))
