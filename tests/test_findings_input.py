"""Findings JSON is strict input (issue 14, case 4): a misspelt field is an error naming it and the field
meant, another system's extension fields are ignored with one warning line, and a JSON document that is
not findings (a FHIR resource, an array, any other object) is refused with what it is. A result of
`dxaparse code` read back in is taken silently and codes the same."""

from __future__ import annotations

import json
import logging
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError
from dxaparse.models import (
    FINDINGS_INPUT_FIELDS,
    Exam,
    ExamResult,
    Fracture,
    Frax,
    Measurement,
    Patient,
    Source,
    Tbs,
    Vfa,
)
from dxaparse.pipeline import process
from dxaparse.read.findings_json import read_findings_json

from .conftest import ROOT
from .test_expected_files import TRUTHS

SAMPLES = ROOT / "samples"
LOGGER = "dxaparse.read.findings_json"
NO_FINDINGS_KEYS = ("an object with none of the findings keys (patient, exam, measurements, vfa, tbs, frax, "
                    "indications, impression, history)")

# Case 4 of issue 14: the spine T-score spelt `t-score`. Read as written, the spine is dropped and the
# exam codes normal from the hip; it is osteoporosis.
CASE_4 = {
    "patient": {"sex": "F", "age_years": 67, "menopausal_status": "post", "id": "MRN777"},
    "exam": {"date": "2026-02-03", "scans": ["spine", "hip"]},
    "measurements": [
        {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "bmd": 0.7,
         "t-score": -3.1},
        {"site": "total_hip", "side": "left", "label": "Total", "bmd": 0.95, "t_score": -0.4},
    ],
}


def _write(folder: Path, name: str, doc) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _refusal(folder: Path, doc) -> str:
    with pytest.raises(InputError) as info:
        read_findings_json(_write(folder, "f.json", doc))
    return info.value.reason


def _coded(path: Path) -> ExamResult:
    [result] = process(path, CodingSettings())
    assert isinstance(result, ExamResult), result
    return result


# --- misspelt fields --------------------------------------------------------------------------------


def test_case_4_t_score_with_a_hyphen_is_an_error_naming_both(tmp_path, cli):
    path = _write(tmp_path, "case4.json", CASE_4)
    run = cli("code", str(path))
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [
        f"dxaparse: {path}: unknown field 't-score' in measurements[0]; did you mean 't_score'?"]
    fixed = json.loads(json.dumps(CASE_4).replace('"t-score"', '"t_score"'))
    assert _coded(_write(tmp_path, "fixed.json", fixed)).coding.category.value == "osteoporosis"


@pytest.mark.parametrize("doc, reason", [
    ({"mesurements": []}, "unknown field 'mesurements'; did you mean 'measurements'?"),
    ({"Patient": {"sex": "F"}}, "unknown field 'Patient'; did you mean 'patient'?"),
    ({"patient": {"Age Years": 70}}, "unknown field 'Age Years' in patient; did you mean 'age_years'?"),
    ({"exam": {"dte": "2026-01-01"}}, "unknown field 'dte' in exam; did you mean 'date'?"),
    ({"measurements": [{"site": "total_hip", "t_score": -1}, {"site": "total_hip", "Z-Score": -1}]},
     "unknown field 'Z-Score' in measurements[1]; did you mean 'z_score'?"),
    ({"vfa": {"performed": True, "fractures": [{"vertebra": "T12"}, {"vertebra": "L1", "grade ": 2}]}},
     "unknown field 'grade ' in vfa.fractures[1]; did you mean 'grade'?"),
    ({"vfa": {"preformed": True}}, "unknown field 'preformed' in vfa; did you mean 'performed'?"),
    ({"tbs": {"values": 1.2}}, "unknown field 'values' in tbs; did you mean 'value'?"),
    ({"frax": {"Major": 20}}, "unknown field 'Major' in frax; did you mean 'major'?"),
    ({"patient": {}, "source": {"Vendor": "hologic"}},
     "unknown field 'Vendor' in source; did you mean 'vendor'?"),
])
def test_a_near_miss_field_is_an_error_naming_both(tmp_path, doc, reason):
    assert _refusal(tmp_path, doc) == reason


# --- extension fields -------------------------------------------------------------------------------


def test_extension_fields_are_ignored_with_one_warning_naming_them_and_the_exam_still_codes(tmp_path, caplog):
    doc = json.loads(json.dumps(CASE_4).replace('"t-score"', '"t_score"'))
    doc["exam"]["x_ris_code"] = "RIS-SECRET-1"
    doc["measurements"][0]["vendor_note"] = "Jane Doe rescanned"
    doc["acme"] = {"anything": 1}
    path = _write(tmp_path, "ext.json", doc)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = _coded(path)
    assert result.coding.category.value == "osteoporosis"
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (f"{path}: ignored unknown fields: exam.x_ris_code, "
                                   "measurements[0].vendor_note, acme")
    assert not {"RIS-SECRET-1", "Jane", "MRN777"} & set(record.getMessage().replace(",", " ").split())


def test_the_cli_shows_the_warning_as_one_stderr_line_and_exits_0(tmp_path, cli):
    doc = {**CASE_4, "measurements": [{"site": "total_hip", "t_score": -2.7, "vendor_note": "x"}]}
    path = _write(tmp_path, "ext.json", doc)
    run = cli("code", str(path))
    assert run.code == 0, run.err
    [line] = run.err.splitlines()
    assert line.endswith(f"WARNING {LOGGER}: {path}: ignored unknown fields: measurements[0].vendor_note")
    assert json.loads(run.out)["coding"]["category"] == "osteoporosis"


def test_an_odd_field_name_stays_on_its_one_line(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        read_findings_json(_write(tmp_path, "f.json", {"exam": {"a\nb": 1, "ok_name": 2}}))
    [record] = caplog.records
    assert "\n" not in record.getMessage() and "exam.'a\\nb', exam.ok_name" in record.getMessage()


RESULTS = sorted(p for p in SAMPLES.rglob("*.expected.json")
                 if p.name.removesuffix(".expected.json") not in TRUTHS)


@pytest.mark.parametrize("sample", RESULTS, ids=lambda p: p.name)
def test_a_result_read_back_as_findings_is_taken_silently_and_codes_the_same(sample, tmp_path, caplog):
    """Every bundled result — DICOM, PDF, OCR, findings — read back: `coding`, `source`, `schema_version`
    and all our additions are known, and the coder decides again what it decided. (The OCR truth files
    hold the values printed on the page, not our output: test_expected_files.py.)"""
    want = json.loads(sample.read_text(encoding="utf-8"))
    path = tmp_path / "result.json"
    path.write_text(json.dumps(want), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        again = _coded(path).to_json_dict()
    assert caplog.records == []
    assert again["coding"] == want["coding"]
    assert {**again, "source": None} == {**want, "source": None}


# --- documents that are not findings ----------------------------------------------------------------


def test_an_object_with_none_of_the_findings_keys_is_refused(tmp_path, cli):
    path = _write(tmp_path, "a.json", {"a": 1})
    run = cli("code", str(path))
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [f"dxaparse: {path}: {NO_FINDINGS_KEYS}"]


def test_our_own_fhir_bundle_is_refused_as_fhir(tmp_path, cli):
    fhir = cli("code", "--format", "fhir", str(SAMPLES / "findings" / "postmenopausal-osteoporosis.json"))
    assert fhir.code == 0 and json.loads(fhir.out)["resourceType"] == "Bundle"
    path = tmp_path / "bundle.json"
    path.write_text(fhir.out, encoding="utf-8")
    run = cli("code", str(path))
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [f"dxaparse: {path}: a FHIR Bundle resource, not dxaparse findings"]


@pytest.mark.parametrize("doc, reason", [
    ([{"patient": {}}, {"patient": {}}], "an array of 2 results; give one findings object per file"),
    ([], "an array of 0 results; give one findings object per file"),
    ([1, 2], "an array of 2 values; give one findings object per file"),
    ({"resourceType": "Patient", "gender": "female"}, "a FHIR Patient resource, not dxaparse findings"),
    ({"resourceType": "Patient\nDoe", "id": "1"}, "a FHIR resource, not dxaparse findings"),
    ({}, NO_FINDINGS_KEYS),
    ({"source": {"kind": "pdf"}, "coding": {}}, NO_FINDINGS_KEYS),
])
def test_documents_that_are_not_findings_say_what_they_are(tmp_path, doc, reason):
    assert _refusal(tmp_path, doc) == reason


def test_a_result_array_of_dxaparse_code_is_refused(tmp_path, cli):
    a, b = (SAMPLES / "findings" / f"{n}.json" for n in ("postmenopausal-osteoporosis", "vertebral-jump"))
    path = tmp_path / "both.json"
    assert cli("code", str(a), str(b), "-o", str(path)).code == 0
    run = cli("code", str(path))
    assert run.code == 2
    want = f"dxaparse: {path}: an array of 2 results; give one findings object per file"
    assert run.err.splitlines() == [want]


def test_the_documented_messages_are_the_readers(tmp_path, caplog):
    doc = (ROOT / "docs" / "result-format.md").read_text(encoding="utf-8")
    section = doc.split("## Findings JSON as input\n")[1].split("\n## ")[0]
    refusals = [{"measurements": [{"site": "lumbar_spine", "t-score": -3.1}]}, {"a": 1},
                {"resourceType": "Bundle", "type": "collection"}, [{"patient": {}}, {"patient": {}}]]
    for bad in refusals:
        assert f"`{_refusal(tmp_path, bad)}`" in section
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        read_findings_json(_write(tmp_path, "PATH", {"exam": {"x_ris_code": 1}, "measurements": [
            {"site": "total_hip", "vendor_note": 1}]}))
    [record] = caplog.records
    assert f"`{record.getMessage().removeprefix(str(tmp_path) + '/')}`" in section
    assert all(f"`{key}`" in section for key in FINDINGS_INPUT_FIELDS)


# --- batch ------------------------------------------------------------------------------------------


def test_batch_reports_bad_findings_as_failed_and_stores_only_the_good(tmp_path, cli):
    from dxaparse.emit.store import Store

    root = tmp_path / "archive"
    root.mkdir()
    _write(root, "case4.json", CASE_4)
    _write(root, "a.json", {"a": 1})
    _write(root, "list.json", [CASE_4])
    _write(root, "good.json", {**CASE_4, "measurements": CASE_4["measurements"][1:], "x_ris": 1})
    run = cli("batch", str(root), "--store", str(tmp_path / "s.sqlite3"), "--jobs", "2", "--log-paths")
    assert run.code == 2
    [warning] = [line for line in run.err.splitlines() if " WARNING " in line]
    assert warning.endswith(" good.json: ignored unknown fields: x_ris")
    assert sorted(line for line in run.err.splitlines() if line != warning) == [
        f"dxaparse batch: a.json: {NO_FINDINGS_KEYS}",
        "dxaparse batch: case4.json: unknown field 't-score' in measurements[0]; did you mean 't_score'?",
        "dxaparse batch: list.json: an array of 1 result; give one findings object per file",
    ]
    with Store(tmp_path / "s.sqlite3") as store:
        assert [r.source.path for r in store.iter_results()] == [str(root / "good.json")]


# --- property: a near miss is never dropped without a word ------------------------------------------

# Where each object of the findings input sits in a document, and its model. The base documents are
# valid, so the key under test is the only thing that can go wrong.
PLACES = {
    "": (ExamResult, lambda key: {"measurements": [], key: None}),
    " in source": (Source, lambda key: {"patient": {}, "source": {key: None}}),
    " in patient": (Patient, lambda key: {"patient": {key: None}}),
    " in exam": (Exam, lambda key: {"exam": {key: None}}),
    " in measurements[0]": (Measurement, lambda key: {"measurements": [{"site": "total_hip", key: None}]}),
    " in vfa": (Vfa, lambda key: {"vfa": {key: None}}),
    " in vfa.fractures[0]": (Fracture, lambda key: {"vfa": {"fractures": [{key: None}]}}),
    " in tbs": (Tbs, lambda key: {"tbs": {"value": 1.2, key: None}}),
    " in frax": (Frax, lambda key: {"frax": {key: None}}),
}
FIELDS = [(where, name) for where, (model, _) in PLACES.items() for name in model.model_fields]
SEPARATORS = "_- "


@st.composite
def near_miss(draw, name: str) -> str:
    """One mutation of `name`: a change of case, one separator swapped for another, one edit, or two
    neighbouring characters swapped."""
    how = draw(st.sampled_from(["case", "separator", "insert", "delete", "substitute", "swap"]))
    at = draw(st.integers(0, len(name) - 1))
    char = draw(st.one_of(st.sampled_from(string.ascii_letters + string.digits + SEPARATORS),
                          st.characters(codec="utf-8")))
    if how == "case":
        flips = draw(st.sets(st.integers(0, len(name) - 1), min_size=1))
        return "".join(c.swapcase() if i in flips else c for i, c in enumerate(name))
    if how == "separator":
        seps = [i for i, c in enumerate(name) if c in SEPARATORS]
        assume(seps)
        i = draw(st.sampled_from(seps))
        return name[:i] + draw(st.sampled_from(SEPARATORS.replace(name[i], ""))) + name[i + 1:]
    if how == "insert":
        return name[:at] + char + name[at:]
    if how == "delete":
        return name[:at] + name[at + 1:]
    if how == "swap":
        at = min(at, len(name) - 2)
        return name[:at] + name[at + 1] + name[at] + name[at + 2:]
    return name[:at] + char + name[at + 1:]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), near_miss(f[1]))))
def test_a_near_miss_of_any_field_is_taken_as_that_field_or_refused_naming_it(tmp_path, case):
    (where, _), key = case
    model, place = PLACES[where]
    assume(key not in model.model_fields)   # became the exact field, or another one: read as such
    path = _write(tmp_path, "f.json", place(key))
    with pytest.raises(InputError) as info:
        read_findings_json(path)
    start = f"unknown field {key!r}{where}; did you mean '"
    assert info.value.reason.startswith(start), info.value.reason
    assert info.value.reason.removeprefix(start).removesuffix("'?") in model.model_fields
