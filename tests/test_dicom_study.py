"""Study assembly: objects grouped by StudyInstanceUID, SR results merged with the scans of the images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from dxaparse.errors import InputError
from dxaparse.models import Doubt, DoubtReason, Scan
from dxaparse.read import read_path
from dxaparse.read.dicom import read_dicom
from dxaparse.read.files import sha256_file, sha256_of_hashes
from dxaparse.read.options import ReadOptions

from ._dicom import PATIENT, bmd, gen, spine_container, sr_dataset, sr_file, write


def test_sr_and_images_of_one_study_are_one_exam(tmp_path):
    folder = tmp_path / "exam"
    files = [sr_file(folder / "a-sr.dcm", [spine_container(bmd(0.8))]),
             write(gen.hologic_sc(PATIENT, "img1", "HIP", "L"), folder / "b-hip.dcm"),
             write(gen.hologic_sc(PATIENT, "img2", "LSPINE", series="IVA", bits=16), folder / "c-iva.dcm"),
             write(gen.hologic_gsps(PATIENT, "ps"), folder / "d-ps.dcm")]
    [f] = list(read_path(folder))
    assert (f.source.kind, f.source.path, f.source.vendor) == ("dicom-study", str(folder), "hologic")
    assert f.source.sha256 == sha256_of_hashes([sha256_file(p) for p in files])
    assert f.exam.scans == [Scan.SPINE, Scan.HIP, Scan.VFA] and f.vfa.performed
    assert [m.bmd for m in f.measurements] == [0.8]
    assert (f.exam.study_uid, f.exam.device) == (gen.uid("test-exam/study"), "HOLOGIC Horizon A")


def test_images_fill_what_the_sr_header_lacks(tmp_path):
    ds = sr_dataset([spine_container(bmd())])
    del ds.PatientSex, ds.Manufacturer, ds.ManufacturerModelName
    sr = write(ds, tmp_path / "sr.dcm")
    img = write(gen.ge_cr(PATIENT, "img", "Left Femur", "x"), tmp_path / "img.dcm")
    [f] = list(read_dicom([img, sr]))
    assert (f.patient.sex, f.source.vendor, f.exam.device) == ("F", "ge-lunar", "GE Healthcare Lunar iDXA")
    assert f.source.path == str(img)  # no folder given: the first file names the study


def test_two_studies_in_one_folder(tmp_path):
    other = gen.Patient("other-exam", "M", 70.0, "20240405")
    write(gen.hologic_sc(PATIENT, "img1", "HIP", "L"), tmp_path / "a.dcm")
    write(gen.hologic_sc(other, "img1", "ARM", "R"), tmp_path / "b.dcm")
    write(gen.hologic_sc(PATIENT, "img2", "LSPINE"), tmp_path / "c.dcm")
    first, second = read_path(tmp_path)
    assert (first.source.kind, first.exam.scans) == ("dicom-study", [Scan.SPINE, Scan.HIP])
    assert (second.source.kind, second.exam.scans, second.patient.sex) == ("dicom-image", [Scan.FOREARM], "M")
    b = tmp_path / "b.dcm"
    assert (second.source.path, second.source.sha256) == (str(b), sha256_file(b))
    assert not first.exam.doubts and not second.exam.doubts   # two patients: no split day


@pytest.mark.parametrize(("vfa_date", "split"), [(None, True), ("20240302", False)])
def test_two_studies_of_one_patient_on_one_date_are_each_doubted(tmp_path, vfa_date, split):
    """The VFA sent as a study of its own, or an object whose study UID a flipped digit changed: coded
    apart, the day would bill 77080 + 77086 where coding.md allows one 77085 — so each is doubted, for a
    person to code the day as one. On another date they are two dates of service, and nothing is said."""
    sr_file(tmp_path / "sr.dcm", [spine_container(bmd(0.8))])
    vfa = gen.hologic_sc(PATIENT, "img2", "LSPINE", series="IVA", bits=16)
    vfa.StudyInstanceUID = vfa.StudyInstanceUID[:-1] + str((int(vfa.StudyInstanceUID[-1]) + 1) % 10)
    if vfa_date:
        vfa.StudyDate = vfa_date
    write(vfa, tmp_path / "iva.dcm")
    exams = list(read_path(tmp_path))
    assert len(exams) == 2 and len({f.exam.study_uid for f in exams}) == 2
    doubts = [[d for d in f.exam.doubts if d.reason is DoubtReason.SAME_DAY_STUDY] for f in exams]
    assert all(len(d) == (1 if split else 0) for d in doubts)
    if split:
        assert doubts[0][0].field == "exam.study_uid" and "never 77080 + 77086" in doubts[0][0].detail


def test_single_sr_file(tmp_path):
    path = sr_file(tmp_path / "sr.dcm", [spine_container(bmd(0.812))])
    [f] = list(read_path(path))
    assert (f.source.kind, f.source.path, f.source.sha256) == ("dicom-sr", str(path), sha256_file(path))
    assert f.exam.scans == [Scan.SPINE]


@pytest.mark.parametrize("age, birth, sex, want_age, want_sex", [
    ("067Y", None, "F", 67.0, "F"),
    ("006M", None, "M", 0.5, "M"),
    ("012W", None, "O", 0.2, "O"),
    ("030D", None, "X", 0.1, None),
    (None, "19560815", "", 67.5, None),
    (None, None, "F", None, "F"),
    (None, "20300101", "F", None, "F"),  # born after the study: no age rather than a wrong one
])
def test_patient_from_the_header(tmp_path, age, birth, sex, want_age, want_sex):
    ds = sr_dataset([spine_container(bmd())])  # study date 2024-03-01
    ds.PatientSex = sex
    ds.PatientBirthDate = birth or ""
    if age:
        ds.PatientAge = age
    else:
        del ds.PatientAge
    [f] = list(read_dicom([write(ds, tmp_path / "sr.dcm")]))
    assert (f.patient.age_years, f.patient.sex) == (want_age, want_sex)


def test_exam_from_the_header(tmp_path):
    ds = sr_dataset([spine_container(bmd())])
    with pytest.warns(UserWarning, match="Invalid value for VR DA"):
        ds.StudyDate, ds.AccessionNumber = "2024131", ""
    [f] = list(read_dicom([write(ds, tmp_path / "sr.dcm")]))
    assert (f.exam.date, f.exam.accession, f.patient.id) == (None, None, "SYN-test-exam")


def test_hashes_the_caller_already_has_are_used_not_recomputed():
    """A batch survey hashes every file; the reader takes those hashes instead of reading each file again."""
    path = Path(__file__).resolve().parent.parent / "samples" / "dicom" / "hologic-image-forearm.dcm"
    [given] = read_dicom([path], hashes={path: "f" * 64})
    [computed] = read_dicom([path])
    assert given.source.sha256 == "f" * 64
    assert computed.source.sha256 == sha256_file(path) != "f" * 64


# ---- a study survives one bad object ---------------------------------------------------------------
def report_page_study(folder: Path) -> list[Path]:
    return [write(gen.hologic_sc(PATIENT, "spine", "LSPINE", series="AP Lumbar Spine"), folder / "spine.dcm"),
            write(gen.hologic_sc(PATIENT, "hip", "HIP", "L", series="Left Hip"), folder / "hip.dcm"),
            write(gen.hologic_sc(PATIENT, "report", "", series="Report"), folder / "page.dcm")]


def test_a_report_page_that_cannot_be_read_is_noted_and_the_study_coded_from_its_images(tmp_path):
    [f] = list(read_dicom(report_page_study(tmp_path), root=tmp_path, options=ReadOptions(ocr=False)))
    assert f.source.kind == "dicom-study" and f.exam.scans == [Scan.SPINE, Scan.HIP]
    assert f.exam.doubts == [Doubt(field="source", reason=DoubtReason.OBJECT_NOT_READ,
                                   detail="Secondary Capture Image Storage object not read, the exam is "
                                          "coded without it: report page image: OCR is off")]


def test_an_sr_with_nothing_usable_is_noted_and_its_study_coded_from_the_images(tmp_path):
    files = [*report_page_study(tmp_path)[:2], sr_file(tmp_path / "sr.dcm", [spine_container(bmd(unit="%"))])]
    [f] = list(read_dicom(files, root=tmp_path))
    assert f.exam.scans == [Scan.SPINE, Scan.HIP] and f.measurements == []
    assert [d.detail for d in f.exam.doubts] == [
        'Enhanced SR Storage object not read, the exam is coded without it: SR units do not fit the value: '
        '"BMD" in "L1-L4" has units "%"']


def test_a_study_of_unreadable_objects_only_is_refused_with_each_reason(tmp_path):
    page = report_page_study(tmp_path)[2]
    [err] = list(read_dicom([page], options=ReadOptions(ocr=False)))
    assert isinstance(err, InputError) and err.reason == "report page image: OCR is off"


def test_cli_codes_a_study_with_an_unreadable_page_exit_0_and_flagged(tmp_path, cli):
    report_page_study(tmp_path / "exam")
    run = cli("code", "--no-ocr", str(tmp_path / "exam"))
    assert run.code == 0 and run.err == ""
    result = json.loads(run.out)
    assert [c["code"] for c in result["coding"]["cpt"]] == ["77080"]
    assert "value_doubt" in [f["code"] for f in result["coding"]["flags"]]


def _study_with_vfa(folder: Path) -> Path:
    """An SR (spine) and its VFA image: 77085 together, 77080 without the image."""
    sr_file(folder / "sr.dcm", [spine_container(bmd(0.8))])
    return write(gen.hologic_sc(PATIENT, "img2", "LSPINE", series="IVA", bits=16), folder / "iva.dcm")


def test_an_object_refused_as_damaged_leaves_its_study_doubted(tmp_path):
    """A flipped bit makes the VFA image's SOP Class UID no UID: the object is refused, and its study —
    named by the header it still has — is coded without it, so without its VFA: doubted, never silent."""
    iva = _study_with_vfa(tmp_path)
    data = iva.read_bytes()
    at = data.index(b"1.2.840.10008.5.1.4.1.1.7", data.index(b"\x08\x00\x16\x00"))  # (0008,0016)
    iva.write_bytes(data[:at + 7] + b">" + data[at + 8:])
    error, exam = read_path(tmp_path)
    assert isinstance(error, InputError) and error.reason.startswith("damaged DICOM: ")
    assert Scan.VFA not in exam.exam.scans
    (doubt,) = [d for d in exam.exam.doubts if d.field == "source"]
    assert doubt.reason is DoubtReason.DAMAGED
    assert doubt.detail.startswith("an object of the input that belongs to this study was not coded with it: "
                                   "damaged DICOM: ")


def test_a_dicomdir_beside_a_study_is_no_missing_object(tmp_path):
    _study_with_vfa(tmp_path / "exam")
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.1.3.10", gen.uid("dicomdir")
    ds.FileSetID, ds.DirectoryRecordSequence = "SYNTH", []
    write(ds, tmp_path / "DICOMDIR")
    error, exam = read_path(tmp_path)
    assert error.reason == "DICOMDIR (media directory), not a report"
    assert Scan.VFA in exam.exam.scans and exam.exam.doubts == []
