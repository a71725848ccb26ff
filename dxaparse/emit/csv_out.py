"""CSV export: one row per measurement, each carrying its exam's identity and coding.

Spreadsheets and billing imports want flat rows; repeating the exam and coding columns on every row
keeps each row self-contained. An exam without measurements still gets one row, so no coding is lost.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TextIO

from ..models import ExamResult, Measurement

EXAM_COLUMNS = ["sha256", "source_path", "source_kind", "vendor", "patient_id", "sex", "age_years",
                "exam_date", "study_uid", "accession", "category", "basis_score", "basis_site", "basis_side",
                "basis_label", "basis_value", "cpt", "icd10",
                "needs_review", "flags", "billing_status", "holds"]
MEASUREMENT_COLUMNS = ["site", "side", "label", "vertebrae", "bmd", "bmc", "area", "t_score", "z_score",
                       "excluded"]
COLUMNS = EXAM_COLUMNS + MEASUREMENT_COLUMNS


def to_csv(results: list[ExamResult], many: bool) -> str:
    out = io.StringIO()
    write_csv(results, out)
    return out.getvalue()


def write_csv(results: Iterable[ExamResult], out: TextIO) -> None:
    """Stream rows: `export` writes a whole store without holding it in memory."""
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        head = _exam_row(r)
        for m in r.measurements or [None]:
            writer.writerow(head | (_measurement_row(m) if m else {}))


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
