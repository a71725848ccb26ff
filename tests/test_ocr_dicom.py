"""Report pages sent as DICOM Secondary Capture: told from scan images by the vendors' `[report_page]`
rule, read by the same OCR path and layout readers as image-only PDF pages."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError
from dxaparse.models import Scan
from dxaparse.pipeline import result_of
from dxaparse.read.dicom import read_dicom
from dxaparse.read.dicom.header import vendor_of
from dxaparse.read.dicom.report_page import LETTER_WIDTH_IN, is_report_page, page_dpi, to_image
from dxaparse.read.ocr import available
from dxaparse.read.options import ReadOptions
from samples.expected_output import without_evidence

from . import _dicom
from .conftest import ROOT

needs_ocr = pytest.mark.skipif(not available(), reason="OCR not installed: pip install -e '.[ocr]' "
                               "(scripts/setup does it)")
NAME = "ge-encore-report-page-sc"
PAGE = ROOT / "samples" / "ocr" / f"{NAME}.dcm"
SCAN = ROOT / "samples" / "dicom" / "hologic-image-forearm.dcm"


def _header(path) -> Dataset:
    return pydicom.dcmread(path, stop_before_pixels=True)


def _only(items):
    [item] = list(items)
    if isinstance(item, InputError):
        raise item
    return item


@pytest.fixture(scope="module")
def page_result() -> dict:
    findings = _only(read_dicom([PAGE]))
    findings.source.path = f"samples/ocr/{PAGE.name}"
    return result_of(findings, CodingSettings()).to_json_dict()


def test_sample_is_a_small_8_bit_grey_secondary_capture():
    ds = pydicom.dcmread(PAGE)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert (ds.PhotometricInterpretation, ds.BitsAllocated, ds.SamplesPerPixel) == ("MONOCHROME2", 8, 1)
    assert PAGE.stat().st_size < 300_000


@needs_ocr
def test_report_page_reproduces_the_expected_json(page_result):
    got, want = dict(page_result), json.loads((PAGE.parent / f"{NAME}.expected.json").read_text("utf-8"))
    got_coding, want_coding = got.pop("coding"), want.pop("coding")
    assert got == want
    assert all(m["ocr"] and m["doubt"] is None for m in got["measurements"])
    assert [f["code"] for f in got_coding["flags"]] == [f["code"] for f in want_coding["flags"]]
    assert (got_coding["category"], got_coding["basis"], [c["code"] for c in got_coding["icd10"]],
            [c["code"] for c in got_coding["cpt"]]) == (
        want_coding["category"], want_coding["basis"], [c["code"] for c in want_coding["icd10"]],
        [c["code"] for c in want_coding["cpt"]])


@needs_ocr
def test_measurements_equal_the_text_pdf_sample(page_result):
    text = json.loads((ROOT / "samples" / "pdf" / "ge-encore-v12.expected.json").read_text("utf-8"))
    # where: in the page image's pixels, not the text PDF's points (tests/test_evidence.py)
    assert without_evidence(page_result["measurements"]) == [
        {**m, "ocr": True} for m in without_evidence(text["measurements"])]


def test_report_page_detected_and_scan_image_not():
    page, scan = _header(PAGE), _header(SCAN)
    assert is_report_page(page, vendor_of(page))
    assert not is_report_page(scan, vendor_of(scan))


def test_hologic_scan_image_is_still_read_as_an_image():
    findings = _only(read_dicom([SCAN], options=ReadOptions(ocr=True)))
    assert findings.source.kind == "dicom-image"
    assert findings.exam.scans == [Scan.FOREARM] and not findings.measurements


@pytest.mark.parametrize("change, expected", [
    ({"SeriesDescription": "DXA Report"}, True),
    ({"SeriesDescription": "", "ImageComments": "Bone density results, page 1"}, True),
    ({"SeriesDescription": "", "BurnedInAnnotation": "YES"}, True),            # WSD, no scan named
    ({"SeriesDescription": "AP Spine", "BurnedInAnnotation": "YES"}, False),   # names a scan
    ({"SeriesDescription": "", "BurnedInAnnotation": "NO"}, False),
    ({"SeriesDescription": "Dose Report", "Manufacturer": "SIEMENS", "ManufacturerModelName": "SOMATOM",
      "Modality": "CT"}, False),                                               # not a DXA object
    ({"SeriesDescription": "Reporting lines", "BurnedInAnnotation": "NO"}, False),  # whole words
])
def test_detection_rule(change, expected):
    ds = _header(PAGE)
    for key, value in change.items():
        setattr(ds, key, value)
    assert is_report_page(ds, vendor_of(ds)) is expected


def test_hologic_apex_report_sc(tmp_path):
    ds = _dicom.gen.hologic_sc(_dicom.PATIENT, "report", "", series="Report")
    assert is_report_page(ds, "hologic")
    ds.SeriesDescription = ""
    assert not is_report_page(ds, "hologic")    # an APEX SC with no body part is a whole-body scan


def test_ocr_off_is_an_error():
    [err] = list(read_dicom([PAGE], options=ReadOptions(ocr=False)))
    assert isinstance(err, InputError) and err.reason == "report page image: OCR is off"


def test_ocr_not_installed_is_an_error(monkeypatch):
    import dxaparse.read.ocr as ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    [err] = list(read_dicom([PAGE]))
    assert isinstance(err, InputError)
    assert err.reason == ("report page image: OCR not available (install the ocr extra, "
                          "pip install 'dxaparse[ocr]')")


@needs_ocr
def test_report_page_gives_the_scores_of_its_study(tmp_path):
    """In a study, the page's scores count like an Encapsulated PDF's; images add their scans."""
    shutil.copy(PAGE, tmp_path / "page.dcm")
    page = _header(PAGE)
    image = _dicom.gen.ge_cr(_dicom.PATIENT, "femur", "Left Femur", "raw")
    image.StudyInstanceUID = page.StudyInstanceUID
    _dicom.write(image, tmp_path / "femur.dcm")
    findings = _only(read_dicom(sorted(tmp_path.iterdir()), root=tmp_path))
    assert findings.source.kind == "dicom-study"
    assert findings.exam.scans == [Scan.SPINE, Scan.HIP]
    assert findings.measurements and all(m.ocr for m in findings.measurements)


def test_pixels_to_image():
    grey16 = np.array([[0, 4095], [2048, 4095]], dtype=np.uint16)
    assert list(to_image(grey16, "MONOCHROME2").tobytes()) == [0, 255, 128, 255]
    assert list(to_image(grey16, "MONOCHROME1").tobytes()) == [255, 0, 127, 0]
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    assert to_image(rgb, "RGB").mode == "RGB"
    assert to_image(np.array([[0, 1]], dtype=np.uint8) * 255, "MONOCHROME2").mode == "L"


def test_resolution_from_pixel_spacing_else_letter_width():
    ds = Dataset()
    assert page_dpi(ds, 1275) == pytest.approx(1275 / LETTER_WIDTH_IN)
    ds.NominalScannedPixelSpacing = [25.4 / 200, 25.4 / 200]
    assert page_dpi(ds, 1275) == pytest.approx(200)
    ds.PixelSpacing = [25.4 / 300, 25.4 / 300]
    assert page_dpi(ds, 1275) == pytest.approx(300)
    ds.PixelSpacing = [0.0, 0.0]     # nonsense spacing: the next attribute, then the Letter width
    assert page_dpi(ds, 1275) == pytest.approx(200)
