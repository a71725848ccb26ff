"""Coding one received study: its DICOM objects through `process_study`, its Encapsulated PDFs through the
PDF reader — DXA reports are often sent as the printed page wrapped in DICOM.

The DICOM reader leaves Encapsulated PDF objects to the caller, so the hook unwraps them here. A study
gives one result, never two (two would post the charges twice): an SR's results win over a PDF's; a
PDF's findings win over images alone, taking the scans the images prove and, where the page does not
say, the patient and exam facts of the DICOM header (study UID, accession, device).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pydicom
from pydicom.filereader import read_file_meta_info

from ...code import CodingSettings
from ...errors import InputError
from ...models import ExamResult, Findings, Patient, Scan
from ...pipeline import process_study, result_of
from ...read.dicom import ENCAPSULATED_PDF_CLASS
from ...read.dicom_header import exam_of, patient_of, vendor_of
from ...read.files import sha256_file, sha256_of_hashes


def code_study(files: list[Path], settings: CodingSettings,
               ocr: bool = True) -> list[ExamResult | InputError]:
    """The result of one spooled study (plus an InputError per object that could not be read)."""
    pdfs, others = [], []
    for path in files:
        (pdfs if _sop_class(path) == ENCAPSULATED_PDF_CLASS else others).append(path)
    items = list(process_study(others, settings)) if others else []
    if not pdfs:
        return items
    reports = list(_read_pdfs(pdfs, ocr))
    pdf_errors = [r for r in reports if isinstance(r, InputError)]
    found = [r for r in reports if isinstance(r, Findings)]
    results = [i for i in items if isinstance(i, ExamResult)]
    if not found or any(r.measurements for r in results):  # an SR's scores win over the page's
        return items + pdf_errors
    report = max(found, key=lambda f: len(f.measurements))
    merged = _with_images(report, results[0], files) if results else report
    return [result_of(merged, settings), *(i for i in items if isinstance(i, InputError)), *pdf_errors]


def _sop_class(path: Path) -> str:
    try:
        return str(read_file_meta_info(path).get("MediaStorageSOPClassUID", ""))
    except Exception:  # let the DICOM reader say what is wrong with it
        return ""


def _read_pdfs(paths: list[Path], ocr: bool) -> Iterator[Findings | InputError]:
    from ...read.pdf import read_pdf

    for path in paths:
        try:
            ds = pydicom.dcmread(path)
            data = bytes(ds.EncapsulatedDocument)
            length = ds.get("EncapsulatedDocumentLength")
            data = data[:length] if length else data.rstrip(b"\0")
            with tempfile.TemporaryDirectory(prefix="dxaparse-") as tmp:
                pdf = Path(tmp) / "report.pdf"
                pdf.write_bytes(data)
                findings = read_pdf(pdf, ocr=ocr)
        except InputError as err:
            yield InputError(path, f"encapsulated PDF: {err.reason}")
            continue
        except Exception as err:
            yield InputError(path, f"encapsulated PDF unreadable ({type(err).__name__})")
            continue
        yield _with_header(findings, ds, path)


def _with_header(findings: Findings, ds, path: Path) -> Findings:
    """The page's findings, gaps filled from the DICOM header; the source is the DICOM object."""
    header_patient, header_exam = patient_of(ds), exam_of(ds)
    patient = Patient(**{k: v if v is not None else getattr(header_patient, k)
                         for k, v in findings.patient})
    exam = findings.exam.model_copy(update={
        k: getattr(header_exam, k) for k in ("date", "study_uid", "device", "accession")
        if getattr(findings.exam, k) is None})
    vendor = findings.source.vendor if findings.source.vendor != "unknown" else vendor_of(ds)
    source = findings.source.model_copy(update={"path": str(path), "vendor": vendor,
                                                "sha256": sha256_file(path)})
    return findings.model_copy(update={"patient": patient, "exam": exam, "source": source})


def _with_images(report: Findings, images: ExamResult, files: list[Path]) -> Findings:
    """A PDF report of a study that also holds images: the scans of both, one content hash for all."""
    scans = set(report.exam.scans) | set(images.exam.scans)
    exam = report.exam.model_copy(update={"scans": [s for s in Scan if s in scans]})
    vfa = report.vfa.model_copy(update={"performed": report.vfa.performed or images.vfa.performed})
    source = report.source.model_copy(update={
        "kind": "dicom-study", "sha256": sha256_of_hashes([sha256_file(f) for f in files])})
    return report.model_copy(update={"exam": exam, "vfa": vfa, "source": source})
