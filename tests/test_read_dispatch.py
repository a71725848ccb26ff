"""Sniffing inputs by content and reading findings JSON: specific errors, never a traceback."""

from __future__ import annotations

import json

import pytest

from dxaparse.errors import InputError
from dxaparse.read import read_path
from dxaparse.read.files import Kind, sha256_of_hashes, sniff
from dxaparse.read.findings_json import read_findings_json


def test_sniff_kinds(tmp_path):
    cases = {"a.bin": b"\0" * 128 + b"DICM" + b"\0" * 10, "b.dat": b"%PDF-1.7\n...",
             "c.txt": b'  {"a": 1}', "d.txt": b"hello"}
    want = {"a.bin": Kind.DICOM, "b.dat": Kind.PDF, "c.txt": Kind.JSON, "d.txt": Kind.UNKNOWN}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert sniff(tmp_path / name) is want[name]


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.dcm").write_bytes(b"")
    [err] = list(read_path(tmp_path / "empty.dcm"))
    assert isinstance(err, InputError) and err.reason == "empty file (0 bytes)"


def test_unknown_file(tmp_path):
    (tmp_path / "notes.txt").write_text("just text")
    [err] = list(read_path(tmp_path / "notes.txt"))
    assert isinstance(err, InputError) and "not a DICOM object, PDF report or findings JSON" in err.reason


def test_missing_file(tmp_path):
    [err] = list(read_path(tmp_path / "nope.dcm"))
    assert isinstance(err, InputError) and err.reason.startswith("cannot open")


@pytest.mark.parametrize("text, reason", [
    ("{not json", "not valid JSON (line 1, column 2"),
    ("[]", "an array of 0 results; give one findings object per file"),
    ('{"measurements": [{"site": "skull"}]}', "findings JSON invalid at measurements.0.site"),
    ('{"patient": {"sex": "X"}}', "findings JSON invalid at patient.sex"),
])
def test_bad_findings_json(tmp_path, text, reason):
    p = tmp_path / "f.json"
    p.write_text(text)
    with pytest.raises(InputError) as info:
        read_findings_json(p)
    assert reason in info.value.reason


def test_findings_json_reads_inputs_only(tmp_path):
    doc = {"source": {"vendor": "hologic", "path": "elsewhere"}, "patient": {"sex": "F", "age_years": 60},
           "measurements": [{"site": "total_hip", "side": "left", "label": "Total", "t_score": -1.2}],
           "coding": {"category": "osteoporosis"}, "tbs": None}
    p = tmp_path / "f.json"
    p.write_text(json.dumps(doc))
    f = read_findings_json(p)
    assert f.source.kind == "findings-json" and f.source.path == str(p) and f.source.vendor == "hologic"
    assert f.patient.age_years == 60 and f.measurements[0].t_score == -1.2
    assert not hasattr(f, "coding")


def test_study_hash_ignores_order():
    assert sha256_of_hashes(["a", "b"]) == sha256_of_hashes(["b", "a"]) != sha256_of_hashes(["a", "c"])
