"""Emitters: turn coded exams into the formats other systems read.

Each format is a function from a list of `ExamResult` to text; `FORMATS` names them for `--format`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models import ExamResult
from .json_out import to_json

Emitter = Callable[[list[ExamResult], bool], str]

FORMATS: dict[str, Emitter] = {
    "json": to_json,
}
