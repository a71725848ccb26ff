"""Report screenshots in slide and document PDFs: a page whose text layer holds no report (a title, a
slide number) but which carries a large image has that image read by OCR, placed where it lies; a
page whose text is a report on its own is never read by OCR."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from dxaparse.errors import InputError
from dxaparse.read.ocr import available
from dxaparse.read.options import ReadOptions
from dxaparse.read.pdf import read_pdf
from dxaparse.read.pdf.document import SCREENSHOT_SHARE, read_text_layer
from samples.expected_output import without_evidence

from ._pdf import sample_script
from .conftest import ROOT, run_cli

needs_ocr = pytest.mark.skipif(not available(), reason="OCR not installed: pip install -e '.[ocr]' "
                               "(scripts/setup does it)")
NAME = "ge-encore-v12-slide-150dpi"
SLIDE = ROOT / "samples" / "ocr" / f"{NAME}.pdf"
TEXT = ROOT / "samples" / "pdf"


def _generator():
    return sample_script("generate_ocr")


def _with_image(src: Path, out: Path, box: tuple[float, float, float, float]) -> Path:
    """`src` with a grey picture (a scan image, a logo) drawn at `box` (left, bottom, width, height) on
    its first page."""
    pdf = pdfium.PdfDocument(str(src))
    try:
        page = pdf[0]
        obj = pdfium.PdfImage.new(pdf)
        obj.set_bitmap(pdfium.PdfBitmap.from_pil(Image.new("RGB", (200, 200), (120, 120, 120))))
        left, bottom, width, height = box
        obj.set_matrix(pdfium.PdfMatrix().scale(width, height).translate(left, bottom))
        page.insert_obj(obj)
        page.gen_content()
        pdf.save(str(out))
    finally:
        pdf.close()
    return out


@pytest.fixture
def no_ocr_engine(monkeypatch):
    """OCR made to fail loudly wherever it would run."""
    from dxaparse.read.ocr import pdf as ocr_pdf

    def refuse(*_args, **_kw):
        raise AssertionError("OCR ran on a text report")
    monkeypatch.setattr(ocr_pdf, "read_words", refuse)
    monkeypatch.setattr(ocr_pdf, "screenshot_images", refuse)
    monkeypatch.setattr(ocr_pdf, "page_images", refuse)


# --- which pages ------------------------------------------------------------------------------------------


def test_the_slide_text_layer_is_a_title_and_a_number_and_its_image_a_screenshot():
    layer = read_text_layer(SLIDE)
    assert " ".join(w.text for w in layer.words) == "Case 3 – DXA results 3"
    assert layer.screenshot_pages == [0]
    assert SCREENSHOT_SHARE <= layer.images[0] < 0.5    # less than the half that makes a page an image


def test_a_logo_is_no_screenshot(tmp_path):
    pdf = _with_image(TEXT / "narrative-normal-screening.pdf", tmp_path / "logo.pdf", (40, 760, 90, 40))
    layer = read_text_layer(pdf)
    assert 0 < layer.images[0] < SCREENSHOT_SHARE and layer.screenshot_pages == []


@pytest.mark.parametrize("name", sorted(p.stem for p in TEXT.glob("*.pdf")))
def test_a_text_report_is_not_read_by_ocr(name, no_ocr_engine):
    found = read_pdf(TEXT / f"{name}.pdf")
    assert not any(m.ocr for m in found.measurements)


def test_a_text_report_page_carrying_a_large_image_is_not_read_by_ocr(tmp_path, no_ocr_engine):
    """A scanner page prints its scan image beside its results table: the text is the report."""
    pdf = _with_image(TEXT / "ge-encore-v12.pdf", tmp_path / "scan-image.pdf", (40, 300, 300, 400))
    assert read_text_layer(pdf).screenshot_pages == [0]       # large enough to be a screenshot …
    found = read_pdf(pdf)                                       # … but the page's text is a report
    assert found.measurements and not any(m.ocr for m in found.measurements)


# --- reading the screenshot ---------------------------------------------------------------------------------


@needs_ocr
def test_the_slide_reads_as_its_printout_every_value_marked_ocr():
    text = json.loads((TEXT / "ge-encore-v12.expected.json").read_text("utf-8"))
    got = read_pdf(SLIDE).model_dump(mode="json")
    # where: on the slide, not on the printout's page
    assert without_evidence(got["measurements"]) == [
        {**m, "ocr": True} for m in without_evidence(text["measurements"])]
    assert (got["patient"], got["exam"]) == (text["patient"], text["exam"])
    assert got["source"]["vendor"] == text["source"]["vendor"]


@needs_ocr
def test_only_the_image_is_read_and_its_words_lie_on_it():
    from dxaparse.read.ocr.pages import screenshot_images
    from dxaparse.read.ocr.pdf import _ocr_words

    [shot] = screenshot_images(SLIDE, ReadOptions(), [0])
    where = shot.where
    assert (where.page, round(where.left), round(where.top), round(where.width), round(where.height)) == (
        0, 321, 74, 318, 450)
    assert shot.dpi == pytest.approx(shot.image.width / 8.5)   # as wide as a report page
    words, _ = _ocr_words([shot])
    right, bottom = where.left + where.width, where.top + where.height
    assert words and all(where.left - 1 <= w.x0 <= w.x1 <= right + 1 and where.top - 1 <= w.top <= w.bottom
                         <= bottom + 1 for w in words)
    assert "Case" not in {w.text for w in words}                # the title is read from the text layer


# --- OCR off or missing -----------------------------------------------------------------------------------


def test_no_ocr_says_the_page_holds_an_image_ocr_could_read():
    run = run_cli("code", "--no-ocr", f"samples/ocr/{SLIDE.name}")
    assert run.code == 2
    assert run.err.strip() == (f"dxaparse: samples/ocr/{SLIDE.name}: not a DXA report: its text holds no "
                               "results; page 1 holds an image that OCR could read (OCR is off)")


def test_without_tesseract_the_error_says_how_to_install_it(monkeypatch):
    from dxaparse.read.ocr import pdf as ocr_pdf
    monkeypatch.setattr(ocr_pdf, "available", lambda: False)
    with pytest.raises(InputError) as err:
        read_pdf(SLIDE)
    assert err.value.reason.endswith("page 1 holds an image that OCR could read (install the ocr extra, "
                                     "pip install 'dxaparse[ocr]', to read it by OCR (see docs/ocr.md))")


def test_a_title_naming_no_dxa_keeps_the_not_a_dxa_report_error(tmp_path, monkeypatch):
    gen = _generator()
    monkeypatch.setattr(gen, "SLIDE_TITLE", "Case 3")
    pdf = tmp_path / "case-3.pdf"
    gen.slide_pdf(TEXT / "ge-encore-v12.pdf", pdf)
    with pytest.raises(InputError) as err:
        read_pdf(pdf, ReadOptions(ocr=False))
    assert err.value.reason == ("not a DXA report: no results table and no bone density text; "
                                "page 1 holds an image that OCR could read (OCR is off)")
    if available():
        assert [m.t_score for m in read_pdf(pdf).measurements][-1] == -2.6
