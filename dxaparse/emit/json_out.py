"""JSON output of the result format v1."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

from ..models import STORE_BLOCK, ExamResult

if TYPE_CHECKING:
    from .store import StoredVersion


def to_json(results: list[ExamResult], many: bool) -> str:
    """One object for a single exam from a single input; a JSON array otherwise (`many`)."""
    objs = [r.to_json_dict() for r in results]
    data = objs if many or len(objs) != 1 else objs[0]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def stored_document(result: ExamResult, version: StoredVersion) -> dict:
    """The result as stored, plus the `store` block saying its version: an added field, which the
    result format allows, so a reader of result v1 reads it unchanged (docs/result-format.md)."""
    return result.to_json_dict() | {STORE_BLOCK: dataclasses.asdict(version)}


def stored_json(result: ExamResult, version: StoredVersion) -> str:
    """One stored result as `to_json` writes it, with its `store` block (the watcher's json files)."""
    return json.dumps(stored_document(result, version), indent=2, ensure_ascii=False) + "\n"
