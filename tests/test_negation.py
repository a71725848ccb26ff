"""One negation vocabulary for the readers and the coder (dxaparse/negation.py, dxaparse/negation.toml):
cues before and after a mention void it, affirmations stay coded, and the readers pass indications on
for the coder to recognise."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.code import CodingSettings, code_findings
from dxaparse.code.impression import read_impression
from dxaparse.code.indications import recognise
from dxaparse.code.tables import indications
from dxaparse.models import Findings, Source
from dxaparse.negation import first_affirmed, piece_around, vocabulary
from dxaparse.pipeline import process
from dxaparse.read.layout.report import read_report

from ._pdf import text_lines
from .conftest import ROOT

VOCABULARY = tomllib.loads((ROOT / "dxaparse" / "negation.toml").read_text(encoding="utf-8"))
POST = {"sex": "F", "age_years": 67, "menopausal_status": "post"}
OSTEO = [{"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "t_score": -2.8}]


def icd(indications: list[str], impression: str | None = None) -> list[str]:
    data = {"source": {"path": "t.json", "kind": "findings-json", "sha256": "0"}, "patient": POST,
            "measurements": OSTEO, "indications": indications, "impression": impression}
    return [line.code for line in code_findings(Findings.model_validate(data), CodingSettings()).icd10]


def keys(text: str) -> list[str]:
    return [found.indication.key for found in recognise([text], None)]


def narrative(*texts: str) -> Findings:
    return read_report(text_lines(*texts), Source(path="report.pdf", kind="pdf", sha256="0" * 64))


# --- the reported case: a drug that was ceased is no long-term use ---------------------------------


@pytest.mark.parametrize("indication", [
    "Prednisone was ceased last year.", "Prednisone 7.5 mg daily was ceased last year.",
    "Prednisone is no longer taken.", "Not currently on steroids."])
def test_findings_json_prednisone_ceased_codes_no_z79_52(tmp_path, indication):
    doc = {"patient": POST, "exam": {"date": "2024-03-01"}, "measurements": OSTEO,
           "indications": [indication]}
    path = tmp_path / "ceased.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    [result] = process(path, CodingSettings())
    assert [line.code for line in result.coding.icd10] == ["M81.0"]


def test_narrative_report_prednisone_ceased_codes_no_z79_52():
    found = narrative("HISTORY: 67-year-old postmenopausal woman. Prednisone was ceased last year.",
                      "FINDINGS: Lumbar spine L1-L4 T-score -2.8.")
    assert found.indications == ["67-year-old postmenopausal woman.", "Prednisone was ceased last year."]
    coding = code_findings(found, CodingSettings())
    assert [line.code for line in coding.icd10] == ["M81.0", "Z78.0"]


# --- cues in both directions, through the coder ------------------------------------------------------


@pytest.mark.parametrize("text", [
    # negated
    "no steroid use", "not on prednisone", "denies prednisone use", "Denied steroid use.",
    "no history of steroid use", "negative for steroid use", "without steroid therapy", "free of steroids",
    "never took prednisone", "prednisone ruled out", "steroid use: none", "Prednisone is not taken.",
    "Not currently on steroids.", "not presently taking prednisone",
    # past
    "Prednisone was ceased last year.", "prednisone ceased", "steroids discontinued in 2019",
    "prednisone stopped", "stopped prednisone in 2019", "discontinued prednisone", "ceased prednisone",
    "prednisone no longer taken", "Prednisone is no longer taken.", "no longer on prednisone",
    "Prednisone 7.5 mg daily was ceased", "prednisone has been discontinued", "prednisone held for surgery",
    "prednisone (stopped)", "former prednisone use", "previously on prednisone", "off prednisone since 2021",
    "prednisone tapered off in 2022", "quit prednisone",
    # planned
    "consider prednisone", "plan to start prednisone", "if prednisone is started", "recommend prednisone",
    "prednisone is recommended", "prednisone to be started next month", "candidate for prednisone",
])
def test_cue_voids_the_drug(text):
    assert "Z79.52" not in icd([text])


@pytest.mark.parametrize(("text", "code"), [
    ("on prednisone since 2019", "Z79.52"),
    ("continues alendronate", "Z79.83"),
    ("prednisone 5 mg daily, not tapered", "Z79.52"),
    ("on prednisone without interruption since 2015", "Z79.52"),
    ("history of steroid use, ongoing", "Z79.52"),
    ("no falls, on prednisone", "Z79.52"),
    ("denies smoking but takes prednisone", "Z79.52"),
    ("stopped alendronate; on prednisone", "Z79.52"),
    ("Previously on alendronate, now on letrozole.", "Z79.811"),
    ("Postmenopausal not on hormone therapy", "Z78.0"),
    ("on prednisone and not on alendronate", "Z79.52"),
    ("Mother had osteoporosis, no fractures", "Z82.62"),
])
def test_affirmations_are_still_coded(text, code):
    assert code in icd([text])


@pytest.mark.parametrize("text", [
    "no family history of osteoporosis", "family history of osteoporosis is negative",
    "family history of osteoporosis: denied", "not postmenopausal", "no primary hyperparathyroidism",
    "primary hyperparathyroidism was ruled out",
])
def test_conditions_are_negated_by_the_same_cues(text):
    assert icd([text]) == ["M81.0"]


# --- the impression (use "diagnosis") ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "category"), [
    ("Osteoporosis.", "osteoporosis"),
    ("No osteoporosis.", None),
    ("Osteoporosis is not present. Osteopenia.", "low_bone_mass"),
    ("Low bone mass; increased risk of osteoporosis.", "low_bone_mass"),
    ("Borderline osteoporosis.", None),
    ("No significant change in osteopenia since 2021.", "low_bone_mass"),
    ("Osteopenia of the spine is not significantly changed.", "low_bone_mass"),
    ("Not only osteopenia but osteoporosis of the hip.", "osteoporosis"),
    ("Osteoporosis (L1 excluded).", "osteoporosis"),
])
def test_impression_statements(text, category):
    stated = read_impression(text)
    assert (stated.category.value if stated else None) == category


# --- the narrative reader: menopausal status, VFA, fractures -------------------------------------


@pytest.mark.parametrize(("technique", "performed"), [
    ("TECHNIQUE: DXA with VFA.", True),
    ("TECHNIQUE: VFA was not performed.", False),
    ("TECHNIQUE: VFA was declined.", False),
    ("TECHNIQUE: VFA deferred.", False),
    ("TECHNIQUE: DXA only. Recommend VFA at the next visit.", False),
    ("TECHNIQUE: DXA. VFA is negative for fracture.", True),
])
def test_vfa_is_done_unless_negated_or_only_planned(technique, performed):
    found = narrative(technique, "FINDINGS: Lumbar spine L1-L4 T-score -1.9.")
    assert found.vfa.performed is performed


@pytest.mark.parametrize(("sentence", "fractures"), [
    ("Moderate wedge deformity of T12.", [("T12", 2)]),
    ("No fracture at T11, T12 or L1.", []),
    ("Normal vertebral heights at T12.", []),
    ("Without compression fracture of L1.", []),
    ("T8 is normal, but there is a mild wedge deformity of L2.", [("L2", 1)]),
])
def test_vfa_fractures_skip_negated_statements(sentence, fractures):
    found = narrative("TECHNIQUE: DXA with VFA.", f"FINDINGS: Lumbar spine L1-L4 T-score -1.9. {sentence}")
    assert [(f.vertebra, f.grade) for f in found.vfa.fractures] == fractures


@pytest.mark.parametrize(("history", "status"), [
    ("Postmenopausal woman.", "post"), ("Not postmenopausal.", None), ("Denies being postmenopausal.", None),
])
def test_menopausal_status_unless_negated(history, status):
    found = narrative(f"HISTORY: {history}", "FINDINGS: Lumbar spine L1-L4 T-score -1.0.")
    assert found.patient.menopausal_status == status


# --- the one vocabulary -------------------------------------------------------------------------


def test_every_use_names_known_kinds_and_the_callers_uses_exist():
    kinds = set(VOCABULARY["kinds"])
    for use in VOCABULARY["uses"].values():
        assert set(use["before"]) | set(use["after"]) <= kinds
    assert {"condition", "medication", "diagnosis", "procedure", "fracture"} == set(vocabulary().uses)


def test_no_other_data_file_holds_negation_cues():
    files = [*(ROOT / "dxaparse").rglob("*.toml"), *(ROOT / "vendors").rglob("*.toml")]
    others = [p for p in files if p.name != "negation.toml"]
    assert others
    for path in others:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        tables = [data, *(v for v in data.values() if isinstance(v, dict))]
        assert not any({"negation", "clause_breaks", "medication_before"} & set(t) for t in tables), path


def test_a_comma_piece_bounds_what_a_statement_is_about():
    text = "T8 is normal, mild wedge deformity of L2"
    assert text[slice(*piece_around(text, text.index("L2")))] == " mild wedge deformity of L2"


# --- properties ---------------------------------------------------------------------------------

DRUGS = ["prednisone", "methylprednisolone", "dexamethasone", "alendronate", "risedronate", "zoledronic acid",
         "letrozole", "anastrozole", "tamoxifen", "raloxifene"]
FILLER = ["patient", "reports", "with", "rheumatoid", "arthritis", "for", "RA", "weekly", "mg", "70"]
MEDICATION = VOCABULARY["uses"]["medication"]


def _written(cue: str) -> str:
    """A cue as it appears in text: "before start*" → "before start"."""
    return cue.replace("*", "")


BEFORE = [_written(c) for kind in MEDICATION["before"] for c in VOCABULARY["kinds"][kind]["before"]]
AFTER = [(_written(c), VOCABULARY["kinds"][kind]["after_words"])
         for kind in MEDICATION["after"] for c in VOCABULARY["kinds"][kind]["after"]]
BREAKS = [*VOCABULARY["clauses"]["words"], "."]


def drug_codes(text: str) -> set[str]:
    return {k for k in keys(text) if k not in ("postmenopausal", "screening")}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BEFORE), st.sampled_from(DRUGS), st.lists(st.sampled_from(FILLER), max_size=3))
def test_any_before_cue_voids_any_drug(cue, drug, filler):
    assert drug_codes(f"{' '.join(filler)} {cue} {drug}") == set()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(AFTER), st.sampled_from(DRUGS), st.sampled_from(["", "was", "has been"]),
       st.lists(st.sampled_from(FILLER), max_size=3))
def test_any_after_cue_voids_any_drug_within_its_reach(after, drug, link, filler):
    cue, reach = after
    between = " ".join([*filler[:reach], link])
    assert drug_codes(f"{drug} {between} {cue}") == set()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(BEFORE), st.sampled_from(BREAKS), st.sampled_from(DRUGS))
def test_a_clause_break_ends_a_before_cues_reach(cue, brk, drug):
    assert drug_codes(f"{cue} fractures {brk} on {drug}")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DRUGS), st.lists(st.sampled_from(FILLER), max_size=4),
       st.lists(st.sampled_from(FILLER), max_size=4))
def test_a_drug_without_cues_is_current_use(drug, before, after):
    assert drug_codes(" ".join([*before, "on", drug, *after]))


TOKENS = st.sampled_from([*BEFORE, *(c for c, _ in AFTER), *DRUGS, *FILLER, ",", ".", "or", "but", "was"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_case_and_spacing_change_no_answer(tokens, rnd):
    text = " ".join(tokens)
    mangled = "".join(rnd.choice([" ", "  ", "\t"]) if ch == " " else
                      (ch.upper() if rnd.random() < 0.5 else ch.lower()) for ch in text)
    assert keys(mangled) == keys(text)


def test_first_affirmed_returns_the_words_as_written():
    patterns = tuple(p for entry in indications().entries if entry.medication for p in entry.patterns)
    assert first_affirmed("Stopped alendronate. On PREDNISONE daily.", patterns, "medication") == "PREDNISONE"
