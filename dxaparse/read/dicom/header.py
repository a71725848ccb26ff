"""Patient, exam and vendor facts from a DICOM header: the same attributes for SR and image objects."""

from __future__ import annotations

import datetime as dt
import re

from pydicom.dataset import Dataset

from ... import vendors
from ...models import Exam, Patient, Vendor

_AGE = re.compile(r"(\d{1,3})([DWMY])")
_DA = re.compile(r"\d{8}")
_YEARS_PER = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}


def text(ds: Dataset, keyword: str) -> str | None:
    """A header value as stripped text, None when absent or empty."""
    value = ds.get(keyword)
    value = str(value).strip() if value is not None else ""
    return value or None


def private_creators(ds: Dataset) -> set[str]:
    """Private creator strings of the top-level dataset (read without touching deferred values)."""
    tags = [tag for tag in ds.keys() if tag.is_private_creator]  # noqa: SIM118 (iterating a Dataset reads values)
    return {str(ds[tag].value).strip() for tag in tags}


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
                   id=text(ds, "PatientID"))


def exam_of(ds: Dataset) -> Exam:
    device = " ".join(filter(None, (text(ds, "Manufacturer"), text(ds, "ManufacturerModelName"))))
    return Exam(date=dicom_date(text(ds, "StudyDate")), study_uid=text(ds, "StudyInstanceUID"),
                device=device or None, accession=text(ds, "AccessionNumber"))
