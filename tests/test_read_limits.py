"""Resource limits (issue 15): a small hostile file naming thousands of pages or a page of kilometres is
refused, with the limit and its setting named, before the work it would cost is done."""

from __future__ import annotations

import pydicom
import pypdfium2 as pdfium
import pytest

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError
from dxaparse.pipeline import process
from dxaparse.read.dicom import read_dicom
from dxaparse.read.ocr import available
from dxaparse.read.options import DEFAULTS, ReadOptions
from dxaparse.read.pdf import document
from dxaparse.unit import RunOptions

from ._pdf import raw_pdf, text_content
from .conftest import ROOT

needs_ocr = pytest.mark.skipif(not available(), reason="OCR not installed: pip install -e '.[ocr]'")
REPORT = text_content("Scan Type: a Lumbar Spine", "Patient ID: SYN-LIMITS\tSex: Female\tAge: 67",
                      "DXA Results Summary:", "Region\tBMD (g/cm2)\tT-score", "L1-L4\t0.856\t-2.8")
PAGE = ROOT / "samples" / "ocr" / "ge-encore-report-page-sc.dcm"


def reasons(path, settings: CodingSettings | None = None) -> list[str]:
    items = process(path, settings or CodingSettings())
    return [item.reason for item in items if isinstance(item, InputError)]


def test_the_limits_are_site_settings_with_safe_defaults():
    assert (DEFAULTS.max_pages, DEFAULTS.max_page_pixels) == (50, 40_000_000)
    settings = CodingSettings()
    assert (settings.max_pages, settings.max_page_pixels) == (DEFAULTS.max_pages, DEFAULTS.max_page_pixels)
    options = RunOptions(CodingSettings(max_pages=7, max_page_pixels=9_000_000)).read_options()
    assert (options.max_pages, options.max_page_pixels) == (7, 9_000_000)
    with pytest.raises(ValueError):
        CodingSettings(max_pages=0)


def test_a_pdf_of_too_many_pages_is_refused_before_any_page_is_read(tmp_path, monkeypatch):
    """Pages sharing one content stream: 60 pages in a few kilobytes."""
    pdf = raw_pdf(tmp_path / "many.pdf", [REPORT] * 60)
    assert pdf.stat().st_size < 10_000

    def read_page(*args):
        raise AssertionError("a page was read")
    monkeypatch.setattr(document, "_page_words", read_page)
    assert reasons(pdf) == ["PDF has 60 pages; the limit is 50 (setting max_pages)"]


def test_max_pages_is_the_sites_setting(tmp_path):
    pdf = raw_pdf(tmp_path / "three.pdf", [REPORT] * 3)
    assert reasons(pdf, CodingSettings(max_pages=2)) == [
        "PDF has 3 pages; the limit is 2 (setting max_pages)"]
    [result] = process(pdf, CodingSettings(max_pages=3))
    assert result.measurements[0].t_score == -2.8


def test_pdfium_counts_the_pages_when_pdfminer_cannot(tmp_path, monkeypatch):
    from dxaparse.read.pdf import damage
    monkeypatch.setattr(damage, "PDFDocument", lambda *a, **k: 1 / 0)   # pdfminer fails to parse
    pdf = raw_pdf(tmp_path / "many.pdf", [REPORT] * 60)
    assert reasons(pdf) == ["PDF has 60 pages; the limit is 50 (setting max_pages)"]


@needs_ocr
def test_a_huge_page_is_refused_before_it_is_rendered(tmp_path, monkeypatch):
    """An image-only page of 200,000 points square (70 m): 833,333 pixels square at 300 dpi."""
    pdf = raw_pdf(tmp_path / "huge.pdf", [b"q 10 0 0 10 0 0 cm /Im0 Do Q"],
                  media_box=(0, 0, 200_000, 200_000), image=(8, 8))

    def render(*args, **kwargs):
        raise AssertionError("the page was rendered")
    monkeypatch.setattr(pdfium.PdfPage, "render", render)
    assert reasons(pdf) == ["PDF page 1 is 833333 × 833333 pixels at the OCR resolution; the limit is "
                            "40000000 pixels (setting max_page_pixels)"]


@needs_ocr
def test_an_embedded_page_image_too_large_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    """A scan filling a Letter page at 353 dpi is read as it is: 3000 × 3000 pixels."""
    pdf = raw_pdf(tmp_path / "scan.pdf", [b"q 612 0 0 792 0 0 cm /Im0 Do Q"], image=(3000, 3000))

    def decode(*args, **kwargs):
        raise AssertionError("the image was decoded")
    monkeypatch.setattr(pdfium.PdfImage, "get_bitmap", decode)
    assert reasons(pdf, CodingSettings(max_page_pixels=5_000_000)) == [
        "the image on PDF page 1 is 3000 × 3000 pixels at the OCR resolution; the limit is 5000000 pixels "
        "(setting max_page_pixels)"]


@needs_ocr
def test_a_dicom_report_page_is_measured_from_its_header_before_its_pixels_are_decoded(tmp_path, monkeypatch):
    """1275 × 1754 pixels at 150 dpi (a Letter page), read by OCR at twice that: 2550 × 3508."""
    def decode(*args, **kwargs):
        raise AssertionError("the pixels were decoded")
    monkeypatch.setattr(pydicom.dataset.Dataset, "pixel_array", property(decode))
    [err] = read_dicom([PAGE], options=ReadOptions(max_page_pixels=8_000_000))
    assert err.reason.endswith("report page image is 2550 × 3508 pixels at the OCR resolution; the limit is "
                               "8000000 pixels (setting max_page_pixels)")


@needs_ocr
def test_a_dicom_report_page_of_too_many_frames_is_refused(tmp_path):
    ds = pydicom.dcmread(PAGE)
    ds.NumberOfFrames = 3   # the header alone decides: the pixels are never decoded
    ds.save_as(tmp_path / "frames.dcm")
    [err] = read_dicom([tmp_path / "frames.dcm"], options=ReadOptions(max_pages=2))
    assert err.reason.endswith("report page image has 3 pages; the limit is 2 (setting max_pages)")
