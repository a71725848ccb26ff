"""Text is safe in both CSV layouts: line breaks stay inside their quoted field (RFC 4180), and a text
cell a spreadsheet would run as a formula gets a leading `'` — while dxaparse's own numbers, a negative
T-score among them, stay numbers (docs/exports.md)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.emit.csv_out import NUMERIC_COLUMNS, to_csv, to_measurements_csv

from ._exams import exam

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
INPUT_TEXT = ("source_path", "patient_id", "study_uid", "accession")
"""Text from the input in both layouts (the measurement layout adds `label` and `basis_label`)."""
LAYOUTS = [pytest.param(to_csv, id="csv"), pytest.param(to_measurements_csv, id="csv-measurements")]


def _read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _text_exam(text: str, label: str = "Neck"):
    e = exam(patient={"sex": "F", "age_years": 67.0, "id": text},
             source={"path": text, "kind": "pdf", "sha256": "0" * 64},
             exam={"date": "2024-03-01", "study_uid": text, "accession": text})
    e.measurements[2].label = label    # the femoral neck: the exam's basis (basis_label) as well
    e.coding.basis.label = label
    return e


def _expected(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@pytest.mark.parametrize("emit", LAYOUTS)
def test_line_breaks_stay_inside_their_quoted_field(emit):
    """A lone CR went out unquoted (Python 3.11's writer quoted only the characters of an LF terminator),
    so a reader saw the row end in the middle of a patient ID."""
    e = _text_exam("A\rB", label="Neck\nleft\r\nside")
    text = emit([e], False)
    assert '"A\rB"' in text and text.endswith("\r\n")
    rows = _read(text)
    assert len(rows) == (len(e.coding.cpt) if emit is to_csv else len(e.measurements))
    for column in INPUT_TEXT:
        assert {r[column] for r in rows} == {"A\rB"}
    if emit is to_measurements_csv:
        assert rows[2]["label"] == rows[2]["basis_label"] == "Neck\nleft\r\nside"


@pytest.mark.parametrize("emit", LAYOUTS)
@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1",
                                   "-2.6"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(emit, value):
    rows = _read(emit([_text_exam(value, label=value)], False))
    row = rows[-1] if emit is to_csv else rows[2]
    for column in INPUT_TEXT:
        assert row[column] == "'" + value, column   # a patient ID "-2.6" is text: prefixed too
    if emit is to_measurements_csv:
        assert row["label"] == row["basis_label"] == "'" + value
        # numbers are dxaparse's own: a negative score stays a number
        assert (row["t_score"], row["z_score"], row["basis_value"]) == ("-2.6", "-1.1", "-2.6")


@pytest.mark.parametrize("emit", LAYOUTS)
def test_no_text_cell_of_either_layout_can_start_a_formula_and_numbers_stay_signed(emit):
    """Every text cell is neutralised, not only those known to come from the input: a flag, hold or
    code could someday begin with `-` too; numeric columns keep their sign."""
    e = _text_exam("=1+1", label="-Neck")
    e.coding.cpt[1].modifiers = []
    for row in _read(emit([e], False)):
        for column, cell in row.items():
            if column in NUMERIC_COLUMNS and cell:
                float(cell)  # a plain number, never prefixed
            else:
                assert not cell.startswith(FORMULA_STARTS), (column, cell)
    rows = _read(emit([e], False))
    if emit is to_measurements_csv:
        assert [r["t_score"] for r in rows] == ["-2.0", "-2.1", "-2.6", "-1.9", "-1.5"]


@settings(max_examples=60, deadline=None)
@given(st.text(), st.text(), st.sampled_from([to_csv, to_measurements_csv]))
def test_any_text_reads_back_as_written_one_record_per_row(text, label, emit):
    e = _text_exam(text, label)
    rows = _read(emit([e], False))
    assert len(rows) == (len(e.coding.cpt) if emit is to_csv else len(e.measurements))
    for column in INPUT_TEXT:
        assert {r[column] for r in rows} == {_expected(text)}
    if emit is to_measurements_csv:
        assert rows[2]["label"] == rows[2]["basis_label"] == _expected(label)
