"""Every bundled sample, coded as `scripts/demo` codes it, equals its `.expected.json` in full — findings,
CPT, ICD-10-CM, flags and their prose — and every result validates against the published JSON Schema.
So the samples (and the docs that quote them) cannot drift from the program.

The three 72-dpi OCR samples are the one exception, by design: their expected files hold the values
printed on the page, and tests/test_ocr_samples.py holds each value read to "exact, or doubted"."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from .conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8"))
TRUTHS = {"hologic-spine-hip-pram-72dpi", "ge-encore-v12-72dpi", "norland-spine-hip-72dpi"}


def _input(expected):
    name = expected.name.removesuffix(".expected.json")
    found = [p for p in expected.parent.iterdir()
             if (p.name == name or p.stem == name) and not p.name.endswith(".expected.json")]
    assert len(found) == 1, f"{expected.name}: no single sample beside it ({found})"
    return found[0].relative_to(ROOT).as_posix()


EXPECTED = sorted(p for p in (ROOT / "samples").rglob("*.expected.json"))
INPUTS = {p.name.removesuffix(".expected.json"): (_input(p), p) for p in EXPECTED}


@pytest.fixture(scope="module")
def coded() -> dict[str, dict]:
    """`dxaparse code` over every sample at once, from the repository root, as scripts/demo runs it."""
    paths = [rel for rel, _ in INPUTS.values()]
    proc = subprocess.run([sys.executable, "-m", "dxaparse.cli", "code", *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return dict(zip(INPUTS, json.loads(proc.stdout), strict=True))


def test_every_sample_kind_is_covered():
    kinds = {rel.split("/")[1] for rel, _ in INPUTS.values()}
    assert kinds == {"dicom", "findings", "ocr", "pdf"} and len(INPUTS) >= 40


@pytest.mark.parametrize("name", sorted(set(INPUTS) - TRUTHS))
def test_the_output_is_the_expected_file_in_full(name, coded):
    want = json.loads(INPUTS[name][1].read_text(encoding="utf-8"))
    assert coded[name] == want, f"{name}: re-run its generator (samples/generate_*.py) or fix the reader"


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_output_validates_against_the_published_schema(name, coded):
    jsonschema.validate(coded[name], SCHEMA)


def test_the_truth_files_are_the_72_dpi_samples_only():
    assert set(INPUTS) >= TRUTHS and all(n.endswith("-72dpi") for n in TRUTHS)
    assert sorted(n for n in INPUTS if n.endswith("-72dpi")) == sorted(TRUTHS)
