"""Emitters: turn coded exams into the formats other systems read.

Each format is a function from a list of `ExamResult` to text; `FORMATS` names them for `--format`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models import ExamResult
from .csv_out import to_csv
from .fhir import to_fhir
from .hl7 import to_hl7
from .json_out import to_json

Emitter = Callable[[list[ExamResult], bool], str]

FORMATS: dict[str, Emitter] = {
    "json": to_json,
    "csv": to_csv,
    "hl7": to_hl7,
    "fhir": to_fhir,
}
