"""Encapsulated PDF: the printed DXA report wrapped in DICOM (how many scanners and PACS send it).

The page is read by the PDF reader; what the page does not say (study UID, accession, device, the
patient's sex and age) comes from the DICOM header, so the report joins its study like any object.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydicom.dataset import Dataset

from ..errors import InputError
from ..models import Findings, Patient
from .dicom_header import exam_of, patient_of, vendor_of


def read_encapsulated_pdf(path: Path, ds: Dataset, *, ocr: bool = True) -> Findings:
    from .pdf import read_pdf

    try:
        data = bytes(ds.EncapsulatedDocument)
    except (AttributeError, KeyError, OSError, TypeError, ValueError):
        raise InputError(path, "encapsulated PDF: no document in the object") from None
    length = ds.get("EncapsulatedDocumentLength")
    data = data[:length] if length else data.rstrip(b"\0")  # values are padded to an even length
    with tempfile.TemporaryDirectory(prefix="dxaparse-") as tmp:
        pdf = Path(tmp) / "report.pdf"
        pdf.write_bytes(data)
        try:
            findings = read_pdf(pdf, ocr=ocr)
        except InputError as err:
            raise InputError(path, f"encapsulated PDF: {err.reason}") from None
    return _with_header(findings, ds, path)


def _with_header(findings: Findings, ds: Dataset, path: Path) -> Findings:
    """The page's findings with gaps filled from the header; the source is the DICOM object."""
    header_patient, header_exam = patient_of(ds), exam_of(ds)
    patient = Patient(**{k: v if v is not None else getattr(header_patient, k) for k, v in findings.patient})
    exam = findings.exam.model_copy(update={
        k: getattr(header_exam, k) for k in ("date", "study_uid", "device", "accession")
        if getattr(findings.exam, k) is None})
    vendor = findings.source.vendor if findings.source.vendor != "unknown" else vendor_of(ds)
    source = findings.source.model_copy(update={"path": str(path), "vendor": vendor})
    return findings.model_copy(update={"patient": patient, "exam": exam, "source": source})
