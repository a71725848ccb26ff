"""Coded exams built directly (no reader, no coder), for the emitter, store and watcher tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dxaparse.models import ExamResult


def exam(n: int = 0, **overrides) -> ExamResult:
    """A hip + spine + VFA exam, osteoporosis at the left femoral neck, ready to bill; `n` varies the
    content hash."""
    data = {
        "source": {"path": f"/share/report-{n}.pdf", "kind": "pdf", "vendor": "hologic",
                   "sha256": hashlib.sha256(f"exam {n}".encode()).hexdigest()},
        "patient": {"sex": "F", "age_years": 67.0, "menopausal_status": "post", "id": f"MRN{n:05d}"},
        "exam": {"date": "2024-03-01", "study_uid": f"1.2.840.99999.{n}", "device": "Horizon A",
                 "accession": f"ACC{n}"},
        "measurements": [
            {"site": "lumbar_spine", "label": "L1", "vertebrae": ["L1"], "bmd": 0.801, "t_score": -2.0},
            {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
             "bmd": 0.812, "bmc": 50.1, "area": 61.7, "t_score": -2.1, "z_score": -0.9},
            {"site": "femoral_neck", "side": "left", "label": "Neck", "bmd": 0.590, "t_score": -2.6,
             "z_score": -1.1},
            {"site": "total_hip", "side": "left", "label": "Total", "bmd": 0.701, "t_score": -1.9,
             "z_score": -0.7},
            {"site": "trochanter", "side": "left", "label": "Troch", "bmd": 0.55, "t_score": -1.5},
        ],
        "vfa": {"performed": True, "fractures": []},
        "tbs": {"value": 1.21},
        "frax": {"major": 18.0, "hip": 3.1},
        "impression": "Osteoporosis | left femoral neck T-score -2.6",
        "coding": {
            "cpt": [{"code": "77085", "modifiers": [], "units": 1, "reason": "axial DXA with VFA"},
                    {"code": "77081", "modifiers": ["XU", "26"], "units": 1, "reason": "peripheral"}],
            "category": "osteoporosis",
            "basis": {"score": "t", "site": "femoral_neck", "side": "left", "label": "Neck", "value": -2.6},
            "icd10": [{"code": "M81.0", "reason": "osteoporosis by T-score"},
                      {"code": "Z79.83", "reason": "long-term bisphosphonate"}],
            "flags": [], "needs_review": False,
        },
        "billing": {"status": "ready", "holds": []},
    }
    data.update(overrides)
    return ExamResult.model_validate(data)


def findings_json(folder: Path, name: str, n: int) -> Path:
    """A small findings-JSON input (distinct content per `n`) that the real pipeline reads and codes."""
    doc = {"patient": {"sex": "F", "age_years": 60 + n % 30, "menopausal_status": "post"},
           "exam": {"date": "2024-03-01", "study_uid": f"1.2.3.{n}"},
           "measurements": [{"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
                             "bmd": 0.8, "t_score": -1.0 - (n % 20) / 10, "z_score": -0.5}],
           "indications": [f"case {n}"]}
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


HELD = {"status": "held", "holds": [{"reason": "needs_review", "message": "flagged"}]}
FILED = {  # name: (study_uid, accession, billing, needs_review, when stored (created_at))
    "s1v1": ("1.2.9.1", "A1", {"status": "ready"}, False, "2026-01-10T10:00:00.000000+00:00"),
    "s1v2": ("1.2.9.1", "A1", HELD, True, "2026-01-20T10:00:00.000000+00:00"),
    "s2": ("1.2.9.2", "A2", HELD, False, "2026-01-20T23:59:59.500000+00:00"),
    "s3": ("1.2.9.3", "A3", HELD, False, "2026-02-01T00:00:00.000000+00:00"),
    "pdf": (None, None, {"status": "ready"}, True, "2026-02-15T08:00:00.000000+00:00"),
}
"""A store's worth of exams for the export filters: study 1.2.9.1 amended (version 2 current, held and
needing review), a held study, one released after it was stored (`fill`), one without a study UID."""


def fill(store) -> dict[str, str]:
    """Store the `FILED` exams at their times; returns name → content hash. `s3` is released after it
    was stored, as `dxaparse release` does (`Store.set_billing`)."""
    import sqlite3

    from dxaparse.billing import release

    shas = {}
    for n, (name, (study, accession, billing, review, _)) in enumerate(FILED.items(), 100):
        flags = [{"code": "impression_disagrees", "message": "impression differs"}] if review else []
        coding = exam().coding.model_dump() | {"needs_review": review, "flags": flags}
        r = exam(n, billing=billing, coding=coding)
        r.exam.study_uid, r.exam.accession = study, accession
        store.add(r)
        shas[name] = r.source.sha256
    store.set_billing(shas["s3"], release(store.find(shas["s3"])[0].billing, "coder", "checked"))
    db = sqlite3.connect(store.path)
    with db:
        db.executemany("UPDATE exams SET created_at = ? WHERE sha256 = ?",
                       [(FILED[name][4], sha) for name, sha in shas.items()])
    db.close()
    return shas
