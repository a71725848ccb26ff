"""JSON output of the result format v1."""

from __future__ import annotations

import json

from ..models import ExamResult


def to_json(results: list[ExamResult], many: bool) -> str:
    """One object for a single exam from a single input; a JSON array otherwise (`many`)."""
    objs = [r.to_json_dict() for r in results]
    data = objs if many or len(objs) != 1 else objs[0]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
