"""`dxaparse export` as a user runs it: every format on a store the test fills, every filter option
alone and combined, and a clear refusal (exit 2, one line, nothing written) of a bad filter value."""

from __future__ import annotations

import csv
import io
import json

import pytest

from dxaparse.emit.csv_out import COLUMNS, STORED_LINE_COLUMNS, VERSION_COLUMNS
from dxaparse.emit.store import Store

from ._exams import FILED, exam, fill


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "s.sqlite3"
    with Store(path) as store:
        shas = fill(store)
    return path, shas, {sha: name for name, sha in shas.items()}


def _export(cli, filled, *args: str, tmp_path=None):
    path, _, _ = filled
    run = cli("export", "--store", str(path), *args)
    assert run.code == 0, run.err
    return run


def _names(filled, run) -> list[str]:
    return [filled[2][json.loads(line)["source"]["sha256"]] for line in run.out.splitlines()]


def test_jsonl_is_each_current_result_with_its_store_block(cli, filled):
    run = _export(cli, filled)
    docs = [json.loads(line) for line in run.out.splitlines()]
    assert [filled[2][d["source"]["sha256"]] for d in docs] == ["s1v2", "s2", "s3", "pdf"]
    assert docs[0]["store"] == {"version": 2, "supersedes": filled[1]["s1v1"], "current": True}
    assert docs[2]["billing"]["status"] == "released"


def test_csv_is_one_row_per_cpt_line_with_when_stored_and_the_version(cli, filled, tmp_path):
    out = tmp_path / "x.csv"
    _export(cli, filled, "--format", "csv", "--all-versions", "-o", str(out))
    raw = out.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(raw.decode(), newline="")))
    assert list(rows[0]) == STORED_LINE_COLUMNS
    per_exam = len(exam().coding.cpt)
    assert len(rows) == len(FILED) * per_exam
    by_name = {filled[2][r["sha256"]]: r for r in rows}
    assert {name: r["stored_at"] for name, r in by_name.items()} == {n: f[4] for n, f in FILED.items()}
    assert (by_name["s1v1"]["current"], by_name["s1v2"]["version"], by_name["s1v2"]["supersedes"]) == (
        "0", "2", filled[1]["s1v1"])
    assert [r["modifiers"] for r in rows[:per_exam]] == ["", "XU;26"]


def test_csv_measurements_is_one_row_per_measurement(cli, filled):
    run = _export(cli, filled, "--format", "csv-measurements")
    reader = csv.DictReader(io.StringIO(run.out))
    rows = list(reader)
    assert reader.fieldnames == COLUMNS + VERSION_COLUMNS
    assert len(rows) == 4 * len(exam().measurements)
    assert {r["t_score"] for r in rows} >= {"-2.6", "-2.1"}


def test_hl7_is_what_each_result_sends(cli, filled, tmp_path):
    out = tmp_path / "x.hl7"
    _export(cli, filled, "--format", "hl7", "-o", str(out))
    with out.open(encoding="utf-8", newline="") as fh:
        messages = [[seg for seg in m.split("\r") if seg] for m in fh.read().split("\n") if m.strip()]
    sent = []
    for segments in messages:
        msh, pid = segments[0].split("|"), next(s for s in segments if s.startswith("PID")).split("|")
        obr = next((s.split("|") for s in segments if s.startswith("OBR")), None)
        sent.append((pid[3].split("^")[0], msh[8].split("^")[1], obr[25] if obr else None))
    # held: preliminary results, no charge; amended and held: still preliminary; released: the charge
    # and final results; ready without a study: charge and final results
    assert sent == [("MRN00101", "R01", "P"), ("MRN00102", "R01", "P"),
                    ("MRN00103", "P03", None), ("MRN00103", "R01", "F"),
                    ("MRN00104", "P03", None), ("MRN00104", "R01", "F")]


def test_fhir_is_one_bundle_per_line(cli, filled):
    run = _export(cli, filled, "--format", "fhir", "--needs-review")
    bundles = [json.loads(line) for line in run.out.splitlines()]
    assert [b["resourceType"] for b in bundles] == ["Bundle", "Bundle"]
    reports = [next(e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
               for b in bundles]
    shas = [next(i["value"] for i in r["identifier"] if i["system"] == "urn:dxaparse:sha256")
            for r in reports]
    assert [filled[2][s] for s in shas] == ["s1v2", "pdf"]


@pytest.mark.parametrize("args, expected", [
    (("--held",), ["s1v2", "s2"]),
    (("--needs-review",), ["s1v2", "pdf"]),
    (("--study", "1.2.9.1"), ["s1v2"]),
    (("--study", "1.2.9.1", "--all-versions"), ["s1v1", "s1v2"]),
    (("--accession", "A2"), ["s2"]),
    (("--since", "2026-01-21"), ["s3", "pdf"]),
    (("--since", "2026-01-20T23:30:00Z"), ["s2", "s3", "pdf"]),
    (("--until", "2026-01-20"), ["s1v2", "s2"]),
    (("--until", "2026-01-20T23:59:59+00:00"), ["s1v2"]),
    (("--held", "--needs-review"), ["s1v2"]),
    (("--since", "2026-01-20", "--until", "2026-02-01", "--held"), ["s1v2", "s2"]),
    (("--accession", "A1", "--all-versions", "--until", "2026-01-15"), ["s1v1"]),
    (("--study", "1.2.9.2", "--needs-review"), []),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_each_filter_option_alone_and_combined(cli, filled, args, expected):
    assert _names(filled, _export(cli, filled, *args)) == expected


@pytest.mark.parametrize("args, said", [
    (("--since", "yesterday"), "argument --since: not a date or ISO date-time: 'yesterday'"),
    (("--until", "2026-13-01"), "argument --until: not a date or ISO date-time: '2026-13-01'"),
    (("--study", ""), "argument --study: must not be empty"),
    (("--accession", " "), "argument --accession: must not be empty"),
    (("--format", "xml"), "argument --format: invalid choice: 'xml'"),
    (("--since", "2026-02-01", "--until", "2026-01-31"), "--since 2026-02-01 is after --until 2026-01-31"),
    (("--since", "2026-01-20T12:00", "--until", "2026-01-20T11:00"), "is after --until"),
])
def test_a_bad_filter_value_is_refused_with_exit_2_and_nothing_written(cli, filled, tmp_path, args, said):
    out = tmp_path / "never.csv"
    run = cli("export", "--store", str(filled[0]), "--format", "csv", *args, "-o", str(out))
    assert run.code == 2
    *usage, line = run.err.strip().splitlines()   # argparse's usage, then the one line saying what is wrong
    assert line.startswith("dxaparse export: ") and said in line and "Traceback" not in run.err
    assert all(u.startswith(("usage:", " ")) for u in usage)
    assert run.out == "" and not out.exists()


def test_hl7_carries_the_site_envelope_and_fhir_the_chosen_bundle(cli, filled, tmp_path):
    """The same options as the services: the site's [hl7] envelope (--config), the Bundle type."""
    site = tmp_path / "site.toml"
    site.write_text('[hl7]\nsending_facility = "DXA-CLINIC"\nprocessing_id = "T"\n')
    out = tmp_path / "x.hl7"
    _export(cli, filled, "--format", "hl7", "--config", str(site), "-o", str(out))
    with out.open(encoding="utf-8", newline="") as fh:
        headers = [m.split("\r")[0].split("|") for m in fh.read().split("\n") if m.strip()]
    assert headers and all(h[3] == "DXA-CLINIC" and h[10] == "T" for h in headers)
    run = _export(cli, filled, "--format", "fhir", "--fhir-bundle", "transaction", "--needs-review")
    bundles = [json.loads(doc) for doc in _documents(run.out)]
    assert [b["type"] for b in bundles] == ["transaction", "transaction"]
    refused = cli("export", "--store", str(filled[0]), "--format", "csv", "--fhir-bundle", "transaction")
    assert refused.code == 2 and "--fhir-bundle needs the fhir format" in refused.err


def _documents(text: str) -> list[str]:
    """The JSON documents written one after another (a transaction Bundle is indented, not one line)."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    while (at := len(text) - len(text[at:].lstrip())) < len(text):
        doc, end = decoder.raw_decode(text, at)
        docs.append(json.dumps(doc))
        at = end
    return docs
