"""A bounded, seeded mutation fuzz of the pipeline (issue 15): samples of each kind of input, damaged
byte by byte and (findings JSON) value by value, each end as results or as `InputError`s — never as an
exception escaping — and every result is valid result-v1 JSON, with no NaN or infinity in it, while no
library's warning or log record reaches the log handlers a command prints to stderr.

Seeded, so a failure is the same on every run; bounded in cases and in time, so that CI stays quick.
"""

from __future__ import annotations

import json
import logging
import random
import time

import jsonschema

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError
from dxaparse.models import ExamResult
from dxaparse.pipeline import process
from dxaparse.quiet import LIBRARIES

from .conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8"))
# One validator for every result: `jsonschema.validate` checks the schema itself too, at each call.
RESULT_V1 = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
SAMPLES = [ROOT / "samples" / p for p in (
    "dicom/hologic-sr-spine-hip.dcm", "dicom/ge-sr-dual-hip.dcm", "dicom/hologic-image-forearm.dcm",
    "findings/postmenopausal-osteoporosis.json", "pdf/hologic-dual-hip.pdf",
    "pdf/narrative-normal-screening.pdf")]
CASES, SECONDS = 400, 60.0

# What a hostile findings JSON puts where a value was: JSON text, written verbatim.
JSON_VALUES = ["true", "0", "NaN", "-Infinity", "1e400", "1" * 5000, "[" * 3000 + "]" * 3000, '"x"', "null",
               "{}", "[]", '"2024-13-45"', '"\\u0000\\n"']


def _bytes(data: bytes, rng: random.Random) -> bytes:
    """One damage of the kinds a transfer or a disk does: bytes changed, a cut, a chunk lost,
    repeated, or inserted. Changed bytes are the commonest: they keep a DICOM file's lengths, so the
    damage reaches the readers rather than ending at the truncation check."""
    data, n = bytearray(data), len(data)
    at = rng.randrange(n)
    kind = rng.choice(["flip"] * 4 + ["cut", "drop", "repeat", "insert"])
    if kind == "flip":
        for _ in range(rng.choice([1, 2, 8, 32])):
            data[rng.randrange(n)] = rng.randrange(256)
    elif kind == "cut":
        del data[at:]
    elif kind == "drop":
        del data[at:at + rng.randrange(1, 64)]
    elif kind == "repeat":
        data[at:at] = data[at:at + rng.randrange(1, 256)] * rng.randrange(1, 4)
    else:
        data[at:at] = rng.randbytes(rng.randrange(1, 16))
    return bytes(data)


def _json_value(data: bytes, rng: random.Random) -> bytes:
    """A findings document with one value (at any depth) replaced by a hostile one."""
    doc = json.loads(data)
    slots = []

    def visit(node):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            slots.append((node, key))
            if isinstance(value, dict | list):
                visit(value)

    visit(doc)
    node, key = rng.choice(slots)
    node[key] = "\0slot\0"
    return json.dumps(doc).replace('"\\u0000slot\\u0000"', rng.choice(JSON_VALUES)).encode()


def test_damaged_inputs_end_as_results_or_input_errors(tmp_path, caplog):
    caplog.set_level(logging.WARNING)   # what a command prints without -v
    rng = random.Random(15)
    settings = CodingSettings()
    deadline = time.monotonic() + SECONDS
    ends = {"result": 0, "error": 0}
    for n in range(CASES):
        if time.monotonic() > deadline:
            break
        sample = SAMPLES[n % len(SAMPLES)]
        data = sample.read_bytes()
        mutate = _json_value if sample.suffix == ".json" and rng.random() < 0.5 else _bytes
        path = tmp_path / f"{n}{sample.suffix}"
        path.write_bytes(mutate(data, rng))
        for item in process(path, settings, ocr=False):
            if isinstance(item, InputError):
                assert "\n" not in str(item)
                ends["error"] += 1
                continue
            assert isinstance(item, ExamResult)
            doc = json.loads(item.model_dump_json())
            json.dumps(doc, allow_nan=False)   # raises on NaN or infinity
            RESULT_V1.validate(doc)
            ends["result"] += 1
        path.unlink()
    assert ends["result"] >= 10 and ends["error"] >= 10, ends   # the fuzz reached both ends
    leaked = [(r.name, r.levelname) for r in caplog.records
              if r.name.split(".")[0] in LIBRARIES and r.levelno >= logging.WARNING]
    assert leaked == []
