"""Whose exam, and which day: a DICOM header's identity, checked against the page it wraps and against
the other objects of its study.

An Encapsulated PDF whose header names one patient while its page prints another ID, or two objects of
one study with different patients or dates, are never settled silently (issue 14, case 3). The result
carries one value and a `patient_mismatch` / `date_mismatch` doubt names both, so that billing holds the
claim; it is not a question of coding, so the coder raises no flag for it (code/quality.py). Against a
page, the header's value is the one carried: it is the identity PACS and RIS hold, which charges are
posted against. Among objects, the study's usual order decides (SR, report, images: `_merge`).

Names and birth dates are compared but never written into a doubt, since the result does not carry
them: an `Identity` keeps only digests of them, so no repr or log of it shows them. Patient IDs may be
named: the result carries them anyway.

Only trivially equal forms count as equal: the Unicode form, the NUL and space padding of DICOM values,
whitespace runs (a page's reader re-spaces its text). Case, leading zeros and punctuation of an ID are
kept: `0001234` and `1234` are two keys in many a RIS. A name is compared without case and without
empty trailing components (`DOE^JANE^^` is `Doe^Jane`), case not changing whom it names; of its
alphabetic, ideographic and phonetic groups, only those both sides give are compared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydicom.dataset import Dataset

from ...models import Doubt, DoubtReason, Findings, Patient
from .header import dicom_date, exam_of, patient_of, text, vendor_of


def normal_id(value: str | None) -> str | None:
    """A patient ID without its trivial variations (see the module); None when nothing is left."""
    if value is None:
        return None
    return " ".join(unicodedata.normalize("NFC", value).replace("\0", " ").split()) or None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _name_key(value: str | None) -> tuple[str, ...]:
    """Digests of a PN value's groups (alphabetic=ideographic=phonetic), '' for a group not given."""
    out = []
    for group in unicodedata.normalize("NFC", value or "").replace("\0", " ").casefold().split("="):
        parts = [" ".join(p.split()) for p in group.split("^")]
        while parts and not parts[-1]:
            parts.pop()
        out.append(_digest("^".join(parts)) if parts else "")
    return tuple(out)


def _birth_key(value: str | dt.date | None) -> str | None:
    """A digest of the birth date: of the date when it reads as one, else of the text as given."""
    if not value:
        return None
    born = value if isinstance(value, dt.date) else dicom_date(value)
    return _digest(born.isoformat() if born else str(value))


@dataclass(frozen=True)
class Identity:
    """Who and when an object says: its patient ID as given, digests of the name and birth date, the
    study date."""

    patient_id: str | None = None
    name: tuple[str, ...] = ()
    birth_date: str | None = None
    study_date: dt.date | None = None

    def with_page(self, findings: Findings) -> Identity:
        """Gaps of the header filled from the page it wraps (already compared with it by `with_header`),
        so that a page's ID or scan date is compared with the other objects when the header has none."""
        printed = findings.printed
        return replace(
            self, patient_id=self.patient_id or findings.patient.id,
            birth_date=self.birth_date or _birth_key(printed.birth_date),
            study_date=self.study_date or printed.scan_date)


def identity_of(ds: Dataset) -> Identity:
    return Identity(patient_id=text(ds, "PatientID"), name=_name_key(text(ds, "PatientName")),
                    birth_date=_birth_key(text(ds, "PatientBirthDate")),
                    study_date=dicom_date(text(ds, "StudyDate")))


def _same_name(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return all(x == y for x, y in zip(a, b, strict=False) if x and y)


# ---- a page and its header ------------------------------------------------------------------------------
def with_header(findings: Findings, ds: Dataset, path: Path) -> Findings:
    """A report page's findings (Encapsulated PDF, Secondary Capture page) checked against the header and
    completed from it: the header's patient ID and study date when it has them, the page's other values
    with the header's filling their gaps; the source is the DICOM object.

    A doubt OCR left on the page's patient ID or exam date is dropped when the header's value is carried:
    the result no longer holds the reading doubted, and a reading that differs is a mismatch instead."""
    header_patient, header_exam = patient_of(ds), exam_of(ds)
    doubts = [*header_exam.doubts, *findings.exam.doubts, *_page_doubts(findings, identity_of(ds))]
    carried = {f for f, v in (("patient.id", header_patient.id), ("exam.date", header_exam.date)) if v}
    patient = Patient(**{k: v if v is not None else getattr(header_patient, k) for k, v in findings.patient})
    patient.id = header_patient.id or patient.id
    patient.birth_date = header_patient.birth_date or patient.birth_date   # a difference is doubted above
    exam = findings.exam.model_copy(update={
        **{k: getattr(header_exam, k) for k in ("study_uid", "device", "device_serial", "accession",
                                                "referring_physician", "ordering_physician")
           if getattr(findings.exam, k) is None},
        "date": header_exam.date or findings.exam.date,
        "doubts": [d for d in doubts if not (d.reason is DoubtReason.OCR_UNCERTAIN and d.field in carried)]})
    vendor = findings.source.vendor if findings.source.vendor != "unknown" else vendor_of(ds)
    source = findings.source.model_copy(update={"path": str(path), "vendor": vendor})
    return findings.model_copy(update={"patient": patient, "exam": exam, "source": source})


def _page_doubts(findings: Findings, header: Identity) -> list[Doubt]:
    """What the page prints that the header contradicts (compared only where both give a value)."""
    out = []
    page_id, printed = findings.patient.id, findings.printed
    if (said := normal_id(header.patient_id)) and (shown := normal_id(page_id)) and said != shown:
        out.append(Doubt(field="patient.id", reason=DoubtReason.PATIENT_MISMATCH,
                         detail=f"the DICOM header says patient ID '{header.patient_id}' but the page prints "
                                f"'{page_id}'; the result carries the header's, the identity PACS and RIS "
                                "post charges against"))
    page_birth = _birth_key(printed.birth_date)
    if page_birth and header.birth_date and page_birth != header.birth_date:
        out.append(Doubt(field="patient", reason=DoubtReason.PATIENT_MISMATCH,
                         detail="the DICOM header and the page give different birth dates (header's "
                                f"patient ID '{header.patient_id or 'none'}')"))
    if printed.scan_date and header.study_date and printed.scan_date != header.study_date:
        out.append(Doubt(field="exam.date", reason=DoubtReason.DATE_MISMATCH,
                         detail=f"the DICOM header's study date is {header.study_date.isoformat()} but "
                                f"the page prints the scan date {printed.scan_date.isoformat()}; the result "
                                "carries the header's"))
    return out


# ---- the objects of a study ------------------------------------------------------------------------------
def study_doubts(objects: Sequence[tuple[str, Identity]], patient_id: str | None,
                 date: dt.date | None) -> list[Doubt]:
    """Where the objects of one study disagree; `objects`: (SOP class name, identity) in the order the
    result takes its values from, `patient_id` and `date` the values it carries."""
    out = []
    ids = _groups(objects, lambda i: normal_id(i.patient_id))
    if len(ids) > 1:
        out.append(Doubt(field="patient.id", reason=DoubtReason.PATIENT_MISMATCH,
                         detail="the objects of the study give different patient IDs: "
                                + ", ".join(f"'{g[0][1].patient_id}' ({_names(g)})" for g in ids)
                                + f"; the result carries '{patient_id}'"))
    for what, groups in (("patient names", _name_groups(objects)),
                         ("birth dates", _groups(objects, lambda i: i.birth_date))):
        if len(groups) > 1:
            out.append(Doubt(field="patient", reason=DoubtReason.PATIENT_MISMATCH,
                             detail=f"the objects of the study give different {what}: "
                                    + " / ".join(f"{_names(g)} ({_ids(g)})" for g in groups)))
    dates = _groups(objects, lambda i: i.study_date)
    if len(dates) > 1:
        out.append(Doubt(field="exam.date", reason=DoubtReason.DATE_MISMATCH,
                         detail="the objects of the study give different study dates: "
                                + ", ".join(f"{g[0][1].study_date.isoformat()} ({_names(g)})" for g in dates)
                                + f"; the result carries {date.isoformat() if date else 'none'}"))
    return out


_Group = list[tuple[str, Identity]]


def _groups(objects: Sequence[tuple[str, Identity]], key: Callable[[Identity], Hashable]) -> list[_Group]:
    """The objects that give a value, grouped by it, in the order first met; objects without one left out."""
    out: dict[Hashable, _Group] = {}
    for sop, identity in objects:
        if (k := key(identity)) is not None:
            out.setdefault(k, []).append((sop, identity))
    return list(out.values())


def _name_groups(objects: Sequence[tuple[str, Identity]]) -> list[_Group]:
    """Objects grouped by name, a name joining the first group it agrees with (groups a side lacks are
    not compared, so agreeing is not transitive: first come decides)."""
    out: list[_Group] = []
    for sop, identity in objects:
        if not any(identity.name):
            continue
        home = next((g for g in out if _same_name(g[0][1].name, identity.name)), None)
        if home is None:
            out.append(home := [])
        home.append((sop, identity))
    return out


def _names(group: _Group) -> str:
    """`Enhanced SR Storage, Secondary Capture Image Storage ×2`: the objects of a group by SOP class."""
    counts: dict[str, int] = {}
    for sop, _ in group:
        counts[sop] = counts.get(sop, 0) + 1
    return ", ".join(f"{sop} ×{n}" if n > 1 else sop for sop, n in counts.items())


def _ids(group: _Group) -> str:
    ids = list(dict.fromkeys(i.patient_id for _, i in group if i.patient_id))
    return "patient ID " + ", ".join(f"'{i}'" for i in ids) if ids else "no patient ID"
