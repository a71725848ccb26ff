"""Image-only samples (samples/ocr) read by OCR: exact at 150 and 300 dpi, never a wrong number
unflagged at 72 dpi, every OCR value marked, injected glyph confusions doubted and flagged.

OCR is slow (1–3 s a page), so each sample is read once per module and shared.
"""

from __future__ import annotations

import json

import pytest

from dxaparse.code import CodingSettings
from dxaparse.pipeline import result_of
from dxaparse.read.ocr import available
from dxaparse.read.options import ReadOptions
from dxaparse.read.pdf import read_pdf

from .conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(not available(), reason="OCR not installed: pip install -e '.[ocr]' "
                                "(scripts/setup does it)")

SAMPLES = ROOT / "samples" / "ocr"
NAMES = sorted(p.stem for p in SAMPLES.glob("*.pdf"))   # the DICOM report page: test_ocr_dicom.py
SHARP = [n for n in NAMES if not n.endswith("-72dpi")]
LOW = [n for n in NAMES if n.endswith("-72dpi")]
VALUES = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")


def expected(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    """Every sample read and coded once, as `dxaparse code samples/ocr/<name>.pdf` does."""
    out = {}
    for name in NAMES:
        findings = read_pdf(SAMPLES / f"{name}.pdf")
        findings.source.path = f"samples/ocr/{name}.pdf"
        out[name] = result_of(findings, CodingSettings()).to_json_dict()
    return out


def test_each_layout_has_image_only_samples_at_three_resolutions():
    layouts = {n.split("-")[0] for n in NAMES}
    assert layouts == {"hologic", "ge", "norland"}
    assert {n.rsplit("-", 1)[1] for n in NAMES} == {"72dpi", "150dpi", "300dpi"}
    assert sum(p.stat().st_size for p in SAMPLES.glob("*.pdf")) < 600_000


@pytest.mark.parametrize("name", SHARP)
def test_150_dpi_and_above_reproduce_the_expected_json(name, results):
    got, want = dict(results[name]), expected(name)
    got_coding, want_coding = got.pop("coding"), want.pop("coding")
    assert got == want
    assert [f["code"] for f in got_coding["flags"]] == [f["code"] for f in want_coding["flags"]]
    assert (got_coding["category"], got_coding["basis"], [c["code"] for c in got_coding["icd10"]]) == (
        want_coding["category"], want_coding["basis"], [c["code"] for c in want_coding["icd10"]])


@pytest.mark.parametrize("name", LOW)
def test_72_dpi_values_are_exact_or_flagged(name, results):
    got, want = results[name], expected(name)
    truth = {(m["label"], m["side"]): m for m in want["measurements"]}
    wrong = []
    for m in got["measurements"]:
        right = truth.get((m["label"], m["side"]))
        if right is None or any(m[f] != right[f] for f in VALUES):
            wrong.append(m["label"])
            assert m["doubt"], f"{m['label']} is wrong and not doubted: {m}"
    lost = [k for k in truth if k not in {(m["label"], m["side"]) for m in got["measurements"]}]
    if wrong or lost:
        assert got["coding"]["needs_review"]
        assert {"value_doubt", "unknown_scan_or_site"} & {f["code"] for f in got["coding"]["flags"]}


HEADER = {"patient id": ("patient", "id"), "age": ("patient", "age_years"), "exam date": ("exam", "date")}


@pytest.mark.parametrize("name", LOW)
def test_72_dpi_header_values_a_claim_carries_are_exact_missing_or_doubted(name, results):
    got, want = results[name], expected(name)
    for field, (part, key) in HEADER.items():
        value = got[part][key]
        if value is not None and value != want[part][key]:
            assert any(d["detail"].startswith(field) and d["reason"] == "ocr_uncertain"
                       for d in got["exam"]["doubts"]), f"{field} wrong, not doubted"
            assert "value_doubt" in {f["code"] for f in got["coding"]["flags"]}


def test_a_misread_exam_date_is_doubted_and_flagged(results):
    got = results["ge-encore-v12-72dpi"]
    assert got["exam"]["date"] != expected("ge-encore-v12-72dpi")["exam"]["date"]  # the sample misreads it
    assert {"field": "exam.date", "reason": "ocr_uncertain"} in [
        {k: d[k] for k in ("field", "reason")} for d in got["exam"]["doubts"]]
    assert any(d["detail"].startswith("exam date read by OCR") for d in got["exam"]["doubts"])
    [flag] = [f for f in got["coding"]["flags"] if f["code"] == "value_doubt"]
    assert "exam date" in flag["message"]


@pytest.mark.parametrize("name", NAMES)
def test_every_ocr_measurement_is_marked(name, results):
    assert results[name]["measurements"]
    assert all(m["ocr"] for m in results[name]["measurements"])


def test_text_pdfs_are_not_marked_as_ocr():
    found = read_pdf(ROOT / "samples" / "pdf" / "ge-encore-v12.pdf")
    assert not any(m.ocr or m.doubt for m in found.measurements)


# --- injected confusions --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ge_words():
    """The OCR words of the 150-dpi GE page, read once."""
    from dxaparse.read.ocr import pdf as ocr_pdf
    pages = ocr_pdf.page_images(SAMPLES / "ge-encore-v12-150dpi.pdf", ReadOptions(), [0])
    return [w for p in pages for w in ocr_pdf.read_words(ocr_pdf.prepare(p.image, p.dpi), p.where)]


def _inject(monkeypatch, words, row: str, old: str, new: str, digits: str | None = None):
    """Read the GE sample with the word `old` of the row labelled `row` read as `new`."""
    from dxaparse.read.layout.words import Word
    from dxaparse.read.ocr import pdf as ocr_pdf
    from dxaparse.read.ocr.engine import OcrWord

    top = next(w.word.top for w in words if w.word.text == row)
    hits = [k for k, w in enumerate(words) if w.word.text == old and abs(w.word.top - top) < 3]
    assert len(hits) == 1
    changed = list(words)
    w = changed[hits[0]]
    changed[hits[0]] = OcrWord(Word(new, w.word.x0, w.word.x1, w.word.top, w.word.bottom, w.word.page),
                               w.conf, digits if digits is not None else w.digits)
    monkeypatch.setattr(ocr_pdf, "read_words", lambda *_: changed)
    findings = read_pdf(SAMPLES / "ge-encore-v12-150dpi.pdf")
    return findings, result_of(findings, CodingSettings())


@pytest.mark.parametrize(("old", "new", "digits", "says"), [
    ("-2.6", "-2,6", None, "T-score read as '-2,6'"),               # comma decimal
    ("0.915", "O.915", None, "BMD read as 'O.915'"),                # letter O for zero
    ("-2.6", "2.6", "2.6", "T-score 2.6 disagrees with its 71%"),   # minus lost in both readings
    ("-2.6", "-2.8", "-2.6", "digits only, as '-2.6'"),             # plausible misread, 2nd reading differs
    ("-2.6", "-26", "-26", "T-score -26 outside"),                  # lost decimal point
    ("-1.7", "«1.7", "", "unreadable z score '«1.7'"),                     # a cell no mending can read
])
def test_an_injected_confusion_is_doubted_and_flagged(monkeypatch, ge_words, old, new, digits, says):
    findings, result = _inject(monkeypatch, ge_words, "L1-L4", old, new, digits)
    total = next(m for m in findings.measurements if m.label == "L1-L4")
    assert total.ocr and total.doubt and says in total.doubt
    assert result.coding.needs_review
    flag = next(f for f in result.coding.flags if f.code == "value_doubt")
    assert "lumbar spine L1-L4" in flag.message


def test_without_an_injection_the_same_words_give_no_doubt(monkeypatch, ge_words):
    from dxaparse.read.ocr import pdf as ocr_pdf
    monkeypatch.setattr(ocr_pdf, "read_words", lambda *_: ge_words)
    result = result_of(read_pdf(SAMPLES / "ge-encore-v12-150dpi.pdf"), CodingSettings())
    assert not result.coding.needs_review and all(m.doubt is None for m in result.measurements)


# --- switches -------------------------------------------------------------------------------------------


def test_no_ocr_gives_the_image_only_error():
    run = run_cli("code", "--no-ocr", "samples/ocr/norland-spine-hip-150dpi.pdf")
    assert run.code == 2
    assert run.err.strip() == ("dxaparse: samples/ocr/norland-spine-hip-150dpi.pdf: "
                               "image-only PDF: no text layer")


def test_without_tesseract_the_error_says_how_to_install_it(monkeypatch):
    from dxaparse.errors import InputError
    from dxaparse.read.ocr import pdf as ocr_pdf
    monkeypatch.setattr(ocr_pdf, "available", lambda: False)
    with pytest.raises(InputError) as err:
        read_pdf(SAMPLES / "norland-spine-hip-150dpi.pdf")
    assert err.value.reason.startswith("image-only PDF: no text layer (install the ocr extra, "
                                       "pip install 'dxaparse[ocr]'")


def test_dxaparse_code_reads_an_image_only_pdf_end_to_end():
    run = run_cli("code", "samples/ocr/ge-encore-v12-300dpi.pdf")
    assert run.code == 0, run.err
    got = json.loads(run.out)
    assert got["coding"]["category"] == "osteoporosis" and got["coding"]["basis"]["value"] == -2.6
    assert got["source"] == expected("ge-encore-v12-300dpi")["source"]
