"""CSV exports in two layouts: `csv`, one row per CPT line (what a billing office imports and counts), and
`csv-measurements`, one row per measurement (what an analyst of bone density reads).

A billing office counts charges by counting rows: one row per billing line, its code, modifiers and
units in columns of their own, makes "rows with 77080" the number of exams billed 77080. Each row
repeats its exam's identity and diagnosis codes, so it stands alone; an exam without a CPT line (nothing
billable) still gets one row with the line columns empty, so that no exam is lost from the count of
exams. The measurement layout keeps a row per measured site with the coding repeated, as before.
Rows read from the store end with when the result was stored (`csv` only) and its version, last so that
no column moves.

Both layouts are RFC 4180 (CRLF line ends, a field holding CR, LF, `"` or `,` quoted) and every text
cell a spreadsheet would run as a formula gets a leading `'` (`_cell`; docs/exports.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from ..models import CptLine, ExamResult, Measurement

if TYPE_CHECKING:
    from .store import StoredVersion

LIST_SEPARATOR = ";"
"""Between the items of a list cell of the `csv` layout: modifiers `XU;59`, pointers `1;2`, codes."""
POINTERS = 4
"""Diagnosis pointers of one service line: the 837P (SV107) and the CMS-1500 (24E) allow four."""

LINE_COLUMNS = ["sha256", "source_path", "source_kind", "vendor", "patient_id", "exam_date", "study_uid",
                "accession", "line", "cpt_code", "modifiers", "units", "icd10_pointer", "icd10", "category",
                "needs_review", "flags", "billing_status", "holds"]
"""The `csv` layout: one row per CPT line."""
STORED_AT_COLUMN = "stored_at"
"""`csv` rows read from the store: when the result was stored (UTC), before the version columns."""

EXAM_COLUMNS = ["sha256", "source_path", "source_kind", "vendor", "patient_id", "sex", "age_years",
                "exam_date", "study_uid", "accession", "category", "basis_score", "basis_site", "basis_side",
                "basis_label", "basis_value", "cpt", "icd10",
                "needs_review", "flags", "billing_status", "holds"]
MEASUREMENT_COLUMNS = ["site", "side", "label", "vertebrae", "bmd", "bmc", "area", "t_score", "z_score",
                       "excluded"]
COLUMNS = EXAM_COLUMNS + MEASUREMENT_COLUMNS
"""The `csv-measurements` layout: one row per measurement."""
VERSION_COLUMNS = ["version", "supersedes", "current"]
"""Only where a store says them (`dxaparse export`, watcher / PACS hook files): `dxaparse code` has none."""
STORED_LINE_COLUMNS = [*LINE_COLUMNS, STORED_AT_COLUMN, *VERSION_COLUMNS]
"""The `csv` layout of stored results."""

NUMERIC_COLUMNS = frozenset({"age_years", "basis_value", "bmd", "bmc", "area", "t_score", "z_score", "line",
                             "units", "needs_review", "excluded", "version", "current"})
"""Columns holding dxaparse's own numbers, which `_cell` leaves as they are: a T-score `-2.6` is a number."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection), line breaks included."""

Rows = Callable[[ExamResult], Iterable[dict]]
"""A layout's rows of one exam, as column → value."""


def to_csv(results: list[ExamResult], many: bool) -> str:
    """`--format csv`: one row per CPT line."""
    out = io.StringIO()
    _write(((r, {}) for r in results), _line_rows, LINE_COLUMNS, out)
    return out.getvalue()


def to_measurements_csv(results: list[ExamResult], many: bool) -> str:
    """`--format csv-measurements`: one row per measurement."""
    out = io.StringIO()
    _write(((r, {}) for r in results), _measurement_rows, COLUMNS, out)
    return out.getvalue()


def write_stored_csv(stored: Iterable[tuple[ExamResult, StoredVersion, str | None]], out: TextIO) -> None:
    """Rows of stored results, one per CPT line, each ending with when it was stored and its version."""
    _write(((r, _version_row(v) | {STORED_AT_COLUMN: at}) for r, v, at in stored), _line_rows,
           STORED_LINE_COLUMNS, out)


def write_stored_measurements_csv(stored: Iterable[tuple[ExamResult, StoredVersion]], out: TextIO) -> None:
    """Rows of stored results, one per measurement, each ending with its version."""
    _write(((r, _version_row(v)) for r, v in stored), _measurement_rows, COLUMNS + VERSION_COLUMNS, out)


def stored_csv(result: ExamResult, version: StoredVersion, stored_at: str | None) -> str:
    """One stored result's CPT-line rows with header (the watcher's and PACS hook's `csv` files)."""
    out = io.StringIO()
    write_stored_csv([(result, version, stored_at)], out)
    return out.getvalue()


def stored_measurements_csv(result: ExamResult, version: StoredVersion) -> str:
    """One stored result's measurement rows with header (the `csv-measurements` files)."""
    out = io.StringIO()
    write_stored_measurements_csv([(result, version)], out)
    return out.getvalue()


def _version_row(v: StoredVersion) -> dict:
    """`current` as `1`/`0` like `needs_review`; `supersedes` empty for a first version."""
    return {"version": v.version, "supersedes": v.supersedes, "current": int(v.current)}


def _write(rows: Iterable[tuple[ExamResult, Mapping]], layout: Rows, columns: Sequence[str],
           out: TextIO) -> None:
    """Stream rows: `export` writes a whole store without holding it in memory. CRLF as RFC 4180 asks;
    with it Python's writer quotes a field holding either CR or LF (with an LF terminator it left a lone
    CR unquoted, and readers ended the row there)."""
    writer = csv.DictWriter(out, columns, lineterminator="\r\n")
    writer.writeheader()
    for r, extra in rows:
        for row in layout(r):
            writer.writerow({k: _cell(k, v) for k, v in (row | extra).items()})


def _cell(column: str, value):
    """A text cell with a leading `'` when a spreadsheet would run it (`=HYPERLINK(…)`, `+1`, `@SUM(…)`,
    `-2+3`): the export feeds spreadsheets as well as billing imports. Text comes from the input (file
    names, header values, printed labels); an identifier seldom begins so, and one that does reads back
    by dropping the `'`. dxaparse's own numbers in numeric columns are never touched: `-2.6` stays a
    number."""
    if value is None or (column in NUMERIC_COLUMNS and isinstance(value, int | float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _line_rows(r: ExamResult) -> Iterable[dict]:
    """One row per CPT line in billing order; one row with the line columns empty when there is none.
    Every line points to the claim's first four diagnosis codes (finding first): dxaparse codes one
    exam's diagnoses for all of its lines, as its DFT^P03 lists them on every FT1."""
    c = r.coding
    codes = [line.code for line in c.icd10]
    head = {
        "sha256": r.source.sha256, "source_path": r.source.path, "source_kind": r.source.kind,
        "vendor": r.source.vendor, "patient_id": r.patient.id, "exam_date": r.exam.date,
        "study_uid": r.exam.study_uid, "accession": r.exam.accession,
        "icd10": LIST_SEPARATOR.join(codes), "category": c.category.value,
        "needs_review": int(c.needs_review), "flags": LIST_SEPARATOR.join(f.code for f in c.flags),
        "billing_status": r.billing.status.value,
        "holds": LIST_SEPARATOR.join(h.reason.value for h in r.billing.holds),
    }
    pointer = LIST_SEPARATOR.join(str(n) for n in range(1, min(len(codes), POINTERS) + 1))
    if not c.cpt:
        yield head
    for n, line in enumerate(c.cpt, 1):
        yield head | {"line": n, "cpt_code": line.code, "modifiers": LIST_SEPARATOR.join(line.modifiers),
                      "units": line.units, "icd10_pointer": pointer}


def _measurement_rows(r: ExamResult) -> Iterable[dict]:
    """One row per measurement, each with its exam's identity and coding; one row with the measurement
    columns empty for an exam without measurements, so no coding is lost."""
    head = _exam_row(r)
    for m in r.measurements or [None]:
        yield head | (_measurement_row(m) if m else {})


def _exam_row(r: ExamResult) -> dict:
    """Lists are `; `-joined; a CPT line is CODE, then `-MOD` per modifier, then `*UNITS` when not 1."""
    c = r.coding
    return {
        "sha256": r.source.sha256, "source_path": r.source.path, "source_kind": r.source.kind,
        "vendor": r.source.vendor, "patient_id": r.patient.id, "sex": r.patient.sex,
        "age_years": r.patient.age_years, "exam_date": r.exam.date, "study_uid": r.exam.study_uid,
        "accession": r.exam.accession, "category": c.category.value,
        **({f"basis_{k}": v for k, v in c.basis.model_dump(mode="json").items()} if c.basis else {}),
        "cpt": "; ".join(map(_packed, c.cpt)),
        "icd10": "; ".join(line.code for line in c.icd10),
        "needs_review": int(c.needs_review),
        "flags": "; ".join(f.code for f in c.flags),
        "billing_status": r.billing.status.value,
        "holds": "; ".join(h.reason.value for h in r.billing.holds),
    }


def _packed(line: CptLine) -> str:
    units = f"*{line.units}" if line.units != 1 else ""
    return "".join([line.code, *(f"-{m}" for m in line.modifiers), units])


def _measurement_row(m: Measurement) -> dict:
    return {"site": m.site.value, "side": m.side, "label": m.label, "vertebrae": " ".join(m.vertebrae),
            "bmd": m.bmd, "bmc": m.bmc, "area": m.area, "t_score": m.t_score, "z_score": m.z_score,
            "excluded": int(m.excluded)}
