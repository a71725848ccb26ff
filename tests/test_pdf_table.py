"""The structural table reader, fed positioned words directly (as OCR feeds it): no column position
is known to it beforehand."""

from __future__ import annotations

import functools

from dxaparse.read.layout.layouts import layout_for
from dxaparse.read.layout.table import read_table as read

from ._pdf import lines_of

VOCAB = layout_for("unknown").columns
HEADER = (100, [("Region", 50), ("BMD", 120), ("(g/cm²)", 140), ("T-score", 200), ("Z-score", 260)])
HOLOGIC = GE = None


def read_table(lines, start, _spec=None, _is_group=None):
    table = read(lines, start, VOCAB)
    assert table is not None, "no table found"
    return table


never_group = functools.partial(bool)


def test_rows_are_assigned_by_column_position():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130), ("-1.9", 205), ("-0.6", 265)]),
                     (130, [("L1-L4", 50), ("0.856", 130), ("-1.8", 205), ("-0.5", 265)]))
    table = read_table(lines, 0, HOLOGIC, never_group)
    assert [c.field for c in table.columns] == ["bmd", "t_score", "z_score"]
    assert [(r.label, r.values) for r in table.rows] == [
        ("L1", {"bmd": 0.812, "t_score": -1.9, "z_score": -0.6}),
        ("L1-L4", {"bmd": 0.856, "t_score": -1.8, "z_score": -0.5})]
    assert table.end == len(lines)


def test_a_blank_cell_is_none_and_the_other_values_keep_their_columns():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.991", 130), ("-0.9", 265)]))
    assert read_table(lines, 0, HOLOGIC, never_group).rows[0].values == {"bmd": 0.991, "t_score": None,
                                                                         "z_score": -0.9}


def test_values_shifted_off_their_header_still_land_in_the_nearest_column():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 150), ("-1.9", 222), ("-0.6", 242)]))
    assert read_table(lines, 0, HOLOGIC, never_group).rows[0].values == {"bmd": 0.812, "t_score": -1.9,
                                                                         "z_score": -0.6}


def test_two_line_headers_are_read_top_word_first():
    lines = lines_of((90, [("BMD", 120), ("Young-Adult", 190), ("Age-Matched", 290)]),
                     (100, [("Region", 50), ("(g/cm²)", 115), ("(%)", 185), ("T-Score", 225), ("(%)", 285),
                            ("Z-Score", 325)]),
                     (115, [("L1-L4", 50), ("0.915", 118), ("71", 188), ("-2.6", 228), ("81", 288),
                            ("-1.7", 328)]))
    table = read_table(lines, 0, GE, never_group)
    assert [c.field for c in table.columns] == ["bmd", "young_adult_percent", "t_score",
                                                "age_matched_percent", "z_score"]
    assert table.rows[0].values["t_score"] == -2.6


def test_unknown_printed_columns_take_their_values_away_from_their_neighbours():
    spec = None
    lines = lines_of((100, [("Region", 50), ("BMD", 120), ("Length", 170), ("(cm)", 205), ("T-Score", 250)]),
                     (115, [("L2", 50), ("0.781", 120), ("15.2", 180), ("-2.5", 250)]))
    assert read_table(lines, 0, spec, never_group).rows[0].values == {"bmd": 0.781, "t_score": -2.5}


def test_group_lines_head_the_rows_below_them():
    lines = lines_of(HEADER, (115, [("Left", 50)]), (130, [("Neck", 50), ("0.571", 130), ("-2.7", 205)]),
                     (145, [("Right", 50)]), (160, [("Neck", 50), ("0.598", 130), ("-2.4", 205)]))
    rows = read_table(lines, 0, HOLOGIC, lambda label: label in ("Left", "Right")).rows
    assert [(r.group, r.label, r.values["t_score"]) for r in rows] == [("Left", "Neck", -2.7),
                                                                      ("Right", "Neck", -2.4)]


def test_a_label_only_line_that_is_no_group_ends_the_table():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130)]),
                     (130, [("WHO", 50), ("Classification:", 80)]), (145, [("L2", 50), ("0.845", 130)]))
    table = read_table(lines, 0, HOLOGIC, never_group)
    assert [r.label for r in table.rows] == ["L1"]
    assert table.end == 2


def test_footer_lines_with_thresholds_are_never_results():
    """GE prints the WHO definitions (−1.0, −2.5) under the table: ignored or ending it, never rows."""
    lines = lines_of((100, [("Region", 50), ("BMD", 120), ("YA", 200), ("T-score", 215)]),
                     (115, [("L1-L4", 50), ("1.014", 120), ("-1.2", 210)]),
                     (130, [("Normal:", 50), ("T-score", 90), ("at", 130), ("or", 145), ("above", 160),
                            ("\u22121.0", 210), ("SD", 240)]),
                     (145, [("World", 50), ("Health", 80), ("Organization", 115), ("-2.5", 210)]))
    table = read_table(lines, 0, GE, never_group)
    assert [r.label for r in table.rows] == ["L1-L4"]


def test_an_unreadable_cell_is_a_typed_value_naming_its_column_and_word():
    lines = lines_of(HEADER, (115, [("L2", 50), ("0.8l2", 130), ("-1.9", 205)]))
    [row] = read_table(lines, 0).rows
    assert row.values == {"bmd": None, "t_score": -1.9, "z_score": None}
    [cell] = row.unreadable
    assert (cell.column, cell.word.text, cell.word.page) == ("bmd", "0.8l2", 0)


def test_a_row_with_two_values_under_one_column_is_left_out_and_the_table_doubted():
    lines = lines_of(HEADER, (115, [("L3", 50), ("0.812", 120), ("0.813", 150), ("-1.9", 205)]),
                     (130, [("L4", 50), ("0.845", 130), ("-1.6", 205)]))
    table = read_table(lines, 0)
    assert [r.label for r in table.rows] == ["L4"]
    assert table.problems == ["row 'L3' could not be read"]


def test_footnotes_end_the_table_by_the_layouts_stop_lines_or_by_holding_no_number():
    footnote = (130, [("Total", 50), ("BMD", 80), ("CV", 110), ("1.0%,", 130), ("ACF", 160), ("=", 180)])
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130)]), footnote)
    assert [r.label for r in read_table(lines, 0, HOLOGIC, never_group).rows] == ["L1"]
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130)]), (130, [("see", 50), ("notes", 130)]))
    assert [r.label for r in read_table(lines, 0, HOLOGIC, never_group).rows] == ["L1"]


def test_a_long_label_reaching_into_the_first_column_stays_the_label():
    lines = lines_of(HEADER, (115, [("Radius", 50), ("+", 85), ("Ulna", 92), ("Total", 115), ("0.447", 150),
                                    ("-2.2", 205)]))
    row = read_table(lines, 0, HOLOGIC, never_group).rows[0]
    assert (row.label, row.values["bmd"]) == ("Radius + Ulna Total", 0.447)


def test_a_sign_printed_apart_joins_its_number_and_markers_are_dropped():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130), ("\u2212", 201), ("1.9", 206), ("*", 222),
                                    ("-0.6*", 265)]))
    assert read_table(lines, 0, HOLOGIC, never_group).rows[0].values == {"bmd": 0.812, "t_score": -1.9,
                                                                         "z_score": -0.6}


def test_the_table_ends_at_the_page_end_and_at_a_wide_gap():
    rows = [(115, [("L1", 50), ("0.812", 130)])]
    assert len(read_table(lines_of(HEADER, *rows) + lines_of((115, [("L2", 50), ("0.9", 130)]), page=1), 0,
                          HOLOGIC, never_group).rows) == 1
    assert len(read_table(lines_of(HEADER, *rows, (190, [("L2", 50), ("0.845", 130)])), 0, HOLOGIC,
                          never_group).rows) == 1


def test_no_table_begins_where_no_header_band_is():
    assert read(lines_of((100, [("Region", 50), ("Foo", 120)]), (115, [("L1", 50), ("1.0", 120)])), 0,
                VOCAB) is None
    assert read(lines_of((115, [("L1", 50), ("1.0", 120)])), 0, VOCAB) is None


def test_a_caption_beside_the_rows_neither_ends_the_table_nor_joins_a_label():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130), ("-1.9", 205)]),
                     (130, [("Image", -150), ("not", -120), ("for", -100), ("diagnosis", -80), ("L2", 50),
                            ("0.845", 130), ("-1.6", 205)]),
                     (145, [("COMMENTS:", -150)]), (160, [("L3", 50), ("0.851", 130), ("-1.5", 205)]))
    assert [r.label for r in read_table(lines, 0).rows] == ["L1", "L2", "L3"]


def test_a_two_line_header_with_split_words_and_footnote_digits():
    lines = lines_of((85, [("1", 125), ("2", 205)]),
                     (100, [("Region", 50), ("BMD", 120), ("T", 200), ("-", 207), ("Z", 260), ("-", 267)]),
                     (112, [("(g/cm²)", 115), ("score", 200), ("score", 260)]),
                     (127, [("L1", 50), ("0.873", 120), ("-1.0", 262)]))
    table = read_table(lines, 1)
    assert [c.field for c in table.columns] == ["bmd", "t_score", "z_score"]
    assert table.rows[0].values == {"bmd": 0.873, "t_score": None, "z_score": -1.0}


def test_values_that_do_not_fit_their_column_are_a_problem_of_the_table():
    lines = lines_of(HEADER, (115, [("L1", 50), ("0.812", 130), ("0.873", 205)]))
    assert read_table(lines, 0).problems == [
        "t score column holds 0.873, printed with more decimals than a t score"]
    lines = lines_of((100, [("Region", 50), ("T-score", 120), ("YA", 180), ("(%)", 195)]),
                     (115, [("L1", 50), ("-2.1", 125), ("112", 185)]))
    assert any("disagrees" in p for p in read_table(lines, 0).problems)
