"""FHIR Bundles of every bundled sample in both `--fhir-bundle` modes, the transaction a FHIR server
takes (conditional creates, urn:uuid references), the option in `code`, `watch` and `pacs`, the fhir files
of the sink, and the example in docs/exports.md."""

from __future__ import annotations

import json
import re

import pytest

from dxaparse.emit.fhir import to_fhir
from dxaparse.emit.store import Store
from dxaparse.models import ExamResult
from dxaparse.serve.sink import ResultSink

from ._exams import exam
from ._fhir import documents, resources, valid_r4
from .conftest import ROOT

EXPECTED = sorted((ROOT / "samples").rglob("*.expected.json"))
DOC_SAMPLE = "samples/dicom/ge-sr-forearm.dcm"


def _sample(path) -> ExamResult:
    return ExamResult.model_validate_json(path.read_text(encoding="utf-8"))


def _references(node) -> list[str]:
    if isinstance(node, dict):
        own = [v for k, v in node.items() if k == "reference"]
        return own + [r for v in node.values() for r in _references(v)]
    return [r for v in node for r in _references(v)] if isinstance(node, list) else []


def _check_transaction(doc: dict, result: ExamResult) -> None:
    assert doc["type"] == "transaction" and "id" not in doc
    urls = [e["fullUrl"] for e in doc["entry"]]
    assert len(set(urls)) == len(urls) and all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", u) for u in urls)
    keys = []
    for entry in doc["entry"]:
        res, request = entry["resource"], entry["request"]
        assert "id" not in res  # the server assigns ids; the fullUrl names the resource in the transaction
        assert (request["method"], request["url"]) == ("POST", res["resourceType"])
        system, value = request["ifNoneExist"].removeprefix("identifier=").split("|", 1)
        assert {"system": system, "value": value} in [
            {k: i.get(k) for k in ("system", "value")} for i in res["identifier"]]
        keys.append(request["ifNoneExist"])
    assert len(set(keys)) == len(keys)
    assert set(_references(doc["entry"])) <= set(urls)  # every reference resolves inside the transaction
    by_type = {e["resource"]["resourceType"]: e for e in doc["entry"]}
    report_key = by_type["DiagnosticReport"]["request"]["ifNoneExist"]
    assert report_key == f"identifier=urn:dxaparse:sha256|{result.source.sha256}"
    if result.exam.study_uid:
        assert by_type["ImagingStudy"]["request"]["ifNoneExist"] == (
            f"identifier=urn:dicom:uid|urn:oid:{result.exam.study_uid}")
    else:
        assert "ImagingStudy" not in by_type


def _check_charges(b, result: ExamResult) -> None:
    charges = resources(b).get("ChargeItem", [])
    got = [(c.code.coding[0].code, [x.valueCoding.code for x in c.extension or []], int(c.quantity.value))
           for c in charges]
    assert got == [(line.code, [m.value for m in line.modifiers], line.units) for line in result.coding.cpt]
    assert {c.status for c in charges} <= {"billable" if result.billing.billable else "planned"}


@pytest.mark.parametrize("expected", EXPECTED, ids=[p.name.removesuffix(".expected.json") for p in EXPECTED])
def test_every_sample_is_a_valid_r4_bundle_in_both_modes(expected):
    result = _sample(expected)
    collection = valid_r4(to_fhir([result], False))
    assert collection.type == "collection"
    _check_charges(collection, result)
    text = to_fhir([result], False, bundle_type="transaction")
    (doc,) = documents(text)
    transaction = valid_r4(doc)
    _check_charges(transaction, result)
    _check_transaction(doc, result)
    # the same resources in both modes, but for the ids a transaction leaves to the server
    same = [{k: v for k, v in json.loads(e.resource.model_dump_json()).items() if k != "id"}
            for e in collection.entry]
    assert [json.loads(e.resource.model_dump_json()) for e in transaction.entry] == same
    assert to_fhir([result], False, bundle_type="transaction") == text  # sending it again: the same bundle


def test_several_exams_are_one_transaction_document_each():
    text = to_fhir([exam(1), exam(2)], True, bundle_type="transaction")
    docs = documents(text)
    assert len(docs) == 2 and text.count("\n{") == 1  # indented documents, each starting on a new line
    for doc, e in zip(docs, (exam(1), exam(2)), strict=True):
        valid_r4(doc)
        _check_transaction(doc, e)


def test_code_writes_a_transaction_bundle(cli, tmp_path):
    run = cli("code", "samples/findings/axial-vfa-forearm-tbs.json", "--format", "fhir",
              "--fhir-bundle", "transaction")
    assert run.code == 0, run.err
    (doc,) = documents(run.out)
    result = _sample(ROOT / "samples/findings/axial-vfa-forearm-tbs.expected.json")
    _check_transaction(doc, result)
    _check_charges(valid_r4(doc), result)
    two = cli("code", "samples/findings/axial-vfa-forearm-tbs.json", "samples/findings/vertebral-jump.json",
              "--format", "fhir", "--fhir-bundle", "transaction")
    assert two.code == 0 and [d["type"] for d in documents(two.out)] == ["transaction", "transaction"]
    default = cli("code", "samples/findings/vertebral-jump.json", "--format", "fhir")
    assert json.loads(default.out)["type"] == "collection"


@pytest.mark.parametrize("command", [
    ["code", "samples/findings/vertebral-jump.json", "--format", "csv"],
    ["watch", "{tmp}/in", "--out-dir", "{tmp}/out", "--out-format", "json,csv", "--store", "{tmp}/s.db"],
    ["pacs", "--aet", "DXA", "--port", "0", "--spool", "{tmp}/spool", "--out-dir", "{tmp}/out",
     "--store", "{tmp}/s.db"],
])
def test_fhir_bundle_without_the_fhir_format_is_refused(cli, tmp_path, command):
    (tmp_path / "in").mkdir()
    run = cli(*[a.format(tmp=tmp_path) for a in command], "--fhir-bundle", "transaction")
    assert run.code == 2 and run.err.strip().endswith("--fhir-bundle needs the fhir format"), run.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["code", "watch", "pacs"])
def test_the_option_is_one_shared_definition(cli, command):
    run = cli(command, "--help")
    assert run.code == 0
    assert "--fhir-bundle collection|transaction" in " ".join(run.out.split())


def test_the_sink_writes_a_transaction_file_per_exam(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        ResultSink(store, tmp_path / "out", ["fhir"], fhir_bundle="transaction").commit([exam(1)])
        with pytest.raises(ValueError, match="unknown FHIR bundle type"):
            ResultSink(store, tmp_path / "out", ["fhir"], fhir_bundle="batch")
    text = (tmp_path / "out" / "fhir" / f"{exam(1).source.sha256}.json").read_text(encoding="utf-8")
    (doc,) = documents(text)
    valid_r4(doc)
    _check_transaction(doc, exam(1))


def test_the_docs_show_the_transaction_bundle_dxaparse_writes(cli):
    """docs/exports.md shows the bundle of DOC_SAMPLE with some entries left out: every entry it shows is
    the one dxaparse writes, in the same order, and so is everything around the entries."""
    text = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- fhir transaction: (\S+) -->\n```json\n(.*?)\n```", text, re.S)
    assert block and block[1] == DOC_SAMPLE
    shown = json.loads(block[2])
    run = cli("code", DOC_SAMPLE, "--format", "fhir", "--fhir-bundle", "transaction")
    assert run.code == 0, run.err
    written = json.loads(run.out)
    around = {k: v for k, v in written.items() if k != "entry"}
    assert {k: v for k, v in shown.items() if k != "entry"} == around
    order = [e["fullUrl"] for e in written["entry"]]
    positions = [order.index(e["fullUrl"]) for e in shown["entry"]]
    assert positions == sorted(positions)
    for entry in shown["entry"]:
        assert entry == written["entry"][order.index(entry["fullUrl"])]
    kinds = {e["resource"]["resourceType"] for e in shown["entry"]}
    assert kinds == {"Patient", "ImagingStudy", "DiagnosticReport", "Observation", "ChargeItem"}
    left_out = re.search(r"leaves out (\d+) of its (\d+) entries", text)
    assert left_out and (int(left_out[1]), int(left_out[2])) == (len(order) - len(shown["entry"]), len(order))
