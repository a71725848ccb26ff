"""The bundled DICOM samples: `dxaparse code` reproduces each expected JSON; the generator is in sync.

Findings are compared field by field first, so a failure says which part of the reading differs. The
coding block is compared on what coding.md decides (CPT lines, category, basis, ICD-10 codes, how many
flags, needs_review); its `reason` and `message` texts are the coder's own wording.
"""

from __future__ import annotations

import json

import pytest

from dxaparse.cli import main
from samples.expected_output import decided

from ._dicom import gen
from .conftest import ROOT

SAMPLES = ROOT / "samples" / "dicom"
EXPECTED = sorted(SAMPLES.glob("*.expected.json"))
FINDINGS_FIELDS = ("schema_version", "source", "patient", "exam", "measurements", "vfa", "tbs", "frax",
                   "indications", "impression")


def sample_input(expected):
    name = expected.name.removesuffix(".expected.json")
    folder = SAMPLES / name
    return folder if folder.is_dir() else SAMPLES / f"{name}.dcm"


def test_there_are_samples_of_every_kind():
    kinds = {json.loads(p.read_text())["source"]["kind"] for p in EXPECTED}
    assert kinds == {"dicom-sr", "dicom-image", "dicom-study"} and len(EXPECTED) >= 10


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_code_reproduces_the_expected_json(expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    rel = str(sample_input(expected).relative_to(ROOT))
    assert main(["code", rel]) == 0
    got, want = json.loads(capsys.readouterr().out), json.loads(expected.read_text())
    for field in FINDINGS_FIELDS:
        assert got[field] == want[field], f"findings differ in {field}"
    assert decided(got["coding"]) == decided(want["coding"])


def test_generator_reproduces_the_bundled_samples(tmp_path):
    gen.main([str(tmp_path)])
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    bundled = sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*") if p.is_file())
    assert made == bundled
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (SAMPLES / rel).read_bytes(), f"{rel} is stale: regenerate"


def test_readme_lists_every_dicom_sample():
    readme = (ROOT / "samples" / "README.md").read_text()
    for expected in EXPECTED:
        path = sample_input(expected)
        assert f"`dicom/{path.name}{'/' if path.is_dir() else ''}`" in readme
