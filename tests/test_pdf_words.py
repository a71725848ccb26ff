"""Positioned words → lines, printed values, and `Label: value` header fields."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.read.layout.fields import Fields
from dxaparse.read.layout.values import DateOrder, date, first_number, number, sex
from dxaparse.read.layout.words import Word, dedupe, group_lines

from ._pdf import lines_of, words


def test_words_on_one_baseline_form_one_line_left_to_right():
    ws = [Word("0.812", 100, 125, 100.5, 110), Word("L1", 50, 60, 100, 110), Word("L2", 50, 60, 113, 123)]
    lines = group_lines(ws)
    assert [[w.text for w in line.words] for line in lines] == [["L1", "0.812"], ["L2"]]


def test_a_taller_word_on_the_same_baseline_stays_on_the_line():
    ws = [Word("Region", 50, 80, 100, 110), Word("BMD", 120, 140, 97, 112), Word("L1", 50, 60, 114, 124)]
    assert [len(line.words) for line in group_lines(ws)] == [2, 1]


def test_pages_never_share_a_line():
    ws = [Word("a", 50, 55, 100, 110, page=0), Word("b", 60, 65, 100, 110, page=1)]
    assert [line.page for line in group_lines(ws)] == [0, 1]


def test_a_column_gap_is_a_tab_a_word_space_is_a_space():
    line = lines_of((100, [("Scan", 50), ("Date:", 72), ("March", 100), ("ID:", 300)]))[0]
    assert line.text == "Scan Date: March\tID:"


def test_text_drawn_twice_at_almost_the_same_place_is_read_once():
    ws = words((100, [("L1-L4", 50), ("0.812", 100)]), (120, [("L1", 50)]))
    redrawn = [Word(w.text, w.x0 + 0.4, w.x1 + 0.4, w.top + 0.2, w.bottom + 0.2) for w in ws[:2]]
    assert [w.text for w in dedupe([*ws, *redrawn])] == ["L1-L4", "0.812", "L1"]


def test_the_same_text_elsewhere_is_kept():
    ws = words((100, [("-1.8", 300)]), (120, [("-1.8", 300)]))
    assert len(dedupe(ws)) == 2


@pytest.mark.parametrize(("printed", "value"), [
    ("-2.5", -2.5), ("\u22122.5", -2.5), ("\u20132.5", -2.5), ("-2.5*", -2.5), ("*0.812", 0.812),
    ("87", 87.0), ("87%", 87.0), ("+0.3", 0.3), ("0.812\u2020", 0.812)])
def test_numbers_as_printed(printed, value):
    assert number(printed) == value


@pytest.mark.parametrize("blank", ["", "-", "--", "\u2014", "n/a", "*"])
def test_blank_cells_are_none_never_a_guess(blank):
    assert number(blank) is None


@pytest.mark.parametrize("garbled", ["0.8l2", "-2.5.1", "O.812", "abc", "1,2", "\ufffd2.5"])
def test_garbled_cells_are_refused(garbled):
    with pytest.raises(ValueError):
        number(garbled)


@settings(max_examples=60, deadline=None)
@given(st.floats(-9.99, 9.99, allow_nan=False).map(lambda v: round(v, 2)),
       st.sampled_from(["-", "\u2212", "\u2013"]), st.sampled_from(["", "*", "\u2020"]))
def test_any_printed_score_reads_back(value, minus, mark):
    assert number(f"{value:.2f}".replace("-", minus) + mark) == value


M, D = DateOrder.MONTH_FIRST, DateOrder.DAY_FIRST


@pytest.mark.parametrize(("printed", "order", "expected"), [
    ("March 12, 2024 10:42", M, dt.date(2024, 3, 12)),
    ("Scan Date:  December 04, 2019      ID:  A1", M, dt.date(2019, 12, 4)),
    ("4 Dec 2019", D, dt.date(2019, 12, 4)),
    ("2019-12-04", D, dt.date(2019, 12, 4)),
    ("03/05/2024 9:41:22 AM (16)", M, dt.date(2024, 3, 5)),
    ("03/05/2024", D, dt.date(2024, 5, 3)),                 # the site setting decides an ambiguous date
    ("25/04/2019", M, dt.date(2019, 4, 25)),                # a day over 12 decides it, whatever the setting
    ("AP Spine on: 5/6/2002 1:51:17 PM", M, dt.date(2002, 5, 6)),
    ("02.04.2024", M, dt.date(2024, 4, 2)),                 # dots: day first
    ("Calib. 05/06/02", M, dt.date(2002, 5, 6)),            # two-digit year
    ("13/13/2019", M, None),
    ("not a date", M, None)])
def test_dates_in_every_printed_form(printed, order, expected):
    assert date(printed, order) == expected


def test_sex_and_first_number():
    printed = ("Female White", "M", "male", "Other", "unknown", "", "*")
    assert [sex(s) for s in printed] == ["F", "M", "M", "O", None, None, None]
    assert first_number("63.6 years") == 63.6
    assert first_number("none") is None


FIELDS = Fields.of({"Name": "", "Patient ID": "patient_id", "ID": "", "DOB": "birth_date",
                    "Scan Date": "exam_date"})


def test_fields_side_by_side_end_at_the_next_label():
    line = "Name: SYNTHETIC, PATIENT A Patient ID: SYN-0001 DOB: March 4, 1957"
    assert list(FIELDS.read(line)) == [("patient_id", "SYN-0001"), ("birth_date", "March 4, 1957")]


def test_a_field_value_ends_at_a_column_gap():
    assert list(FIELDS.read("Scan Date: March 12, 2024\tOperator XX")) == [("exam_date", "March 12, 2024")]


def test_a_short_label_inside_a_longer_one_is_not_a_field():
    assert list(FIELDS.read("Patient ID: SYN-0001\tID: A0000001")) == [("patient_id", "SYN-0001")]


def test_empty_values_are_skipped():
    assert list(FIELDS.read("Patient ID:\tDOB:")) == []


def test_the_sites_date_order_reaches_the_reader_through_the_pipeline(tmp_path):
    from dxaparse.code import CodingSettings
    from dxaparse.pipeline import process

    from ._pdf import draw

    def page(c):
        texts = ["DXA REPORT", "Exam Date: 03/05/2024", "FINDINGS: Lumbar spine L1-L4 T-score -1.2."]
        for k, text in enumerate(texts):
            c.drawString(72, 700 - 14 * k, text)

    path = draw(tmp_path / "dated.pdf", page)
    dates = {order: next(process(path, CodingSettings(date_order=order))).exam.date
             for order in ("month-first", "day-first")}
    assert dates == {"month-first": dt.date(2024, 3, 5), "day-first": dt.date(2024, 5, 3)}
