"""Text taken from the input is safe in the CSV export: line breaks stay inside their quoted field
(RFC 4180), and a cell a spreadsheet would run as a formula gets a leading `'` (docs/exports.md)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.emit.csv_out import INPUT_TEXT_COLUMNS, to_csv

from ._exams import exam

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _text_exam(text: str, label: str = "Neck"):
    e = exam(patient={"sex": "F", "id": text}, source={"path": text, "kind": "pdf", "sha256": "0" * 64},
             exam={"date": "2024-03-01", "study_uid": text, "accession": text})
    e.measurements[2].label = label    # the femoral neck: the exam's basis (basis_label) as well
    e.coding.basis.label = label
    return e


def test_line_breaks_stay_inside_their_quoted_field():
    """A lone CR went out unquoted (Python 3.11's writer quotes only the characters of its LF terminator),
    so a reader saw the row end in the middle of a patient ID."""
    e = _text_exam("A\rB", label="Neck\nleft\r\nside")
    text = to_csv([e], False)
    assert '"A\rB"' in text and text.endswith("\n") and not text.endswith("\r\n")
    rows = _read(text)
    assert len(rows) == len(e.measurements)
    for column in ("patient_id", "accession", "study_uid", "source_path"):
        assert {r[column] for r in rows} == {"A\rB"}
    assert rows[2]["label"] == rows[2]["basis_label"] == "Neck\nleft\r\nside"


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(value):
    rows = _read(to_csv([_text_exam(value, label=value)], False))
    for column in INPUT_TEXT_COLUMNS:
        assert rows[2][column] == "'" + value, column
    # numbers are dxaparse's own: a negative score stays a number
    assert (rows[2]["t_score"], rows[2]["z_score"], rows[2]["basis_value"]) == ("-2.6", "-1.1", "-2.6")


@settings(max_examples=60, deadline=None)
@given(st.text(), st.text())
def test_any_text_reads_back_as_written_one_record_per_row(text, label):
    e = _text_exam(text, label)
    rows = _read(to_csv([e], False))
    assert len(rows) == len(e.measurements)

    def expected(value):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    for column in ("patient_id", "study_uid", "accession", "source_path"):
        assert {r[column] for r in rows} == {expected(text)}
    assert rows[2]["label"] == rows[2]["basis_label"] == expected(label)
