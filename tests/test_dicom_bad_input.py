"""Bad DICOM inputs: each a one-line, specific reason without patient identifiers; good objects go on."""

from __future__ import annotations

import json

import pytest
from pydicom.dataset import Dataset

from dxaparse.errors import InputError
from dxaparse.read import read_path
from dxaparse.read.dicom import read_dicom

from ._dicom import PATIENT, bmd, gen, spine_container, sr_file, write

IDENTIFIERS = ("SYNTHETIC", "TESTEXAM", "SYN-test-exam", "ACCEXAM")


def only_error(path):
    [err] = list(read_path(path))
    assert isinstance(err, InputError), err
    assert "\n" not in err.reason and not any(x in err.reason for x in IDENTIFIERS)
    return err.reason


def good_sr(path):
    return sr_file(path, [spine_container(bmd(), gen.num(gen.local("T-score"), -2.1, gen.ucum("{T-score}")))])


def other_object(sop_class: str, modality: str) -> Dataset:
    ds = Dataset()
    gen.header(ds, PATIENT, modality, sop_class, modality, "ACME", "Model 1")
    return ds


def test_ct_image(tmp_path):
    ds = other_object("1.2.840.10008.5.1.4.1.1.2", "CT")
    gen.pixels(ds, rgb=False, bits=16)
    assert only_error(write(ds, tmp_path / "ct.dcm")) == "not a DXA object: CT Image Storage"


def test_dose_report(tmp_path):
    ds = gen.sr(PATIENT, "hologic", [])
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.67"
    assert only_error(write(ds, tmp_path / "dose.dcm")) == "not a DXA object: X-Ray Radiation Dose SR Storage"


def test_sr_without_dxa_results(tmp_path):
    path = sr_file(tmp_path / "sr.dcm", [gen.text(gen.IMPRESSION, "No acute findings.")])
    assert only_error(path) == "not a DXA report: SR holds no bone density results"


def test_sr_value_without_units(tmp_path):
    path = sr_file(tmp_path / "sr.dcm", [spine_container(bmd(unit=None))])
    assert only_error(path) == 'SR value without units: "BMD" in "L1-L4"'


def test_sr_value_not_a_number_in_a_file(tmp_path):
    """The bad value is refused with its reason, the rest of the report is read; alone, it is an error."""
    path = good_sr(tmp_path / "sr.dcm")
    data = path.read_bytes()
    assert data.count(b"-2.1") == 1
    path.write_bytes(data.replace(b"-2.1", b"-2,1"))  # same length: still a well-formed file
    [findings] = list(read_path(path))
    assert [(m.bmd, m.t_score) for m in findings.measurements] == [(0.812, None)]
    assert [(d.reason, d.detail) for d in findings.exam.doubts] == [
        ("unreadable", 'SR value is not a number: "T-score" in "L1-L4"')]
    alone = sr_file(tmp_path / "alone.dcm", [spine_container(gen.num(gen.local("T-score"), -2.1,
                                                                      gen.ucum("{T-score}")))])
    alone.write_bytes(alone.read_bytes().replace(b"-2.1", b"-2,1"))
    assert only_error(alone) == 'SR value is not a number: "T-score" in "L1-L4"'


def test_dicomdir(tmp_path):
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.1.3.10", gen.uid("dicomdir")
    ds.FileSetID = "SYNTH"
    ds.DirectoryRecordSequence = []
    assert only_error(write(ds, tmp_path / "DICOMDIR")) == "DICOMDIR (media directory), not a report"


def test_encapsulated_pdf_that_is_not_a_report(tmp_path):
    ds = other_object("1.2.840.10008.5.1.4.1.1.104.1", "DOC")
    ds.EncapsulatedDocument = b"%PDF-1.4\n%%EOF\n"
    assert only_error(write(ds, tmp_path / "pdf.dcm")).startswith("encapsulated PDF: ")


def test_not_dicom_and_damaged_dicom(tmp_path):
    (tmp_path / "notes.dcm").write_text("not a DICOM file at all")
    assert "not a DICOM object" in only_error(tmp_path / "notes.dcm")
    (tmp_path / "junk.dcm").write_bytes(b"\0" * 128 + b"DICM" + bytes(range(256)) * 4)
    assert only_error(tmp_path / "junk.dcm").startswith(("truncated", "unreadable", "damaged DICOM"))


def test_image_cut_in_its_pixel_data_or_private_scan_file(tmp_path):
    data = write(gen.hologic_sc(PATIENT, "img", "HIP", "L"), tmp_path / "full.dcm").read_bytes()
    for cut, name in ((len(data) - 10, "pixels.dcm"), (len(data) // 2, "private.dcm")):
        (tmp_path / name).write_bytes(data[:cut])
        assert only_error(tmp_path / name) == "truncated DICOM: a value runs past the end of the file"


def test_image_without_pixel_data(tmp_path):
    ds = gen.hologic_sc(PATIENT, "img", "HIP", "L")
    del ds.PixelData
    assert only_error(write(ds, tmp_path / "img.dcm")) == "truncated DICOM: image without pixel data"


def test_every_cut_of_a_report_is_an_error_never_a_result(tmp_path):
    data = good_sr(tmp_path / "full.dcm").read_bytes()
    cut_file = tmp_path / "cut.dcm"
    reasons = set()
    for cut in range(140, len(data), 3):
        cut_file.write_bytes(data[:cut])
        reasons.add(only_error(cut_file).split(":")[0])
    assert reasons <= {"truncated DICOM", "not a DXA report", "unreadable DICOM"}
    assert "truncated DICOM" in reasons


def test_study_folder_with_bad_objects_still_reads_the_good_ones(tmp_path):
    folder = tmp_path / "exam"
    good_sr(folder / "sr.dcm")
    write(gen.hologic_sc(PATIENT, "img1", "LSPINE"), folder / "spine.dcm")
    ct = other_object("1.2.840.10008.5.1.4.1.1.2", "CT")
    gen.pixels(ct, rgb=False)
    write(ct, folder / "ct.dcm")
    cut = write(gen.hologic_sc(PATIENT, "img2", "HIP", "L"), folder / "hip.dcm")
    cut.write_bytes(cut.read_bytes()[:-20])
    (folder / "notes.txt").write_text("hello")
    items = list(read_path(folder))
    errors = {i.path.rsplit("/", 1)[-1]: i.reason for i in items if isinstance(i, InputError)}
    assert set(errors) == {"ct.dcm", "hip.dcm", "notes.txt"}
    [study] = [i for i in items if not isinstance(i, InputError)]
    assert (study.source.kind, study.source.path) == ("dicom-study", str(folder))
    assert study.exam.scans == ["spine"] and len(study.measurements) == 1


def test_cli_exit_2_and_one_stderr_line_per_bad_input(tmp_path, cli):
    good = good_sr(tmp_path / "good.dcm")
    (tmp_path / "bad.dcm").write_bytes(good.read_bytes()[:400])
    (tmp_path / "comma.dcm").write_bytes(good.read_bytes().replace(b"-2.1", b"-2,1"))  # pydicom warns on it
    ct = other_object("1.2.840.10008.5.1.4.1.1.2", "CT")
    gen.pixels(ct, rgb=False)
    write(ct, tmp_path / "ct.dcm")
    run = cli("code", *(str(tmp_path / n) for n in ("bad.dcm", "good.dcm", "comma.dcm", "ct.dcm")))
    assert run.code == 2
    assert run.err.splitlines() == [
        f"dxaparse: {tmp_path / 'bad.dcm'}: truncated DICOM: a value runs past the end of the file",
        f"dxaparse: {tmp_path / 'ct.dcm'}: not a DXA object: CT Image Storage"]
    result, comma = json.loads(run.out)
    assert result["source"]["path"] == str(good) and result["measurements"][0]["t_score"] == -2.1
    # the SR with one unreadable value is coded from the rest, and flagged
    assert comma["measurements"][0]["t_score"] is None and comma["coding"]["needs_review"]
    assert "value_doubt" in [f["code"] for f in comma["coding"]["flags"]]


@pytest.mark.parametrize("name", ["ct.dcm", "hip.dcm"])
def test_cli_codes_a_study_folder_with_one_bad_object(tmp_path, cli, name):
    folder = tmp_path / "exam"
    good_sr(folder / "sr.dcm")
    write(gen.hologic_sc(PATIENT, "img1", "LSPINE"), folder / "spine.dcm")
    bad = other_object("1.2.840.10008.5.1.4.1.1.2", "CT") if name == "ct.dcm" else gen.hologic_sc(
        PATIENT, "img2", "HIP", "L")
    gen.pixels(bad, rgb=False)
    path = write(bad, folder / name)
    if name == "hip.dcm":
        path.write_bytes(path.read_bytes()[:-20])
    run = cli("code", str(folder))
    assert run.code == 2 and len(run.err.splitlines()) == 1 and name in run.err
    result = json.loads(run.out)
    assert result["source"]["kind"] == "dicom-study" and result["coding"]["cpt"][0]["code"] == "77080"


def test_folder_of_one_good_object_and_one_bad(tmp_path):
    good_sr(tmp_path / "sr.dcm")
    (tmp_path / "broken.dcm").write_bytes((tmp_path / "sr.dcm").read_bytes()[:300])
    items = list(read_dicom([tmp_path / "broken.dcm", tmp_path / "sr.dcm"], root=tmp_path))
    assert isinstance(items[0], InputError)
    assert (items[1].source.kind, items[1].source.path) == ("dicom-sr", str(tmp_path / "sr.dcm"))
