"""The findings samples code to their hand-checked results (samples/findings/*.expected.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples" / "findings").glob("*.expected.json"))


def test_there_are_samples():
    assert len(SAMPLES) >= 5


@pytest.mark.parametrize("expected", SAMPLES, ids=[p.name.removesuffix(".expected.json") for p in SAMPLES])
def test_sample_codes_as_expected(expected):
    source = expected.with_name(expected.name.replace(".expected.json", ".json"))
    rel = source.relative_to(ROOT).as_posix()
    run = subprocess.run([sys.executable, "-m", "dxaparse.cli", "code", rel], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    got, want = json.loads(run.stdout), json.loads(expected.read_text(encoding="utf-8"))
    assert got["source"]["path"] == rel
    assert got["coding"] == want["coding"]
    assert got == want
