"""Patient, exam and vendor facts from a DICOM header: the same attributes for SR and image objects.

Every text value is read through `as_text`, one rule for whatever pydicom returns (docs/result-format.md,
"Text from DICOM headers"): an attribute holding several values (VM > 1, a `MultiValue`) must not reach
the result, the store and the exports as a Python list (`['A', 'B']`).
"""

from __future__ import annotations

import datetime as dt
import re

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from ... import vendors
from ...models import Doubt, DoubtReason, Exam, Patient, Vendor

_AGE = re.compile(r"(\d{1,3})([DWMY])")
_DA = re.compile(r"\d{8}")
_YEARS_PER = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}
_PADDING = re.compile(r"^[\s\0]+|[\s\0]+$")
_SINGLE = {"PatientID": ("patient.id", "patient IDs", DoubtReason.PATIENT_MISMATCH),
           "AccessionNumber": ("exam.accession", "accession numbers", DoubtReason.CONFLICTING)}
"""The identifiers a charge and its results are posted on, which must hold one value: several are
doubted, a patient's as a mismatch (billing holds the charge), an accession's for a coder's review."""


def as_text(value: object) -> str | None:
    """Any header value as text, None when it holds none. Each value is stripped of its padding (spaces,
    NUL) and empty ones are dropped; several values are joined with `\\`, as DICOM writes them, so
    nothing is chosen or lost. Bytes (a value pydicom did not decode) are read as UTF-8, undecodable bytes
    as U+FFFD, and split at `\\` like text; names (`DOE^JANE`) and numbers as DICOM writes them; a
    sequence is not text."""
    if value is None or isinstance(value, Dataset | Sequence):
        return None
    if isinstance(value, bytes):
        return as_text(value.decode("utf-8", errors="replace").split("\\"))
    if isinstance(value, MultiValue | list | tuple):
        return "\\".join(t for v in value if (t := as_text(v))) or None
    return _PADDING.sub("", str(value)) or None


def text(ds: Dataset, keyword: str) -> str | None:
    """A header value as text (`as_text`), None when absent or empty."""
    return as_text(ds.get(keyword))


def private_creators(ds: Dataset) -> set[str]:
    """Private creator strings of the top-level dataset (read without touching deferred values)."""
    tags = [tag for tag in ds.keys() if tag.is_private_creator]  # noqa: SIM118 (iterating a Dataset reads values)
    return {t for tag in tags if (t := as_text(ds[tag].value))}


def vendor_of(ds: Dataset) -> Vendor:
    """From Manufacturer / model; failing that, from a vendor's private creator (`HOLOGIC`)."""
    found = vendors.identify(text(ds, "Manufacturer"), text(ds, "ManufacturerModelName"))
    if found != "unknown":
        return found
    creators = private_creators(ds)
    for key, data in vendors.load_all().items():
        if creators & set(data.get("image", {}).get("private_creators", [])):
            return key  # type: ignore[return-value]
    return "unknown"


def dicom_date(value: str | None) -> dt.date | None:
    """A DA value (`YYYYMMDD`); None when absent or malformed (strptime alone accepts `2024131`)."""
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date() if value and _DA.fullmatch(value) else None
    except ValueError:
        return None


def _age_years(ds: Dataset) -> float | None:
    """PatientAge (`067Y`, `006M`) when given, else the years from PatientBirthDate to StudyDate."""
    if (m := _AGE.fullmatch(text(ds, "PatientAge") or "")) is not None:
        years = int(m[1]) * _YEARS_PER[m[2]]
    else:
        born, seen = dicom_date(text(ds, "PatientBirthDate")), dicom_date(text(ds, "StudyDate"))
        if born is None or seen is None or seen < born:
            return None
        years = (seen - born).days / 365.25
    return round(years, 1) if years <= 130 else None


def patient_of(ds: Dataset) -> Patient:
    sex = text(ds, "PatientSex")
    return Patient(sex=sex if sex in ("F", "M", "O") else None, age_years=_age_years(ds),
                   id=text(ds, "PatientID"), birth_date=dicom_date(text(ds, "PatientBirthDate")),
                   id_issuer=text(ds, "IssuerOfPatientID"))


def exam_of(ds: Dataset) -> Exam:
    """The header's exam facts, with its doubts about the identifiers (`_SINGLE`)."""
    device = " ".join(filter(None, (text(ds, "Manufacturer"), text(ds, "ManufacturerModelName"))))
    return Exam(date=dicom_date(text(ds, "StudyDate")), study_uid=text(ds, "StudyInstanceUID"),
                device=device or None, accession=text(ds, "AccessionNumber"),
                referring_physician=text(ds, "ReferringPhysicianName"),
                ordering_physician=text(ds, "RequestingPhysician"),
                device_serial=text(ds, "DeviceSerialNumber"), doubts=_several_values(ds))


def _several_values(ds: Dataset) -> list[Doubt]:
    out = []
    for keyword, (field, what, reason) in _SINGLE.items():
        if (value := text(ds, keyword)) and "\\" in value:  # no LO or SH value holds a backslash itself
            *first, last = value.split("\\")
            named = ", ".join(f"'{v}'" for v in first) + f" and '{last}'"
            out.append(Doubt(field=field, reason=reason,
                             detail=f"the DICOM header gives {len(first) + 1} {what}, {named}; the result "
                                    f"carries them as written, '{value}'"))
    return out
