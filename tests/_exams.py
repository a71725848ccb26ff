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
