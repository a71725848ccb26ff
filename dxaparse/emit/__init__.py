"""Emitters: turn coded exams into the formats other systems read.

Each format is a function from a list of `ExamResult` to text; `FORMATS` names them for `--format`.
A format's own options are keywords (fhir: `bundle_type`, one of `FHIR_BUNDLES`; hl7: `envelope`, the
site's HL7 envelope `settings.hl7`: who sends to whom, docs/exports.md).
Each emitter's module (and its library: hl7apy, fhir.resources) is imported the first time that format
is written, so that a command which writes JSON never pays for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import ExamResult

Emitter = Callable[..., str]
"""`(results, many, **options) -> text`."""

HL7_KINDS = ("dft", "oru")
"""The HL7 v2 messages a result can be sent as: DFT^P03 charges, ORU^R01 results."""

FHIR_BUNDLES = ("collection", "transaction")
"""The FHIR Bundle types an exam can be written as (`--fhir-bundle`): a collection of its resources, or a
transaction a FHIR server applies in one POST (docs/exports.md)."""

EXTENSIONS = {"json": "json", "csv": "csv", "csv-measurements": "csv", "hl7": "hl7", "fhir": "json"}
"""Each format's file name extension (export files of `watch` / `pacs --out-dir`)."""


def _lazy(module: str, name: str) -> Emitter:
    def emit(results: list[ExamResult], many: bool, **options) -> str:
        return getattr(importlib.import_module(f".{module}", __package__), name)(results, many, **options)

    emit.__name__ = emit.__qualname__ = name
    emit.__doc__ = f"`dxaparse.emit.{module}.{name}`, imported on first use."
    return emit


FORMATS: dict[str, Emitter] = {
    "json": _lazy("json_out", "to_json"),
    "csv": _lazy("csv_out", "to_csv"),
    "csv-measurements": _lazy("csv_out", "to_measurements_csv"),
    "hl7": _lazy("hl7", "to_hl7"),
    "fhir": _lazy("fhir", "to_fhir"),
}
