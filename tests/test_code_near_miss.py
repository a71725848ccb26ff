"""A term one letter off a coded one (coding.md §6.8, `unclear_term`): a typo in a report, or one damaged
byte in an SR's free text, never drops a diagnosis code without a word — and ordinary words, exact
terms and negated mentions raise nothing."""

from __future__ import annotations

import pytest

from dxaparse.code import CodingSettings, code_findings
from dxaparse.models import Coding, Findings

WOMAN = {"sex": "F", "age_years": 67}
HIP = [{"site": "total_hip", "side": "left", "t_score": -2.7}]


def coded(indications=(), impression=None, measurements=HIP) -> Coding:
    return code_findings(Findings.model_validate({
        "source": {"path": "x.json", "kind": "findings-json", "sha256": "0" * 64},
        "patient": WOMAN, "exam": {"date": "2025-03-04"}, "measurements": measurements,
        "indications": list(indications), "impression": impression}), CodingSettings())


def codes(coding: Coding) -> list[str]:
    return [line.code for line in coding.icd10]


@pytest.mark.parametrize(("text", "words", "meant"), [
    ("Primary hyperparat(yroidism.", "Primary hyperparat(yroidism", "E21.0"),       # a letter changed
    ("Postmeoopausal.", "Postmeoopausal", "Z78.0"),
    ("Long-term prednisome for polymyalgia.", "prednisome", "Z79.52"),
    ("On alendronte weekly", None, "Z79.83"),                                        # \w* takes any ending
    ("Letrozle since 2021", "Letrozle", "Z79.811"),                                  # a letter left out
    ("Tamoxxifen", "Tamoxxifen", "Z79.810"),                                         # a letter added
])
def test_an_indication_one_letter_off_is_flagged_not_coded(text, words, meant):
    exact = coded([text.replace(words or "", "")]) if words else None
    coding = coded([text])
    if words is None:  # a prefix pattern (alendron\w*) reads the typo exactly: coded, no flag
        assert meant in codes(coding) and not coding.flags
        return
    assert meant not in codes(coding) and exact is not None and meant not in codes(exact)
    (flag,) = [f for f in coding.flags if f.code == "unclear_term"]
    assert f"'{words}'" in flag.message and f"({meant})" in flag.message and coding.needs_review


@pytest.mark.parametrize("text", [
    "Primary hyperparathyroidism.", "Long-term prednisone.", "Postmenopausal.",   # exact: coded, no flag
    "No prednisome use.",                    # negated like the exact term
    "Long-term care, terms agreed",          # short words one letter from 'serm' are no typos
    "Inhaled steroids for asthma",           # the exact term of another entry
    "Osteoporotic fracture of the wrist",
    "Screening",
])
def test_exact_terms_negations_and_ordinary_words_raise_no_flag(text):
    coding = coded([text])
    assert not [f for f in coding.flags if f.code == "unclear_term"], coding.flags


def test_an_impression_one_letter_off_a_more_severe_category_is_flagged():
    """Osteoporosis misspelt beside an exact 'osteopenia': the physician's worse diagnosis would be lost."""
    spine = [{"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
              "t_score": -1.5}]
    coding = coded(["Postmenopausal"], "Osteoporsis of the spine; osteopenia of the hip.", spine)
    assert coding.category == "low_bone_mass"
    (flag,) = [f for f in coding.flags if f.code == "unclear_term"]
    assert "'Osteoporsis'" in flag.message and "osteoporosis" in flag.message
    quiet = coded(["Postmenopausal"], "Osteoporosis of the spine; osteopneia of the hip.", spine)
    assert not [f for f in quiet.flags if f.code == "unclear_term"]  # a milder category changes nothing
