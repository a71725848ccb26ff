"""DXA image objects: the scan each shows, from headers alone, and what is not a DXA image."""

from __future__ import annotations

import pydicom.filereader
import pytest
from pydicom.dataset import Dataset

from dxaparse.errors import InputError
from dxaparse.models import Scan
from dxaparse.read import dicom
from dxaparse.read.dicom import read_dicom

from ._dicom import PATIENT, gen, write


def read_one(path):
    [item] = list(read_dicom([path]))
    return item


@pytest.mark.parametrize("body_part, laterality, series, bits, scan", [
    ("LSPINE", "", "", 8, Scan.SPINE),
    ("HIP", "L", "", 8, Scan.HIP),
    ("ARM", "R", "", 8, Scan.FOREARM),
    ("", "", "", 8, Scan.TOTAL_BODY),
    ("LSPINE", "", "IVA", 16, Scan.VFA),
    ("LSPINE", "", "Instant Vertebral Assessment", 16, Scan.VFA),
    ("LSPINE", "", "AP Lumbar Spine", 8, Scan.SPINE),
])
def test_hologic_secondary_capture(tmp_path, body_part, laterality, series, bits, scan):
    ds = gen.hologic_sc(PATIENT, "img", body_part, laterality, series=series, bits=bits)
    f = read_one(write(ds, tmp_path / "img.dcm"))
    assert (f.source.kind, f.source.vendor, f.exam.scans) == ("dicom-image", "hologic", [scan])
    assert f.vfa.performed is (scan is Scan.VFA)
    assert f.measurements == [] and f.exam.unrecognized == []


@pytest.mark.parametrize("protocol, scan", [
    ("AP Spine", Scan.SPINE), ("Left Femur", Scan.HIP), ("Right Femur", Scan.HIP), ("DualFemur", Scan.HIP),
    ("LVA", Scan.VFA), ("Total Body", Scan.TOTAL_BODY), ("Left Forearm", Scan.FOREARM),
])
def test_ge_lunar_cr_protocols(tmp_path, protocol, scan):
    f = read_one(write(gen.ge_cr(PATIENT, "img", protocol, "x.dfc"), tmp_path / "img.dcm"))
    assert (f.source.vendor, f.exam.scans, f.exam.device) == ("ge-lunar", [scan], "GE Healthcare Lunar iDXA")


def test_protocol_in_the_performed_procedure_step_only(tmp_path):
    ds = gen.ge_cr(PATIENT, "img", "LVA", "x.dfv")
    ds.ProtocolName = ""
    f = read_one(write(ds, tmp_path / "img.dcm"))
    assert f.exam.scans == [Scan.VFA] and f.vfa.performed


def test_unknown_protocol_of_a_dxa_device_is_unrecognized_not_an_error(tmp_path):
    f = read_one(write(gen.ge_cr(PATIENT, "img", "Left Ortho Knee", "x.dfk"), tmp_path / "img.dcm"))
    assert f.exam.scans == [] and f.exam.unrecognized == ["Left Ortho Knee"]


def test_dxa_device_name_without_private_block(tmp_path):
    ds = gen.ge_cr(PATIENT, "img", "AP Spine", "x.dfc")
    del ds[0x70030010], ds[0x70031001], ds[0x70031002], ds[0x70031003], ds[0x70031004]
    ds.ManufacturerModelName = "Lunar Prodigy Advance"
    assert read_one(write(ds, tmp_path / "img.dcm")).exam.scans == [Scan.SPINE]


def test_private_creator_names_the_vendor_when_the_manufacturer_is_empty(tmp_path):
    ds = gen.hologic_sc(PATIENT, "img", "HIP", "R")
    ds.Manufacturer, ds.ManufacturerModelName = "", ""
    f = read_one(write(ds, tmp_path / "img.dcm"))
    assert (f.source.vendor, f.exam.scans, f.exam.device) == ("hologic", [Scan.HIP], None)


@pytest.mark.parametrize("maker, model, protocol", [
    ("AGFA", "CR 85-X", "Chest PA"),
    ("GE Healthcare", "Definium 8000", "Left Femur"),  # a radiograph of a femur, not a DXA femur scan
])
def test_radiographs_are_not_dxa(tmp_path, maker, model, protocol):
    ds = gen.ge_cr(PATIENT, "img", protocol, "x")
    del ds[0x70030010], ds[0x70031001], ds[0x70031002], ds[0x70031003], ds[0x70031004]
    ds.Manufacturer, ds.ManufacturerModelName = maker, model
    err = read_one(write(ds, tmp_path / "cr.dcm"))
    assert isinstance(err, InputError)
    assert err.reason == "not a DXA object: Computed Radiography Image Storage"


def test_only_headers_are_read(tmp_path, monkeypatch):
    """Pixel data is not read and the private scan file is never loaded (speed on big studies)."""
    path = write(gen.hologic_sc(PATIENT, "img", "HIP", "L"), tmp_path / "img.dcm")
    ds, found = dicom._read_header(path)
    assert "PixelData" not in ds and found.damaged is None and found.truncated is None
    raw = ds.get_item(0x00231002, keep_deferred=True)  # HOLOGIC P-file data, 17 600 bytes
    assert raw.value is None and raw.length == 17600

    def loaded(*args, **kwargs):
        raise AssertionError("a deferred value was read")
    monkeypatch.setattr(pydicom.filereader, "read_deferred_data_element", loaded)
    assert read_one(path).exam.scans == [Scan.HIP]


def test_presentation_state_counts_only_within_a_study(tmp_path):
    ps = write(gen.hologic_gsps(PATIENT, "ps"), tmp_path / "ps.dcm")
    img = write(gen.hologic_sc(PATIENT, "img", "LSPINE", series="IVA", bits=16), tmp_path / "iva.dcm")
    [alone] = list(read_dicom([ps]))
    assert isinstance(alone, InputError)
    assert alone.reason == "not a DXA report: Grayscale Softcopy Presentation State Storage holds no results"
    [study] = list(read_dicom([ps, img], root=tmp_path))
    assert (study.source.kind, study.exam.scans) == ("dicom-study", [Scan.VFA])


def test_presentation_state_of_another_maker_is_not_dxa(tmp_path):
    ds = gen.hologic_gsps(PATIENT, "ps")
    ds.Manufacturer, ds.ManufacturerModelName = "ACME", "Viewer"
    err = read_one(write(ds, tmp_path / "ps.dcm"))
    assert err.reason == "not a DXA object: Grayscale Softcopy Presentation State Storage"


def test_image_header_patient_and_exam(tmp_path):
    f = read_one(write(gen.ge_cr(PATIENT, "img", "AP Spine", "x"), tmp_path / "img.dcm"))
    assert (f.patient.sex, f.patient.age_years, f.patient.id) == ("F", 67.0, "SYN-test-exam")
    assert (str(f.exam.date), f.exam.accession) == ("2024-03-01", "ACCEXAM")
    assert f.exam.study_uid == gen.uid("test-exam/study")


def test_image_without_vendor_hints_is_not_dxa(tmp_path):
    ds = Dataset()
    gen.header(ds, PATIENT, "sc", "1.2.840.10008.5.1.4.1.1.7", "OT", "ACME", "Scanner")
    ds.BodyPartExamined = "LSPINE"
    gen.pixels(ds, rgb=False)
    err = read_one(write(ds, tmp_path / "sc.dcm"))
    assert err.reason == "not a DXA object: Secondary Capture Image Storage"
