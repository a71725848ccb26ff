"""The OCR word mending and the cross-checks of OCR-read values, on words and measurements made by hand
(no Tesseract needed)."""

from __future__ import annotations

import pytest

from dxaparse.models import Findings, Measurement, Patient, Source
from dxaparse.read.layout.words import Word, group_lines
from dxaparse.read.ocr.engine import OcrWord
from dxaparse.read.ocr.tokens import mend, mend_units
from dxaparse.read.ocr.verify import verify


def ocr(text: str, conf: float = 95.0, digits: str | None = "same", x0: float = 100.0) -> OcrWord:
    digits = text if digits == "same" and any(c.isdigit() for c in text) else (
        None if digits == "same" else digits)
    return OcrWord(Word(text, x0, x0 + 6 * len(text), 100, 110), conf, digits)


@pytest.mark.parametrize(("raw", "text", "note"), [
    ("-1.8", "-1.8", None),
    ("-1,0", "-1.0", "read as '-1,0'"),
    ("O.812", "0.812", "read as 'O.812'"),
    ("8i", "81", "read as '8i'"),
    ("%.73", "%.73", None),               # left to the table reader: pdf.py blanks it if it is a cell
    ("12,", "12,", None),                 # a date's day: text, not a cell
    ("13.6.0.5", "13.6.0.5", None),       # a version
])
def test_numbers_are_mended_with_a_note_or_blanked(raw, text, note):
    [(word, why)] = mend(ocr(raw, digits=None))
    assert (word.text, why) == (text, note)


def test_a_number_is_doubted_when_its_two_readings_differ_or_tesseract_is_unsure():
    assert mend(ocr("-2.6", digits="-2.8"))[0][1] == "read as '-2.6' and, digits only, as '-2.8'"
    assert "low confidence (55%)" in mend(ocr("-2.6", conf=55))[0][1]
    assert mend(ocr("-2.6", digits="2.6"))[0] == (Word("-2.6", 100, 124, 100, 110), None)


def test_a_minus_seen_only_in_the_second_reading_is_taken_and_noted():
    word, note = mend(ocr("2.6", digits="-2.6"))[0]
    assert word.text == "-2.6" and note.startswith("minus sign seen only in the second reading")


@pytest.mark.parametrize(("raw", "text"), [
    ("Li-t2", "L1-L2"), ("LI1-L4", "L1-L4"), ("Li", "L1"), ("(g/cm?)", "(g/cm2)"), ("T-scare", "t-score"),
    ("Physican:", "physician:"), ("March", "March"), ("Neck", "Neck"),
])
def test_labels_and_header_words_are_mended_and_plain_words_left_alone(raw, text):
    assert [w.text for w, _ in mend(ocr(raw))] == [text]


def test_rules_are_dropped_and_glued_units_split():
    assert mend(ocr("|")) == []
    assert [w.text for w, _ in mend(ocr("Ref.(%)"))] == ["Ref.", "(%)"]


def test_a_unit_lost_a_glyph_takes_the_unit_its_column_prints():
    words = [ocr("Area", x0=50).word, ocr("(cm)", x0=80).word, ocr("BMD", x0=150).word]
    assert [w.text for w in mend_units(words)] == ["Area", "(cm2)", "BMD"]


# --- verify -------------------------------------------------------------------------------------------


def row(label: str, top: float, *cells: str) -> list[Word]:
    return [Word(label, 50, 70, top, top + 10), *(Word(c, 150 + 60 * k, 180 + 60 * k, top, top + 10)
                                                  for k, c in enumerate(cells))]


def checked(measurements: list[Measurement], words: list[Word] = (), notes=None, age: float = 67.0):
    findings = Findings(source=Source(path="x.pdf", kind="pdf", sha256="0"), patient=Patient(age_years=age),
                        measurements=measurements)
    return verify(findings, group_lines(words), notes or {}, {0}, True).measurements


def spine(label: str, bmd: float, t: float, pr: float | None = None, z: float | None = None) -> Measurement:
    vertebrae = label.replace("L", "").split("-")
    span = [f"L{n}" for n in range(int(vertebrae[0]), int(vertebrae[-1]) + 1)]
    return Measurement(site="lumbar_spine", label=label, vertebrae=span, bmd=bmd, t_score=t,
                       young_adult_percent=pr, z_score=z)


def test_every_measurement_is_marked_and_a_consistent_table_is_not_doubted():
    ms = checked([spine("L1", 0.80, -1.9, 79), spine("L2", 0.84, -1.7, 81), spine("L1-L2", 0.82, -1.8, 80)])
    assert all(m.ocr and m.doubt is None for m in ms)


def test_a_score_whose_sign_disagrees_with_its_percent_is_doubted():
    [m] = checked([spine("L1-L4", 0.856, 1.8, 80)])
    assert m.doubt == "OCR: T-score 1.8 disagrees with its 80%"


def test_a_lost_decimal_point_is_out_of_range():
    [m] = checked([spine("L1-L4", 856, -1.8)])
    assert "BMD 856 outside" in m.doubt


def test_a_range_outside_its_vertebrae_doubts_them_all():
    ms = checked([spine("L1", 0.80, -1.9), spine("L2", 0.84, -1.7), spine("L1-L2", 0.82, 1.8)])
    assert all("T-score 1.8 outside its vertebrae's -1.9..-1.7" in m.doubt for m in ms)


def test_singles_without_their_range_or_with_a_gap_are_doubted():
    ms = checked([spine("L1", 0.80, -1.9), spine("L2", 0.84, -1.7), spine("L4", 0.89, -1.8)])
    assert all("no spine range" in m.doubt and "one is missing" in m.doubt for m in ms)


def test_a_mean_hip_outside_left_and_right_is_doubted():
    def neck(side, t):
        return Measurement(site="femoral_neck", side=side, label=f"Neck {side}", t_score=t)
    ms = checked([neck("left", -1.3), neck("right", -1.6), neck("mean", -0.5)])
    assert all("not between left and right" in m.doubt for m in ms)


def test_a_blank_cell_where_the_column_is_printed_on_the_other_rows():
    ms = checked([spine("L1", 0.80, -1.9, 79), spine("L2", 0.84, -1.7, None), spine("L1-L2", 0.82, -1.8, 80)])
    assert [m.doubt for m in ms] == [None, "OCR: young-adult % blank where the other rows print one", None]


def test_z_below_t_after_fifty_is_doubted():
    [m] = checked([spine("L1-L4", 0.856, -1.8, z=-2.5)])
    assert "Z-score -2.5 below T-score -1.8 at age 67" in m.doubt
    [young] = checked([spine("L1-L4", 0.856, -1.8, z=-2.5)], age=30)
    assert young.doubt is None


def test_a_word_note_names_the_field_of_its_row():
    words = row("L1-L4", 100, "0.856", "-1.8", "80")
    [m] = checked([spine("L1-L4", 0.856, -1.8, 80)], words, {words[2]: "read as '-1,8'"})
    assert m.doubt == "OCR: T-score read as '-1,8'"


def test_a_lost_minus_confirmed_by_the_percent_is_no_doubt_and_unconfirmed_it_is():
    words = row("L1-L4", 100, "0.856", "-1.8", "80")
    note = {words[2]: "minus sign seen only in the second reading ('1.8', '-1.8')"}
    [m] = checked([spine("L1-L4", 0.856, -1.8, 80)], words, note)
    assert m.doubt is None
    words = row("L1-L4", 100, "0.856", "-1.8")
    [m] = checked([spine("L1-L4", 0.856, -1.8)], words, {words[2]: note.popitem()[1]})
    assert "minus sign seen only" in m.doubt
