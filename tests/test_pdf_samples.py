"""Every bundled PDF sample: its findings, one test per layout variant, and `dxaparse code` end to end.

The expected JSON of a sample is written by samples/generate_pdf.py from the spec it drew the PDF
from; its coding block is reasoned from coding.md. Coding reasons and flag messages are the coder's
prose and are not compared; everything else is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dxaparse.read.pdf import read_pdf
from samples.expected_output import decided, without_evidence

from ._pdf import ROOT, SAMPLES, generator

NAMES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))


def expected(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def read(monkeypatch):
    """Read a sample as `dxaparse code samples/pdf/<name>.pdf` does from the repository root."""
    monkeypatch.chdir(ROOT)

    def read_sample(name: str) -> dict:
        return read_pdf(Path("samples/pdf") / f"{name}.pdf").model_dump(mode="json")
    return read_sample


def by_label(found: dict) -> dict[tuple, dict]:
    return {(m["label"], m["side"]): m for m in found["measurements"]}


def test_every_layout_variant_has_a_sample_with_its_pdf():
    assert len(NAMES) >= 15
    assert {n.split("-")[0] for n in NAMES} == {"hologic", "ge", "norland", "narrative"}
    assert all((SAMPLES / f"{n}.pdf").is_file() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_sample_findings_are_the_expected_ones(name, read):
    want = expected(name)
    for added in ("coding", "billing", "comparison"):  # what coding, billing and history add to findings
        want.pop(added)
    assert read(name) == want


# --- one test per layout variant ------------------------------------------------------------------------


def test_hologic_with_pr_am_reads_every_printed_range_tbs_and_frax(read):
    found = read("hologic-spine-hip-pram")
    spine = [m for m in found["measurements"] if m["site"] == "lumbar_spine"]
    assert [m["label"] for m in spine] == ["L1", "L2", "L3", "L4", "L1-L2", "L1-L3", "L2-L3", "L2-L4",
                                           "L3-L4", "L1-L4"]
    total = by_label(found)[("L1-L4", None)]
    assert (total["vertebrae"], total["young_adult_percent"], total["age_matched_percent"]) == (
        ["L1", "L2", "L3", "L4"], 80.0, 94.0)
    assert by_label(found)[("Ward's", "left")]["site"] == "wards"
    assert without_evidence(found["tbs"]) == {"value": 1.262}
    assert without_evidence(found["frax"]) == {"major": 12.0, "hip": 1.8}
    assert found["exam"]["scans"] == ["spine", "hip"] and found["exam"]["device"] == "Horizon A"


def test_hologic_without_pr_am_and_with_blank_t_scores(read):
    found = read("hologic-spine-young-no-pram")
    assert all(m["t_score"] is None and m["young_adult_percent"] is None and m["age_matched_percent"] is None
               for m in found["measurements"])
    assert [m["z_score"] for m in found["measurements"]] == [-0.9, -0.7, -0.8, -0.8, -0.8]   # unicode minus
    assert found["patient"]["age_years"] == 34.0


def test_hologic_dual_hip_sides_and_no_differences(read):
    found = read("hologic-dual-hip")
    sides = [(m["label"], m["side"]) for m in found["measurements"]
             if m["site"] in ("femoral_neck", "total_hip")]
    assert sides == [("Neck", "left"), ("Total", "left"), ("Neck", "right"), ("Total", "right"),
                     ("Neck", "mean"), ("Total", "mean")]
    assert not [m for m in found["measurements"] if m["bmd"] == 0.027]        # the |Diff.| rows
    assert found["patient"] == {"sex": "M", "age_years": 71.0, "menopausal_status": None, "id": "SYN-0003",
                                "birth_date": "1952-09-30", "id_issuer": None}


def test_hologic_forearm_regions(read):
    found = read("hologic-forearm")
    sites = {m["label"]: (m["site"], m["side"]) for m in found["measurements"]}
    assert sites["Radius 1/3"] == ("radius_33", "left") and sites["Radius UD"] == ("radius_ud", "left")
    assert sites["Ulna MID"] == ("other", "left") and sites["Both Total"] == ("forearm_total", "left")
    assert found["exam"]["unrecognized"] == [] and found["exam"]["scans"] == ["forearm"]


def test_hologic_iva_page_gives_vfa_and_its_fracture(read):
    found = read("hologic-iva")
    assert found["vfa"] == {"performed": True, "fractures": [{"vertebra": "T12", "grade": 1, "acute": None}]}
    assert found["exam"]["scans"] == ["spine", "hip", "vfa"]


def test_hologic_excluded_vertebra_keeps_every_printed_range(read):
    found = read("hologic-excluded-vertebra")
    ranges = {m["label"]: m["vertebrae"] for m in found["measurements"]}
    assert ranges["L1,L3-L4"] == ["L1", "L3", "L4"] and ranges["L1-L2,L4"] == ["L1", "L2", "L4"]
    assert ranges["L2-L4"] == ["L2", "L3", "L4"]
    assert by_label(found)[("L1", None)]["t_score"] == -0.4
    assert not any(m["excluded"] for m in found["measurements"])   # APEX marks no row: the range shows it


def test_ge_new_header_and_who_footer(read):
    found = read("ge-encore-v16")
    assert found["exam"]["reference"] == "USA (Combined NHANES/Lunar)"
    assert found["exam"]["device"] == "Lunar Prodigy Advance"
    assert found["patient"]["age_years"] == 58.6 and found["exam"]["date"] == "2024-02-20"
    assert len(found["measurements"]) == 10    # the WHO footer's −1.0 / −2.5 are no rows
    assert by_label(found)[("L1-L4", None)]["young_adult_percent"] == 87.0


def test_ge_old_two_line_headers_and_age_from_the_birth_date(read):
    found = read("ge-encore-v12")
    total = by_label(found)[("L1-L4", None)]
    read_back = [total[f] for f in ("t_score", "young_adult_percent", "z_score", "age_matched_percent")]
    assert read_back == [-2.6, 71.0, -1.7, 81.0]
    assert found["patient"]["sex"] == "M" and found["patient"]["age_years"] == 66.0


def test_ge_dualfemur_groups_and_sides(read):
    found = read("ge-dualfemur")
    neck = {m["side"]: m["t_score"] for m in found["measurements"] if m["site"] == "femoral_neck"}
    assert neck == {"left": -1.3, "right": -1.6, "mean": -1.5}
    assert by_label(found)[("Shaft Left", "left")]["t_score"] is None
    assert not [m for m in found["measurements"] if "Diff" in m["label"]]


def test_ge_forearm_long_label(read):
    found = read("ge-forearm")
    assert by_label(found)[("Radius + Ulna Total", "left")]["site"] == "forearm_total"
    assert by_label(found)[("Radius 33%", "left")]["t_score"] == -2.7


def test_ge_lva_and_ancillary_results_complete_the_same_regions(read):
    found = read("ge-lva-ancillary")
    assert len(found["measurements"]) == 5
    assert all(m["bmc"] is not None and m["area"] is not None and m["doubt"] is None
               for m in found["measurements"])
    assert found["vfa"] == {"performed": True, "fractures": []}
    assert without_evidence(found["frax"]) == {"major": 14.0, "hip": 2.1}


def test_norland_columns_and_excluded_vertebra(read):
    found = read("norland-spine-hip")
    l1 = found["measurements"][0]
    assert (l1["label"], l1["excluded"], l1["vertebrae"]) == ("L1", True, ["L1"])
    assert by_label(found)[("L2 - L4", None)]["vertebrae"] == ["L2", "L3", "L4"]
    assert by_label(found)[("Neck", "left")]["area"] == 4.9    # Length / Width columns between are not read


def test_narrative_osteoporosis_with_steroids(read):
    found = read("narrative-osteoporosis-steroids")
    assert found["indications"] == ["67-year-old postmenopausal woman with rheumatoid arthritis on long-term "
                                    "prednisone 7.5 mg daily.", "No prior fractures."]
    assert found["impression"].startswith("Osteoporosis. The lowest T-score is -2.8")
    assert found["exam"]["accession"] == "ACC-0013" and found["patient"]["menopausal_status"] == "post"


def test_narrative_osteopenia_with_an_acute_vfa_fracture(read):
    found = read("narrative-osteopenia-vfa")
    assert found["vfa"]["fractures"] == [{"vertebra": "T12", "grade": 2, "acute": True}]
    assert found["indications"][-1] == "Not on bisphosphonate therapy."   # passed on, for the coder
    assert by_label(found)[("total hip", "left")]["t_score"] == -1.3   # "…, respectively"


def test_narrative_normal_screening(read):
    found = read("narrative-normal-screening")
    assert found["indications"] == ["Screening.", "52-year-old postmenopausal woman.",
                                    "No history of steroid use or fracture."]
    assert found["impression"] == "Normal bone mineral density."


# --- end to end -------------------------------------------------------------------------------------


# The coder flags every `other` site as unknown (§6.2); these labels are known regions with no contract
# site. Left for the lead to settle: remove the mark when the coder and this expectation agree.
@pytest.fixture(scope="module")
def coded() -> dict[str, dict]:
    """`dxaparse code` over every sample at once, from the repository root."""
    pytest.importorskip("dxaparse.code", reason="the coder is not built yet")
    paths = [f"samples/pdf/{n}.pdf" for n in NAMES]
    proc = subprocess.run([sys.executable, "-m", "dxaparse.cli", "code", *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return dict(zip(NAMES, json.loads(proc.stdout), strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_dxaparse_code_reproduces_the_expected_json(name, coded):
    got, want = dict(coded[name]), expected(name)
    got_coding, want_coding = got.pop("coding"), want.pop("coding")
    assert got == want
    assert decided(got_coding) == decided(want_coding)


def test_the_generator_reproduces_the_committed_samples(tmp_path):
    g = generator()
    for name in NAMES:
        pdf, want = g.write_sample(name, tmp_path, f"samples/pdf/{name}.pdf")
        stale = f"{name}: samples/pdf is out of date, re-run samples/generate_pdf.py"
        assert pdf.read_bytes() == (SAMPLES / f"{name}.pdf").read_bytes(), stale
        assert want == expected(name), stale
