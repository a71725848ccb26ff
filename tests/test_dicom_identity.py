"""Whose exam, and which day: a report page against its DICOM header, the objects of a study against each
other (issue 14, case 3). A mismatch is a doubt billing holds the claim on, never a coding flag."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from dxaparse.code import CodingSettings, code_findings
from dxaparse.models import Doubt, DoubtReason, Findings, Patient, Printed, Source
from dxaparse.read.dicom import ENCAPSULATED_PDF_CLASS, read_dicom
from dxaparse.read.dicom.identity import Identity, study_doubts, with_header

from ._dicom import PATIENT, bmd, gen, spine_container, sr_dataset, write
from .conftest import ROOT

PAGE = ROOT / "samples" / "pdf" / "hologic-spine-hip-pram.pdf"
"""Prints patient ID SYN-0001, DOB March 4, 1957 and scan date 03/12/2024; codes with no flag."""
PAGE_PATIENT = gen.Patient("epdf", "F", 67.0, "20240312", birth_date="19570304")
"""A header that agrees with the page in all but its patient ID (`SYN-epdf`)."""


def epdf(path: Path, patient: gen.Patient = PAGE_PATIENT, **header: str) -> Path:
    """The sample page wrapped as an Encapsulated PDF, `header` attributes set over the patient's."""
    ds = Dataset()
    gen.header(ds, patient, "report", ENCAPSULATED_PDF_CLASS, "DOC", "HOLOGIC", "Horizon A")
    data = PAGE.read_bytes()
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocumentLength = len(data)
    ds.EncapsulatedDocument = data + b"\0" * (len(data) % 2)
    for keyword, value in header.items():
        setattr(ds, keyword, value)
    return write(ds, path)


def only(paths: list[Path]) -> Findings:
    [found] = list(read_dicom(paths))
    assert isinstance(found, Findings), found
    return found


def identity_doubts(f: Findings) -> list[Doubt]:
    return [d for d in f.exam.doubts if d.reason in (DoubtReason.PATIENT_MISMATCH, DoubtReason.DATE_MISMATCH)]


# ---- a page and its header ------------------------------------------------------------------------------
def test_an_encapsulated_pdf_naming_another_patient_carries_the_headers_id_and_a_doubt(tmp_path):
    """Case 3: stored as the page's SYN-0001 without a word before."""
    f = only([epdf(tmp_path / "epdf.dcm", PatientID="SYN-EPDF")])
    assert f.patient.id == "SYN-EPDF"
    [doubt] = f.exam.doubts
    assert (doubt.field, doubt.reason) == ("patient.id", DoubtReason.PATIENT_MISMATCH)
    assert doubt.detail.startswith("the DICOM header says patient ID 'SYN-EPDF' but the page prints "
                                   "'SYN-0001'")
    agreeing = only([epdf(tmp_path / "same.dcm", PatientID="SYN-0001")])
    assert (agreeing.patient.id, agreeing.exam.doubts) == ("SYN-0001", [])
    coding = code_findings(f, CodingSettings())
    assert (coding.needs_review, coding.flags) == (False, [])   # billing's question, not the coder's
    assert coding == code_findings(agreeing, CodingSettings())


def test_a_page_whose_scan_date_is_not_the_study_date_carries_the_headers_and_a_doubt(tmp_path):
    f = only([epdf(tmp_path / "epdf.dcm", PatientID="SYN-0001", StudyDate="20240301")])
    assert f.exam.date == dt.date(2024, 3, 1)
    assert f.exam.doubts == [Doubt(
        field="exam.date", reason=DoubtReason.DATE_MISMATCH,
        detail="the DICOM header's study date is 2024-03-01 but the page prints the scan date 2024-03-12; "
               "the result carries the header's")]
    assert not code_findings(f, CodingSettings()).needs_review


def test_a_page_and_header_with_other_birth_dates_are_a_mismatch_that_names_no_date(tmp_path):
    f = only([epdf(tmp_path / "epdf.dcm", PatientID="SYN-0001", PatientBirthDate="19570403")])
    [doubt] = f.exam.doubts
    assert (doubt.field, doubt.reason) == ("patient", DoubtReason.PATIENT_MISMATCH)
    assert "SYN-0001" in doubt.detail and not any(s in doubt.detail for s in ("1957", "04-03", "03-04"))


def page(patient_id: str | None = "SYN-0001", date: dt.date | None = dt.date(2024, 3, 12),
         printed: Printed | None = None, doubts: list[Doubt] = ()) -> Findings:
    f = Findings(source=Source(path="page.pdf", kind="pdf", sha256="0"), patient=Patient(id=patient_id))
    f.exam.date, f.exam.doubts = date, list(doubts)
    f.printed = printed or Printed(scan_date=date)
    return f


def header(patient_id: str | None = "SYN-0001", study_date: str = "20240312", **more: str) -> Dataset:
    ds = Dataset()
    ds.PatientID, ds.StudyDate = patient_id or "", study_date
    for keyword, value in more.items():
        setattr(ds, keyword, value)
    return ds


def test_a_report_date_is_not_compared_with_the_study_date():
    """A page printing only when the report was made (`Date created:`) may be days after the scan."""
    f = with_header(page(printed=Printed(), date=dt.date(2024, 3, 20)), header(), Path("x.dcm"))
    assert (f.exam.date, f.exam.doubts) == (dt.date(2024, 3, 12), [])


def test_only_what_both_sides_give_is_compared():
    assert with_header(page(patient_id=None), header("SYN-9"), Path("x.dcm")).patient.id == "SYN-9"
    f = with_header(page("SYN-0001"), header(None, ""), Path("x.dcm"))
    assert (f.patient.id, f.exam.date, f.exam.doubts) == ("SYN-0001", dt.date(2024, 3, 12), [])
    born = Printed(scan_date=dt.date(2024, 3, 12), birth_date=dt.date(1957, 3, 4))
    assert with_header(page(printed=born), header(), Path("x.dcm")).exam.doubts == []


def test_an_ocr_doubt_on_a_value_the_header_replaces_is_dropped():
    """The result no longer holds the doubted reading; a header that disagrees makes it a mismatch."""
    ocr = [Doubt(field=f, reason=DoubtReason.OCR_UNCERTAIN, detail=f"{f} read by OCR: unsure")
           for f in ("patient.id", "exam.date", "patient.age_years")]
    f = with_header(page(doubts=ocr), header(), Path("x.dcm"))
    assert [d.field for d in f.exam.doubts] == ["patient.age_years"]
    f = with_header(page(doubts=ocr), header(None, ""), Path("x.dcm"))
    assert f.exam.doubts == ocr


# ---- the objects of a study ------------------------------------------------------------------------------
def sr_and_image(tmp_path: Path, sr_header: dict[str, str] | None = None, **image_header: str) -> list[Path]:
    """An SR and a hip image of one study, with header attributes changed on either."""
    sr, image = sr_dataset([spine_container(bmd())]), gen.hologic_sc(PATIENT, "hip", "HIP", "L")
    for ds, changes in ((sr, sr_header or {}), (image, image_header)):
        for keyword, value in changes.items():
            setattr(ds, keyword, value)
    return [write(sr, tmp_path / "sr.dcm"), write(image, tmp_path / "hip.dcm")]


def test_objects_of_one_study_with_other_patient_ids_are_a_mismatch(tmp_path):
    f = only(sr_and_image(tmp_path, PatientID="SYN-other"))
    assert f.patient.id == "SYN-test-exam"
    assert f.exam.doubts == [Doubt(
        field="patient.id", reason=DoubtReason.PATIENT_MISMATCH,
        detail="the objects of the study give different patient IDs: 'SYN-test-exam' (Enhanced SR Storage), "
               "'SYN-other' (Secondary Capture Image Storage); the result carries 'SYN-test-exam'")]
    assert "value_doubt" not in [flag.code for flag in code_findings(f, CodingSettings()).flags]


def test_objects_of_one_study_with_other_study_dates_are_a_date_mismatch(tmp_path):
    f = only(sr_and_image(tmp_path, StudyDate="20240302"))
    assert f.exam.date == dt.date(2024, 3, 1)
    assert f.exam.doubts == [Doubt(
        field="exam.date", reason=DoubtReason.DATE_MISMATCH,
        detail="the objects of the study give different study dates: 2024-03-01 (Enhanced SR Storage), "
               "2024-03-02 (Secondary Capture Image Storage); the result carries 2024-03-01")]


def test_a_later_content_date_of_one_object_is_no_mismatch(tmp_path):
    """An SR made the day after the scan: only the study's date is compared."""
    assert only(sr_and_image(tmp_path, ContentDate="20240302", SeriesDate="20240302")).exam.doubts == []


@pytest.mark.parametrize("keyword, ours, theirs", [
    ("PatientName", "SYNTHETIC^TESTEXAM", "OTHER^PERSON"),
    ("PatientBirthDate", "19570304", "19560815"),
])
def test_other_names_or_birth_dates_are_a_mismatch_that_names_neither(tmp_path, keyword, ours, theirs):
    f = only(sr_and_image(tmp_path, {keyword: ours}, **{keyword: theirs}))
    [doubt] = f.exam.doubts
    assert (doubt.field, doubt.reason) == ("patient", DoubtReason.PATIENT_MISMATCH)
    assert "'SYN-test-exam'" in doubt.detail
    assert not any(part in doubt.detail for part in (*ours.split("^"), *theirs.split("^"), "1957", "1956"))


@pytest.mark.parametrize("keyword, ours, theirs", [
    ("PatientID", "SYN-test-exam", "SYN-test-exam  "),
    ("PatientName", "SYNTHETIC^TESTEXAM", "synthetic^testexam^^^"),
    ("PatientName", "SYNTHETIC^TESTEXAM", "SYNTHETIC^TESTEXAM=\u5c71\u7530"),  # one side's ideographic group
    ("PatientBirthDate", "19570304", ""),       # one side gives none: nothing to compare
    ("PatientID", "SYN-test-exam", ""),
])
def test_trivially_equal_or_missing_values_are_no_mismatch(tmp_path, keyword, ours, theirs):
    assert only(sr_and_image(tmp_path, {keyword: ours}, **{keyword: theirs})).exam.doubts == []


def test_case_and_leading_zeros_of_an_id_are_kept():
    """Two spellings a RIS may hold as two patients: a person decides."""
    for a, b in (("SYN-A", "syn-a"), ("0001234", "1234")):
        [doubt] = study_doubts([("SR", Identity(patient_id=a)), ("SC", Identity(patient_id=b))], a, None)
        assert doubt.reason is DoubtReason.PATIENT_MISMATCH


def test_a_page_without_a_header_id_is_compared_with_the_other_objects_by_its_printed_id(tmp_path):
    f = only([write(sr_dataset([spine_container(bmd())]), tmp_path / "sr.dcm"),
              epdf(tmp_path / "epdf.dcm", PATIENT, PatientID="")])
    [doubt] = [d for d in f.exam.doubts if d.field == "patient.id"]
    assert doubt.detail.startswith("the objects of the study give different patient IDs: 'SYN-test-exam' "
                                   "(Enhanced SR Storage), 'SYN-0001' (Encapsulated PDF Storage)")


# ---- the rule, for any pair of IDs -----------------------------------------------------------------------
_ID = st.text(st.sampled_from("AaBb01 -\t\0"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(a=_ID, b=_ID)
def test_a_doubt_appears_exactly_when_the_ids_differ_beyond_spacing(a, b):
    """Equal when equal after NUL padding is blanked and whitespace runs are one space, ends trimmed."""
    def plain(s: str) -> str:
        return " ".join(s.replace("\0", " ").split())

    compared = bool(plain(a)) and bool(plain(b))
    differ = compared and plain(a) != plain(b)
    among = study_doubts([("SR", Identity(patient_id=a or None)), ("SC", Identity(patient_id=b or None))],
                         a, None)
    assert bool(among) is differ
    against_page = with_header(page(patient_id=a or None), header(b or None), Path("x.dcm"))
    assert bool(identity_doubts(against_page)) is differ
