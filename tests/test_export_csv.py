"""CSV exports read back with the csv module: `csv` one row per CPT line (modifiers, units and diagnosis
pointers in columns of their own), `csv-measurements` one row per measurement; both RFC 4180 with CRLF.
The examples in docs/exports.md are the program's output for bundled samples, byte for byte."""

from __future__ import annotations

import csv
import io
import re
import shlex

import pytest

from dxaparse.emit.csv_out import COLUMNS, LINE_COLUMNS, to_csv, to_measurements_csv

from ._exams import exam
from .conftest import ROOT


def _rows(text: str, columns: list[str] = LINE_COLUMNS) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == columns
    return list(reader)


def _bare(n: int):
    """An exam with no billable line: one row, its line columns empty."""
    return exam(n, measurements=[],
                coding={"category": "indeterminate", "cpt": [],
                        "flags": [{"code": "no_usable_score", "message": "no usable score"},
                                  {"code": "no_billable_study", "message": "nothing billable"}],
                        "needs_review": True},
                billing={"status": "held", "holds": [{"reason": "needs_review", "message": "x"}]})


def test_one_row_per_cpt_line_with_modifiers_units_and_pointers_apart():
    e = exam()
    rows = _rows(to_csv([e], False))
    assert [(r["line"], r["cpt_code"], r["modifiers"], r["units"], r["icd10_pointer"]) for r in rows] == [
        ("1", "77085", "", "1", "1;2"), ("2", "77081", "XU;26", "1", "1;2")]
    for r in rows:  # each row stands alone: the exam's identity and the claim's codes on every one
        assert (r["sha256"], r["patient_id"], r["exam_date"], r["study_uid"], r["accession"]) == (
            e.source.sha256, "MRN00000", "2024-03-01", "1.2.840.99999.0", "ACC0")
        assert (r["icd10"], r["category"], r["needs_review"], r["billing_status"], r["holds"]) == (
            "M81.0;Z79.83", "osteoporosis", "0", "ready", "")


def test_units_and_a_pointer_to_at_most_four_codes():
    e = exam()
    e.coding.cpt[0].units = 2
    e.coding.icd10 = [e.coding.icd10[0].model_copy(update={"code": code})
                      for code in ("M80.08XA", "Z79.52", "Z87.310", "E21.0", "Z82.62")]
    first = _rows(to_csv([e], False))[0]
    assert (first["cpt_code"], first["units"]) == ("77085", "2")
    assert first["icd10_pointer"] == "1;2;3;4"  # the 837P's four pointers: the claim's first four codes
    assert first["icd10"] == "M80.08XA;Z79.52;Z87.310;E21.0;Z82.62"


def test_an_exam_without_a_cpt_line_keeps_one_row():
    rows = _rows(to_csv([exam(1), _bare(2)], True))
    assert len(rows) == 2 + 1
    last = rows[-1]
    assert [last[c] for c in ("line", "cpt_code", "modifiers", "units", "icd10_pointer")] == [""] * 5
    assert (last["sha256"], last["needs_review"], last["flags"], last["holds"]) == (
        _bare(2).source.sha256, "1", "no_usable_score;no_billable_study", "needs_review")


def test_counting_rows_with_a_code_counts_the_exams_billed_it():
    """Today's complaint: one row per measurement made 162 rows of 77080 for 24 exams."""
    axial = [exam(n, coding={"category": "normal", "cpt": [{"code": "77080", "reason": "axial"}]})
             for n in range(24)]
    both = [exam(n) for n in range(24, 30)]   # 77085 + 77081: no 77080
    rows = _rows(to_csv(axial + both + [_bare(99)], True))
    assert sum(r["cpt_code"] == "77080" for r in rows) == 24
    assert sum(r["cpt_code"] == "77081" for r in rows) == 6
    assert len({r["sha256"] for r in rows}) == 24 + 6 + 1


@pytest.mark.parametrize("emit", [to_csv, to_measurements_csv])
def test_every_row_ends_with_crlf(emit):
    e = exam()
    e.measurements[0].label = "L1\nupper"        # an LF inside a quoted field is data, not a row end
    e.patient.id = "A\rB"
    text = emit([e, _bare(3)], True)
    records = text.split("\r\n")
    assert records[-1] == ""                     # the last row ends with CRLF too
    outside = re.sub(r'"(?:[^"]|"")*"', "", text)  # line breaks outside quoted fields: row ends only
    assert "\n" not in outside.replace("\r\n", "") and "\r" not in outside.replace("\r\n", "")
    assert len(_rows(text, LINE_COLUMNS if emit is to_csv else COLUMNS)) == (
        len(e.coding.cpt) + 1 if emit is to_csv else len(e.measurements) + 1)


def test_one_row_per_measurement_with_exam_and_coding_columns():
    e = exam()
    rows = _rows(to_measurements_csv([e], False), COLUMNS)
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


def test_measurement_rows_pack_units_other_than_one():
    e = exam()
    e.coding.cpt[0].units = 2
    assert _rows(to_measurements_csv([e], False), COLUMNS)[0]["cpt"].startswith("77085*2; ")


def test_an_exam_without_measurements_keeps_one_measurement_row():
    rows = _rows(to_measurements_csv([exam(1), _bare(2)], True), COLUMNS)
    assert len(rows) == 5 + 1
    last = rows[-1]
    assert (last["site"], last["needs_review"], last["flags"], last["cpt"]) == (
        "", "1", "no_usable_score; no_billable_study", "")


@pytest.mark.parametrize("emit", [to_csv, to_measurements_csv])
def test_text_with_commas_quotes_and_newlines_survives(emit):
    e = exam()
    e.exam.accession = 'A1, "upper"\nvertebra'
    rows = _rows(emit([e], False), LINE_COLUMNS if emit is to_csv else COLUMNS)
    assert {r["accession"] for r in rows} == {'A1, "upper"\nvertebra'}


DOC = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"<!-- csv example: (dxaparse code [^>]*?) -->\n.*?```csv\n(.*?)```", DOC, re.S)


def test_the_docs_show_both_layouts():
    assert {shlex.split(command)[-1] for command, _ in EXAMPLES} == {"csv", "csv-measurements"}


@pytest.mark.parametrize("command, shown", EXAMPLES, ids=[c.split()[-1] for c, _ in EXAMPLES])
def test_the_docs_example_is_the_programs_output(command, shown, cli, tmp_path):
    """docs/exports.md shows the header and rows exactly as written (CRLF shown as line ends)."""
    out = tmp_path / "out.csv"
    run = cli(*shlex.split(command)[1:], "-o", str(out))
    assert run.code == 0, run.err
    written = out.read_bytes().decode("utf-8")
    assert written.endswith("\r\n") and "\n" not in written.replace("\r\n", "")
    assert written.replace("\r\n", "\n") == shown
