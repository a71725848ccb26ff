"""`dxaparse code` as a user runs it: exit status, one stderr line per bad input, JSON shape."""

from __future__ import annotations

import json

from dxaparse.models import ExamResult

FINDINGS = {
    "patient": {"sex": "F", "age_years": 67, "menopausal_status": "post"},
    "exam": {"date": "2026-02-03", "scans": ["spine", "hip"]},
    "measurements": [
        {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "bmd": 0.801,
         "t_score": -2.7, "z_score": -1.1},
        {"site": "total_hip", "side": "left", "label": "Total", "bmd": 0.75, "t_score": -1.6},
    ],
    "indications": ["postmenopausal"],
}


def _write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return p


def test_one_input_gives_one_object(tmp_path, cli):
    run = cli("code", str(_write(tmp_path, "f.json", FINDINGS)))
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    assert isinstance(obj, dict) and obj["schema_version"] == "1"
    assert obj["source"]["kind"] == "findings-json"
    assert [c["code"] for c in obj["coding"]["cpt"]] == ["77080"]
    assert obj["coding"]["category"] == "osteoporosis"
    assert obj["coding"]["icd10"][0]["code"] == "M81.0"


def test_several_inputs_give_an_array_of_valid_results(tmp_path, cli):
    a = _write(tmp_path, "a.json", FINDINGS)
    b = _write(tmp_path, "b.json", {**FINDINGS, "measurements": []})
    out = tmp_path / "out.json"
    run = cli("code", str(a), str(b), "-o", str(out))
    assert run.code == 0, run.err
    data = json.loads(out.read_text())
    assert isinstance(data, list) and len(data) == 2
    assert data[1]["coding"]["category"] == "indeterminate" and data[1]["coding"]["needs_review"]
    assert [ExamResult.model_validate(item).to_json_dict() for item in data] == data


def test_bad_input_exit_2_one_line_and_good_still_written(tmp_path, cli):
    good = _write(tmp_path, "good.json", FINDINGS)
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    run = cli("code", str(good), str(empty))
    assert run.code == 2
    assert run.err.strip().splitlines() == [f"dxaparse: {empty}: empty file (0 bytes)"]
    assert "Traceback" not in run.err
    data = json.loads(run.out)
    assert len(data) == 1 and data[0]["source"]["path"] == str(good)


def test_only_bad_input(tmp_path, cli):
    p = tmp_path / "x.txt"
    p.write_text("hello")
    run = cli("code", str(p))
    assert run.code == 2 and run.out == ""
    assert "not a DICOM object, PDF report or findings JSON" in run.err


def test_coding_in_findings_json_is_recomputed(tmp_path, cli):
    doc = {**FINDINGS, "coding": {"cpt": [{"code": "77082", "modifiers": [], "units": 1, "reason": "x"}],
                                  "category": "normal"}}
    run = cli("code", str(_write(tmp_path, "f.json", doc)))
    obj = json.loads(run.out)
    assert all(c["code"] != "77082" for c in obj["coding"]["cpt"])
    assert obj["coding"]["category"] == "osteoporosis"


def test_bad_settings_file_is_one_line_not_a_traceback(tmp_path, cli):
    cfg = tmp_path / "site.toml"
    cfg.write_text('biling_mode = "global"\n')
    run = cli("code", str(_write(tmp_path, "f.json", FINDINGS)), "--config", str(cfg))
    assert run.code == 2 and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1 and "biling_mode" in run.err
