"""Where each value came from (issue 17): every value read from a page has the box of the word(s) it was
printed in, every value read from an SR the content item it came from, so that a reviewer can see it.

The boxes are checked against the page by another library (pdfplumber reads the words inside each box),
OCR boxes against the text layer of the page the image was made from, and SR items by resolving their
path in the dataset."""

from __future__ import annotations

import json

import pdfplumber
import pydicom
import pytest

from dxaparse.code import CodingSettings
from dxaparse.emit import FORMATS
from dxaparse.models import Evidence, Measurement
from dxaparse.pipeline import process
from dxaparse.read.layout.values import cell_value, number
from dxaparse.read.ocr import available
from dxaparse.read.pdf import read_pdf

from . import _dicom
from .conftest import ROOT

SAMPLES = ROOT / "samples"
PDFS = sorted(p.name for p in (SAMPLES / "pdf").glob("*.pdf") if not p.name.startswith("narrative"))
SRS = sorted(p.name for p in (SAMPLES / "dicom").glob("*-sr-*.dcm"))
NUMBERS = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")
ocr = pytest.mark.skipif(not available(), reason="OCR not installed (scripts/setup installs it)")


def _inside(words: list[dict], box) -> str:
    """The words pdfplumber finds with their centre inside the box, in reading order."""
    return " ".join(w["text"] for w in words
                    if box.x0 - 1 <= (w["x0"] + w["x1"]) / 2 <= box.x1 + 1
                    and box.top - 1 <= (w["top"] + w["bottom"]) / 2 <= box.bottom + 1)


def _value(e: Evidence) -> float:
    """The evidence's text as the value it gives (a BMD printed in mg/cm², beside it or in its column's
    header, is read in g/cm²)."""
    v = cell_value(e.text).value
    return v / 1000 if e.field == "bmd" and v > 10 else v


def test_each_t_score_box_holds_the_printed_t_score():
    pdf = SAMPLES / "pdf" / "hologic-spine-hip-pram.pdf"
    found = read_pdf(pdf)
    scored = [m for m in found.measurements if m.t_score is not None]
    assert len(scored) >= 6
    with pdfplumber.open(pdf) as doc:
        for m in scored:
            [e] = [e for e in m.evidence if e.field == "t_score"]
            page = doc.pages[e.box.page]
            assert (e.box.page_width, e.box.page_height) == (float(page.width), float(page.height))
            printed = _inside(page.dedupe_chars().extract_words(), e.box)
            assert number(printed) == m.t_score, (m.label, printed)
            assert number(printed) == number(e.text) and not e.ocr and e.sr_item is None


@pytest.mark.parametrize("name", PDFS)
def test_every_box_of_a_printed_report_holds_its_value(name):
    pdf = SAMPLES / "pdf" / name
    found = read_pdf(pdf)
    measured = [m for m in found.measurements if any(getattr(m, f) is not None for f in NUMBERS)]
    assert measured and all(m.evidence for m in measured)
    with pdfplumber.open(pdf) as doc:
        words = {i: p.dedupe_chars().extract_words() for i, p in enumerate(doc.pages)}
        for m in measured:
            read = {f for f in NUMBERS if getattr(m, f) is not None}
            assert {e.field for e in m.evidence} - {"label"} == read
            for e in m.evidence:
                assert 0 <= e.box.x0 < e.box.x1 <= e.box.page_width
                assert 0 <= e.box.top < e.box.bottom <= e.box.page_height
                printed = _inside(words[e.box.page], e.box)
                if e.field == "label":
                    assert printed == e.text, m.label
                else:   # the libraries may map a minus glyph to different characters: compare numbers
                    assert cell_value(printed) == cell_value(e.text), (m.label, e.field, printed)
                    assert _value(e) == pytest.approx(getattr(m, e.field)), (m.label, e.field)


def test_tbs_and_frax_boxes_hold_their_values():
    pdf = SAMPLES / "pdf" / "hologic-spine-hip-pram.pdf"
    found = read_pdf(pdf)
    with pdfplumber.open(pdf) as doc:
        pairs = [(found.tbs.value, found.tbs.evidence), (found.frax.major, found.frax.evidence[:1]),
                 (found.frax.hip, found.frax.evidence[1:])]
        for value, [e] in pairs:
            printed = _inside(doc.pages[e.box.page].dedupe_chars().extract_words(), e.box)
            assert number(printed.rstrip("%")) == value


def test_narrative_values_have_no_boxes():
    """Values stated in sentences are not tied to words (yet): no evidence rather than a wrong box."""
    found = read_pdf(SAMPLES / "pdf" / "narrative-osteoporosis-steroids.pdf")
    assert found.measurements and all(m.evidence == [] for m in found.measurements)


def _by_row(found) -> dict[tuple, Measurement]:
    return {(m.site, m.side, m.label): m for m in found.measurements}


@ocr
def test_ocr_boxes_lie_on_the_page_where_the_text_printed_them():
    """The 150-dpi sample is the text sample's page as an image: OCR's boxes, scaled to points, cover
    the text layer's box of the same value."""
    text = _by_row(read_pdf(SAMPLES / "pdf" / "hologic-spine-hip-pram.pdf"))
    image = _by_row(read_pdf(SAMPLES / "ocr" / "hologic-spine-hip-pram-150dpi.pdf"))
    assert image.keys() == text.keys()
    for key, m in image.items():
        assert m.evidence and all(e.ocr and e.box for e in m.evidence)
        printed = {e.field: e.box for e in text[key].evidence}
        for e in m.evidence:
            assert 0 <= e.box.x0 < e.box.x1 <= e.box.page_width == 612.0
            assert 0 <= e.box.top < e.box.bottom <= e.box.page_height
            want = printed[e.field]
            assert min(e.box.x1, want.x1) > max(e.box.x0, want.x0), (key, e.field)
            assert min(e.box.bottom, want.bottom) > max(e.box.top, want.top), (key, e.field)


@ocr
def test_a_dicom_report_page_gives_boxes_in_the_images_pixels():
    dcm = SAMPLES / "ocr" / "ge-encore-report-page-sc.dcm"
    ds = pydicom.dcmread(dcm)
    [found] = process(dcm, CodingSettings())
    text = _by_row(read_pdf(SAMPLES / "pdf" / "ge-encore-v12.pdf"))
    scale = ds.Columns / 612.0          # the page was rendered from a Letter page, as wide as the image
    for key, m in _by_row(found).items():
        assert m.evidence and all(e.ocr for e in m.evidence)
        printed = {e.field: e.box for e in text[key].evidence}
        for e in m.evidence:
            assert (e.box.page, e.box.page_width, e.box.page_height) == (0, ds.Columns, ds.Rows)
            assert 0 <= e.box.x0 < e.box.x1 <= ds.Columns and 0 <= e.box.top < e.box.bottom <= ds.Rows
            want = printed[e.field]
            assert min(e.box.x1, want.x1 * scale) > max(e.box.x0, want.x0 * scale), (key, e.field)
            assert min(e.box.bottom, want.bottom * scale) > max(e.box.top, want.top * scale), (key, e.field)


def _item(ds, path: str):
    """The content item at a Referenced Content Item Identifier path ("1" is the document root)."""
    steps = [int(n) for n in path.split(".")]
    assert steps[0] == 1
    item = ds
    for n in steps[1:]:
        item = item.ContentSequence[n - 1]
    return item


@pytest.mark.parametrize("name", SRS)
def test_sr_items_resolve_to_the_num_items_of_the_values(name):
    dcm = SAMPLES / "dicom" / name
    ds = pydicom.dcmread(dcm)
    [found] = process(dcm, CodingSettings())
    parts = [(m, m.evidence) for m in found.measurements]
    parts += [(found.tbs, found.tbs.evidence)] if found.tbs else []
    parts += [(found.frax, found.frax.evidence)] if found.frax else []
    assert found.measurements
    for m in found.measurements:   # every value read has its item
        assert {e.field for e in m.evidence} == {f for f in NUMBERS if getattr(m, f) is not None}
    names = {"tbs": "value", "frax_major": "major", "frax_hip": "hip"}
    for part, evidence in parts:
        for e in evidence:
            path, meaning = e.sr_item.split(" ", 1)
            item = _item(ds, path)
            assert item.ValueType == "NUM" and item.ConceptNameCodeSequence[0].CodeMeaning == meaning
            value = float(item.MeasuredValueSequence[0].NumericValue)
            assert getattr(part, names.get(e.field, e.field)) == pytest.approx(value, rel=1e-3), e.sr_item
            assert e.box is None and e.text == str(item.MeasuredValueSequence[0].NumericValue).strip()


def test_an_sr_item_path_counts_items_of_every_kind(tmp_path):
    """Items the reader skips (text, codes) still count in the path, as DICOM counts them."""
    gen = _dicom.gen
    spine = _dicom.spine_container(gen.text(gen.local("Comment"), "see report"), _dicom.bmd(0.9),
                                   _dicom.t_score(-1.4))
    path = _dicom.sr_file(tmp_path / "sr.dcm", [gen.text(gen.local("Operator"), "RT"), spine])
    [found] = process(path, CodingSettings())
    [m] = found.measurements
    assert sorted(e.sr_item for e in m.evidence) == ["1.2.1.2 BMD", "1.2.1.3 T-score"]
    ds = pydicom.dcmread(path)
    for e in m.evidence:
        item = _item(ds, e.sr_item.split(" ")[0])
        assert float(item.MeasuredValueSequence[0].NumericValue) == getattr(m, e.field)


def test_findings_json_keeps_evidence_given_and_defaults_it_absent(tmp_path):
    base = json.loads((SAMPLES / "findings" / "vertebral-jump.json").read_text(encoding="utf-8"))
    given = json.loads(json.dumps(base))
    box = {"page": 1, "x0": 10.5, "top": 20.0, "x1": 30.0, "bottom": 28.0, "page_width": 612.0,
           "page_height": 792.0}
    given["measurements"][0]["evidence"] = [
        {"field": "t_score", "box": box, "text": "-2.6"},
        {"field": "bmd", "sr_item": "1.2.3 BMD"}]
    (tmp_path / "given.json").write_text(json.dumps(given), encoding="utf-8")
    (tmp_path / "absent.json").write_text(json.dumps(base), encoding="utf-8")
    [with_it] = process(tmp_path / "given.json", CodingSettings())
    [without] = process(tmp_path / "absent.json", CodingSettings())
    out = with_it.to_json_dict()["measurements"][0]["evidence"]
    assert out == [{"field": "t_score", "box": box, "sr_item": None, "text": "-2.6", "ocr": False},
                   {"field": "bmd", "box": None, "sr_item": "1.2.3 BMD", "text": None, "ocr": False}]
    assert all(m.evidence == [] for m in without.measurements)
    assert with_it.coding == without.coding          # evidence is never coded
    again = tmp_path / "again.json"                  # a result read back in keeps it as it was
    again.write_text(json.dumps(with_it.to_json_dict()), encoding="utf-8")
    [back] = process(again, CodingSettings())
    assert back.to_json_dict()["measurements"] == with_it.to_json_dict()["measurements"]


@pytest.mark.parametrize("box", [{"page": True}, {"x0": "10"}, {"page": -1}, {"page_width": 0}])
def test_a_box_is_read_strictly(tmp_path, box):
    doc = json.loads((SAMPLES / "findings" / "vertebral-jump.json").read_text(encoding="utf-8"))
    whole = {"page": 0, "x0": 1.0, "top": 2.0, "x1": 3.0, "bottom": 4.0, "page_width": 9.0,
             "page_height": 9.0}
    doc["measurements"][0]["evidence"] = [{"field": "t_score", "box": {**whole, **box}}]
    (tmp_path / "bad.json").write_text(json.dumps(doc), encoding="utf-8")
    [refused] = process(tmp_path / "bad.json", CodingSettings())
    assert "findings JSON invalid at measurements.0.evidence.0.box" in str(refused)


def test_only_json_carries_the_evidence():
    [result] = process(SAMPLES / "pdf" / "hologic-spine-hip-pram.pdf", CodingSettings())
    assert result.measurements[0].evidence
    assert '"page_width"' in FORMATS["json"]([result], False)
    for fmt in ("csv", "csv-measurements", "hl7", "fhir"):
        text = FORMATS[fmt]([result], False)
        assert "page_width" not in text and "evidence" not in text.lower(), fmt
        assert str(result.measurements[0].evidence[1].box.x0) not in text, fmt


def test_page_sizes_follow_each_page(tmp_path):
    """A landscape page's boxes carry its own size."""
    found = read_pdf(SAMPLES / "pdf" / "norland-fourteen-columns.pdf")
    sizes = {(e.box.page_width, e.box.page_height) for m in found.measurements for e in m.evidence}
    assert len(sizes) == 1 and next(iter(sizes))[0] > next(iter(sizes))[1]


def test_a_value_printed_twice_keeps_the_box_of_the_one_used():
    found = read_pdf(SAMPLES / "pdf" / "ge-lva-ancillary.pdf")
    for m in found.measurements:
        fields = [e.field for e in m.evidence]
        assert len(fields) == len(set(fields)), m.label



@ocr
def test_a_screenshot_on_a_slide_gives_boxes_on_the_slide():
    found = read_pdf(SAMPLES / "ocr" / "ge-encore-v12-slide-150dpi.pdf")
    with pdfplumber.open(SAMPLES / "ocr" / "ge-encore-v12-slide-150dpi.pdf") as doc:
        [image] = doc.pages[0].images
        size = (float(doc.pages[0].width), float(doc.pages[0].height))
    boxes = [e.box for m in found.measurements for e in m.evidence if e.ocr]
    assert len(boxes) == sum(len(m.evidence) for m in found.measurements) > 20
    for box in boxes:                      # on the slide, inside the printout pasted on it
        assert (box.page_width, box.page_height) == size
        assert image["x0"] <= box.x0 < box.x1 <= image["x1"]
        assert image["top"] <= box.top < box.bottom <= image["bottom"]
