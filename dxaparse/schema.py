"""JSON Schema of the result format v1, generated from the models.

`python -m dxaparse.schema docs/result-v1.schema.json` rewrites the published copy; a test keeps the two
in sync, so the schema users read is always the one the code validates against.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import TypeAdapter

from .emit.store import StoredVersion
from .models import ExamResult

SCHEMA_ID = "https://dxaparse.invalid/schema/result-v1.schema.json"


def result_schema() -> dict:
    schema = ExamResult.model_json_schema(mode="serialization")
    # Not a field of ExamResult: a result has a version only once stored, so `dxaparse code` prints none
    # and the store adds the block to what it exports. Optional, as an added field must be.
    block = TypeAdapter(StoredVersion).json_schema(mode="serialization")
    schema["$defs"]["StoredVersion"] = block | {"description": " ".join(block["description"].split())}
    schema["properties"]["store"] = {
        "$ref": "#/$defs/StoredVersion",
        "description": "only in results read from the store (dxaparse export, the json files of watch and "
                       "pacs): the result's version among its study's results"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "dxaparse result v1 (one exam)", **{k: v for k, v in schema.items() if k != "title"}}


def schema_text() -> str:
    return json.dumps(result_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(schema_text(), encoding="utf-8")
