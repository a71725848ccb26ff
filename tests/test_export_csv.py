"""CSV export reads back with the csv module: one row per measurement, exam and coding on each."""

from __future__ import annotations

import csv
import io

from dxaparse.emit.csv_out import COLUMNS, to_csv

from ._exams import exam


def _rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def test_one_row_per_measurement_with_exam_and_coding_columns():
    e = exam()
    rows = _rows(to_csv([e], False))
    assert len(rows) == len(e.measurements)
    assert {r["sha256"] for r in rows} == {e.source.sha256}
    assert [r["label"] for r in rows] == [m.label for m in e.measurements]
    spine = rows[1]
    assert (spine["site"], spine["vertebrae"], float(spine["bmd"]), float(spine["t_score"])) == (
        "lumbar_spine", "L1 L2 L3 L4", 0.812, -2.1)
    assert spine["cpt"] == "77085; 77081-XU-26"
    assert spine["icd10"] == "M81.0; Z79.83"
    assert (spine["category"], spine["basis_site"], spine["basis_side"], float(spine["basis_value"])) == (
        "osteoporosis", "femoral_neck", "left", -2.6)
    assert rows[2]["side"] == "left" and rows[0]["z_score"] == ""


def test_units_other_than_one_are_written():
    e = exam()
    e.coding.cpt[0].units = 2
    rows = _rows(to_csv([e], False))
    assert rows[0]["cpt"].startswith("77085*2; ")


def test_an_exam_without_measurements_keeps_one_row():
    bare = exam(2, measurements=[],
                coding={"category": "indeterminate", "cpt": [{"code": "77080", "reason": "x"}],
                        "flags": [{"code": "no_usable_score", "message": "no usable score"}],
                        "needs_review": True})
    rows = _rows(to_csv([exam(1), bare], True))
    assert len(rows) == 5 + 1
    last = rows[-1]
    assert (last["site"], last["needs_review"], last["flags"], last["cpt"]) == (
        "", "1", "no_usable_score", "77080")


def test_text_with_commas_quotes_and_newlines_survives():
    e = exam()
    e.measurements[0].label = 'L1, "upper"\nvertebra'
    assert _rows(to_csv([e], False))[0]["label"] == 'L1, "upper"\nvertebra'
