"""The result models implement the public result format v1 (docs/result-format.md) and the published
schema stays in sync. The suite holds outputs to the project's own documents: a user's clone has no
shared/ folder beside it."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from dxaparse.models import Coding, ExamResult, Measurement, Site, Source
from dxaparse.schema import schema_text

from .conftest import ROOT


def test_published_schema_matches_models():
    published = (ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8")
    assert published == schema_text(), "run: python -m dxaparse.schema docs/result-v1.schema.json"


def test_site_vocabulary_is_the_documented_one():
    doc = (ROOT / "docs" / "result-format.md").read_text(encoding="utf-8")
    [row] = [line for line in doc.splitlines() if line.startswith("| `site` | contract vocabulary:")]
    assert {s.value for s in Site} == set(re.findall(r"`([a-z_0-9]+)`", row.split("|")[2]))


def _minimal(**coding) -> ExamResult:
    return ExamResult(
        source=Source(path="x.json", kind="findings-json", sha256="0" * 64),
        measurements=[Measurement(site="lumbar_spine", label="L1-L4", vertebrae=["L1", "L2", "L3", "L4"],
                                  bmd=0.81, t_score=-2.1)],
        coding=Coding(category="indeterminate", **coding),
    )


def test_model_output_has_every_field_the_published_schema_requires(tmp_path):
    schema = json.loads((ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8"))
    out = _minimal(flags=[{"code": "no_score", "message": "m"}], needs_review=True).to_json_dict()
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
        _minimal(flags=[{"code": "x", "message": "y"}])


def test_vertebrae_only_on_spine():
    with pytest.raises(ValidationError, match="vertebrae"):
        Measurement(site="total_hip", vertebrae=["L1"])


def test_unknown_site_rejected():
    with pytest.raises(ValidationError):
        Measurement(site="skull")


def test_dates_serialise_as_iso():
    r = _minimal(flags=[{"code": "x", "message": "y"}], needs_review=True)
    r.exam.date = "2026-03-04"
    assert r.to_json_dict()["exam"]["date"] == "2026-03-04"
