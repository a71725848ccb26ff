"""The result models implement the public result format v1 (docs/result-format.md) and the published
schema stays in sync. The suite holds outputs to the project's own documents: a user's clone has no
shared/ folder beside it."""

from __future__ import annotations

import json
import re
from typing import get_args

import pytest
from pydantic import ValidationError

from dxaparse.code import CodingSettings
from dxaparse.code.flags import CHECKS
from dxaparse.code.tables import cpt_tables
from dxaparse.models import (
    Coding,
    CptLine,
    DoubtReason,
    ExamResult,
    Flag,
    FlagCode,
    Measurement,
    Modifier,
    Site,
    Source,
    Vertebra,
)
from dxaparse.schema import result_schema, schema_text

from .conftest import ROOT


def test_published_schema_matches_models():
    published = (ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8")
    assert published == schema_text(), "run: python -m dxaparse.schema docs/result-v1.schema.json"


def _documented(row_start: str) -> set[str]:
    doc = (ROOT / "docs" / "result-format.md").read_text(encoding="utf-8")
    [row] = [line for line in doc.splitlines() if line.startswith(row_start)]
    return set(re.findall(r"`([A-Za-z_0-9]+)`", row.split("|")[2]))


def test_site_vocabulary_is_the_documented_one():
    assert {s.value for s in Site} == _documented("| `site` | contract vocabulary:")


def test_every_doubt_reason_is_documented():
    doc = (ROOT / "docs" / "result-format.md").read_text(encoding="utf-8")
    rows = {m for m in re.findall(r"^\| `([a-z_]+)` \|", doc, re.MULTILINE)}
    assert {r.value for r in DoubtReason} <= rows


def test_flag_codes_are_the_checks_in_their_order():
    assert list(CHECKS) == list(FlagCode)
    with pytest.raises(ValidationError):
        Flag(code="no_score", message="m")


def test_modifiers_are_every_modifier_the_coder_can_output_and_documented():
    abn = get_args(CodingSettings.model_fields["abn"].annotation)
    can = {m for table in cpt_tables() for m in (*table.component_modifier.values(),
           *table.completion_modifier.values(), *table.distinct_modifier.values())}
    can = (can | set(abn)) - {"", "none"}
    assert {m.value for m in Modifier} == can
    assert {m.value for m in Modifier} == _documented("| `cpt[].modifiers` |")
    with pytest.raises(ValidationError):
        CptLine(code="77080", modifiers=["25"], reason="r")


def test_vertebrae_are_the_lumbar_ones_and_documented():
    assert [v.value for v in Vertebra] == ["L1", "L2", "L3", "L4"]
    assert {v.value for v in Vertebra} <= _documented("| `vertebrae` |")
    with pytest.raises(ValidationError):
        Measurement(site="lumbar_spine", vertebrae=["L5"])


@pytest.mark.parametrize("enum, model, field", [
    (FlagCode, "Flag", "code"), (Modifier, "CptLine", "modifiers"), (Vertebra, "Measurement", "vertebrae")])
def test_the_schema_lists_each_closed_vocabulary(enum, model, field):
    defs = result_schema()["$defs"]
    assert defs[enum.__name__]["enum"] == [e.value for e in enum]
    assert f"#/$defs/{enum.__name__}" in json.dumps(defs[model]["properties"][field])


def test_enum_values_serialise_as_the_plain_strings():
    r = _minimal(flags=[{"code": "value_doubt", "message": "m"}], needs_review=True,
                 cpt=[{"code": "77080", "modifiers": ["XU", "26"], "reason": "r"}])
    out = r.to_json_dict()
    values = [out["coding"]["flags"][0]["code"], *out["coding"]["cpt"][0]["modifiers"],
              *out["measurements"][0]["vertebrae"]]
    assert values == ["value_doubt", "XU", "26", "L1", "L2", "L3", "L4"]
    assert all(type(v) is str for v in values)


def _minimal(**coding) -> ExamResult:
    return ExamResult(
        source=Source(path="x.json", kind="findings-json", sha256="0" * 64),
        measurements=[Measurement(site="lumbar_spine", label="L1-L4", vertebrae=["L1", "L2", "L3", "L4"],
                                  bmd=0.81, t_score=-2.1)],
        coding=Coding(category="indeterminate", **coding),
    )


def test_model_output_has_every_field_the_published_schema_requires(tmp_path):
    schema = json.loads((ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8"))
    out = _minimal(flags=[{"code": "no_usable_score", "message": "m"}], needs_review=True).to_json_dict()
    assert set(schema["required"]) <= set(out)
    coding = schema["$defs"]["Coding"]
    assert set(coding["required"]) <= set(out["coding"])
    assert json.loads(json.dumps(out)) == out


def test_indeterminate_has_no_basis():
    with pytest.raises(ValidationError, match="basis must be null"):
        _minimal(basis={"score": "t", "site": "lumbar_spine", "label": "L1-L4", "value": -2.1})


def test_needs_review_follows_flags():
    with pytest.raises(ValidationError, match="needs_review"):
        _minimal(needs_review=True)
    with pytest.raises(ValidationError, match="needs_review"):
        _minimal(flags=[{"code": "value_doubt", "message": "y"}])


def test_vertebrae_only_on_spine():
    with pytest.raises(ValidationError, match="vertebrae"):
        Measurement(site="total_hip", vertebrae=["L1"])


def test_unknown_site_rejected():
    with pytest.raises(ValidationError):
        Measurement(site="skull")


def test_dates_serialise_as_iso():
    r = _minimal(flags=[{"code": "value_doubt", "message": "y"}], needs_review=True)
    r.exam.date = "2026-03-04"
    assert r.to_json_dict()["exam"]["date"] == "2026-03-04"
