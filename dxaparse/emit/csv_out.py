"""CSV export: one row per measurement, each carrying its exam's identity and coding.

Spreadsheets and billing imports want flat rows; repeating the exam and coding columns on every row
keeps each row self-contained. An exam without measurements still gets one row, so no coding is lost.
Rows read from the store end with the result's version columns, last so that no column moves.

Text taken from the input is written so that it stays data: fields holding line breaks are quoted
(`_Rows`), and a cell a spreadsheet would run as a formula gets a leading `'` (`_cell`; docs/exports.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from ..models import ExamResult, Measurement

if TYPE_CHECKING:
    from .store import StoredVersion

EXAM_COLUMNS = ["sha256", "source_path", "source_kind", "vendor", "patient_id", "sex", "age_years",
                "exam_date", "study_uid", "accession", "category", "basis_score", "basis_site", "basis_side",
                "basis_label", "basis_value", "cpt", "icd10",
                "needs_review", "flags", "billing_status", "holds"]
MEASUREMENT_COLUMNS = ["site", "side", "label", "vertebrae", "bmd", "bmc", "area", "t_score", "z_score",
                       "excluded"]
COLUMNS = EXAM_COLUMNS + MEASUREMENT_COLUMNS
VERSION_COLUMNS = ["version", "supersedes", "current"]
"""Only where a store says them (`dxaparse export`, watcher / PACS hook files): `dxaparse code` has none."""
INPUT_TEXT_COLUMNS = frozenset({"source_path", "patient_id", "study_uid", "accession", "basis_label",
                                "label"})
"""Text as the input gave it (file names, header values, printed labels), which `_cell` neutralises."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection), line breaks included."""


def to_csv(results: list[ExamResult], many: bool) -> str:
    out = io.StringIO()
    write_csv(results, out)
    return out.getvalue()


def write_csv(results: Iterable[ExamResult], out: TextIO) -> None:
    _write(((r, {}) for r in results), COLUMNS, out)


def write_versioned_csv(stored: Iterable[tuple[ExamResult, StoredVersion]], out: TextIO) -> None:
    """Rows of stored results, each ending with its version: which row of a study to count."""
    _write(((r, _version_row(v)) for r, v in stored), COLUMNS + VERSION_COLUMNS, out)


def stored_csv(result: ExamResult, version: StoredVersion) -> str:
    """One stored result's rows with header (the watcher's csv files)."""
    out = io.StringIO()
    write_versioned_csv([(result, version)], out)
    return out.getvalue()


def _version_row(v: StoredVersion) -> dict:
    """`current` as `1`/`0` like `needs_review`; `supersedes` empty for a first version."""
    return {"version": v.version, "supersedes": v.supersedes, "current": int(v.current)}


def _write(rows: Iterable[tuple[ExamResult, Mapping]], columns: Sequence[str], out: TextIO) -> None:
    """Stream rows: `export` writes a whole store without holding it in memory."""
    writer = _Rows(out, columns)
    writer.writerow({c: c for c in columns})
    for r, extra in rows:
        head = _exam_row(r) | extra
        for m in r.measurements or [None]:
            row = head | (_measurement_row(m) if m else {})
            writer.writerow({k: _cell(v) if k in INPUT_TEXT_COLUMNS else v for k, v in row.items()})


class _Rows:
    """Rows ending with LF, each field quoted as RFC 4180 asks. Python 3.11's csv writer quotes a field
    for the line-break characters of its own row terminator only: with LF it left a lone CR (read from a
    file) unquoted, and readers ended the row there. Rows are made with CRLF, which quotes a field holding
    either, and written with LF, one row at a time."""

    def __init__(self, out: TextIO, columns: Sequence[str]):
        self._out, self._row = out, io.StringIO()
        self._writer = csv.DictWriter(self._row, columns, lineterminator="\r\n")

    def writerow(self, row: Mapping) -> None:
        self._writer.writerow(row)
        self._out.write(self._row.getvalue().removesuffix("\r\n") + "\n")
        self._row.seek(0)
        self._row.truncate()


def _cell(text: str | None) -> str | None:
    """Text from the input with a leading `'` when a spreadsheet would run it (`=HYPERLINK(…)`, `+1`,
    `@SUM(…)`, `-2+3`): the export feeds spreadsheets as well as billing imports. An identifier seldom
    begins so, and one that does reads back by dropping the `'`. Numbers are dxaparse's own and never
    touched: `-2.5` stays a number."""
    return "'" + text if text and text.startswith(_FORMULA_STARTS) else text


def _exam_row(r: ExamResult) -> dict:
    """Lists are `; `-joined; a CPT line is CODE, then `-MOD` per modifier, then `*UNITS` when not 1."""
    c = r.coding
    return {
        "sha256": r.source.sha256, "source_path": r.source.path, "source_kind": r.source.kind,
        "vendor": r.source.vendor, "patient_id": r.patient.id, "sex": r.patient.sex,
        "age_years": r.patient.age_years, "exam_date": r.exam.date, "study_uid": r.exam.study_uid,
        "accession": r.exam.accession, "category": c.category.value,
        **({f"basis_{k}": v for k, v in c.basis.model_dump(mode="json").items()} if c.basis else {}),
        "cpt": "; ".join("".join([line.code, *(f"-{m}" for m in line.modifiers),
                                  f"*{line.units}" if line.units != 1 else ""]) for line in c.cpt),
        "icd10": "; ".join(line.code for line in c.icd10),
        "needs_review": int(c.needs_review),
        "flags": "; ".join(f.code for f in c.flags),
        "billing_status": r.billing.status.value,
        "holds": "; ".join(h.reason.value for h in r.billing.holds),
    }


def _measurement_row(m: Measurement) -> dict:
    return {"site": m.site.value, "side": m.side, "label": m.label, "vertebrae": " ".join(m.vertebrae),
            "bmd": m.bmd, "bmc": m.bmc, "area": m.area, "t_score": m.t_score, "z_score": m.z_score,
            "excluded": int(m.excluded)}
