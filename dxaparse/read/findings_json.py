"""Findings JSON: a result-v1 object supplied by a user or another system; its coding is recomputed."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError
from ..models import FINDINGS_INPUT_FIELDS, Findings, Source
from .files import sha256_file


def read_findings_json(path: Path) -> Findings:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "findings JSON is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise InputError(path, f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(data, dict):
        raise InputError(path, "findings JSON must be one object of the result format, not a list")
    source_in = data.get("source")
    vendor = source_in.get("vendor", "unknown") if isinstance(source_in, dict) else "unknown"
    fields = {k: data[k] for k in FINDINGS_INPUT_FIELDS if k in data and data[k] is not None}
    try:
        source = Source(path=str(path), kind="findings-json", vendor=vendor, sha256=sha256_file(path))
    except ValidationError:
        source = Source(path=str(path), kind="findings-json", sha256=sha256_file(path))
    try:
        return Findings(source=source, **fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(path, f"findings JSON invalid at {where}: {first['msg']}") from None
