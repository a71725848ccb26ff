"""ICD-10-CM lines (coding.md §3): finding code by category and site, VFA fractures, indications with
negation, claim order, Z13.820, and the physician's impression."""

from __future__ import annotations

import pytest

from dxaparse.code import CodingSettings, code_findings
from dxaparse.models import Coding, Findings

POST = {"sex": "F", "age_years": 67, "menopausal_status": "post"}
PRE = {"sex": "F", "age_years": 35, "menopausal_status": "pre"}


def coded(measurements=(), patient=None, **rest) -> Coding:
    data = {"source": {"path": "t.json", "kind": "findings-json", "sha256": "0"},
            "patient": POST if patient is None else patient, "measurements": list(measurements), **rest}
    return code_findings(Findings.model_validate(data), CodingSettings())


def codes(coding: Coding) -> list[str]:
    return [line.code for line in coding.icd10]


def flags(coding: Coding) -> list[str]:
    return [f.code for f in coding.flags]


def site(name: str, t: float | None = None, side: str | None = None, z: float | None = None) -> dict:
    return {"site": name, "side": side, "t_score": t, "z_score": z}


def spine(t: float | None = None, z: float | None = None) -> dict:
    return {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
            "t_score": t, "z_score": z}


NORMAL = [spine(-0.2), site("total_hip", 0.1, "left")]
OSTEO = [spine(-2.8), site("total_hip", -1.9, "left")]
VFA_ACUTE = {"performed": True, "fractures": [{"vertebra": "L1", "grade": 2, "acute": True}]}
VFA_OLD = {"performed": True, "fractures": [{"vertebra": "T12", "grade": 2, "acute": False}]}
VFA_UNKNOWN = {"performed": True, "fractures": [{"vertebra": "T11", "grade": 1, "acute": None}]}

# (id, measurements, patient, finding code(s) expected as the whole icd10 list)
FINDINGS = [
    ("osteoporosis_m81_0", OSTEO, None, ["M81.0"]),
    ("low_left_hip", [spine(-0.5), site("femoral_neck", -1.8, "left")], None, ["M85.852"]),
    ("low_right_hip", [spine(-0.5), site("total_hip", -1.3, "right")], None, ["M85.851"]),
    ("low_hip_side_unknown", [site("total_hip", -1.3)], None, ["M85.859"]),
    ("low_spine", [spine(-1.5), site("total_hip", -0.6, "left")], None, ["M85.88"]),
    ("low_left_forearm", [spine(-0.4), site("radius_33", -1.7, "left")], None, ["M85.832"]),
    ("low_right_forearm", [site("radius_33", -1.7, "right")], None, ["M85.831"]),
    ("low_forearm_side_unknown", [site("radius_33", -1.7)], None, ["M85.839"]),
    ("low_two_regions_m85_89", [spine(-1.5), site("femoral_neck", -1.8, "left")], None, ["M85.89"]),
    ("low_both_hips_one_region", [site("femoral_neck", -1.5, "left"), site("femoral_neck", -1.2, "right")],
     None, ["M85.852"]),
    ("low_spine_and_forearm", [spine(-1.2), site("radius_33", -2.0, "left"), site("total_hip", 0.0, "left")],
     None, ["M85.89"]),
    ("below_expected_by_site", [site("femoral_neck", -2.9, "left", z=-2.3), spine(-1.0, -0.6)], PRE,
     ["M85.852"]),
    ("below_expected_spine", [spine(-3.0, -2.4)], {"sex": "M", "age_years": 30}, ["M85.88"]),
    ("below_expected_two_regions", [spine(-3.0, -2.4), site("total_hip", -2.5, "left", z=-2.1)], PRE,
     ["M85.89"]),
]


@pytest.mark.parametrize(("measurements", "patient", "expected"), [c[1:] for c in FINDINGS],
                         ids=[c[0] for c in FINDINGS])
def test_finding_code(measurements, patient, expected):
    coding = coded(measurements, patient, indications=[])
    assert codes(coding) == expected
    assert "M85.80" not in codes(coding)


def test_below_expected_range_is_flagged():
    coding = coded([site("femoral_neck", -2.9, "left", z=-2.3)], PRE)
    assert coding.category == "below_expected_range_for_age"
    assert flags(coding) == ["below_expected_range"]


def test_low_bone_mass_site_rules_are_reason_only():
    coding = coded([spine(-1.5), site("femoral_neck", -1.8, "left")], indications=["postmenopausal"])
    assert codes(coding) == ["M85.89", "Z78.0"] and flags(coding) == []
    assert "more than one region" in coding.icd10[0].reason and "rule of ours" in coding.icd10[0].reason


@pytest.mark.parametrize("impression", [
    "Glucocorticoid-induced osteoporosis.", "Steroid-induced osteoporosis of the spine.",
    "Idiopathic osteoporosis.", "Disuse osteoporosis.", "Post-oophorectomy osteoporosis.",
    "Osteoporosis due to long-term prednisone.",
])
def test_documented_other_osteoporosis_is_m81_8(impression):
    assert codes(coded(OSTEO, impression=impression))[0] == "M81.8"


def test_steroid_use_alone_does_not_make_m81_8():
    assert codes(coded(OSTEO, indications=["on prednisone 10 mg daily"])) == ["M81.0", "Z79.52"]


# --- VFA fractures -------------------------------------------------------------------------------


@pytest.mark.parametrize(("measurements", "category"), [(OSTEO, "osteoporosis"),
                                                       ([spine(-1.4)], "low_bone_mass"),
                                                       (NORMAL, "normal")])
def test_acute_vfa_fracture_m80_first_category_by_numbers(measurements, category):
    coding = coded(measurements, vfa=VFA_ACUTE, indications=["postmenopausal"])
    assert coding.category == category
    assert codes(coding) == ["M80.08XA", "Z78.0"]
    assert not {"M81.0", "M81.8"} & set(codes(coding))
    assert flags(coding) == []


@pytest.mark.parametrize("vfa", [VFA_OLD, VFA_UNKNOWN], ids=["acute_false", "acute_unknown"])
def test_non_acute_vfa_fracture_adds_z87_310_and_flags(vfa):
    coding = coded(OSTEO, vfa=vfa)
    assert codes(coding) == ["M81.0", "Z87.310"]
    assert flags(coding) == ["vfa_fracture_not_acute"]


def test_a_fracture_whose_vertebra_is_not_named_is_coded_and_said_so():
    vfa = {"performed": True, "fractures": [{"vertebra": None, "grade": 2, "acute": True}]}
    coding = coded(OSTEO, vfa=vfa)
    assert codes(coding) == ["M80.08XA"]
    assert "vertebra not named grade 2" in coding.icd10[0].reason


def test_acute_and_old_fracture_together():
    vfa = {"performed": True, "fractures": [*VFA_ACUTE["fractures"], *VFA_OLD["fractures"]]}
    coding = coded(OSTEO, vfa=vfa)
    assert codes(coding) == ["M80.08XA", "Z87.310"] and flags(coding) == ["vfa_fracture_not_acute"]


def test_grade_0_is_not_a_fracture():
    vfa = {"performed": True, "fractures": [{"vertebra": "T12", "grade": 0, "acute": None}]}
    coding = coded(OSTEO, vfa=vfa)
    assert codes(coding) == ["M81.0"] and flags(coding) == []


def test_vfa_history_and_indication_history_share_one_z87_310():
    coding = coded(OSTEO, vfa=VFA_OLD, indications=["history_fragility_fracture"])
    assert codes(coding) == ["M81.0", "Z87.310"]
    reason = coding.icd10[1].reason
    assert "VFA shows a fracture" in reason and "history_fragility_fracture" in reason


# --- indications ----------------------------------------------------------------------------------

# (indication text or key, the codes it must give; [] when negated / not an indication)
INDICATIONS = [
    ("postmenopausal", ["Z78.0"]),
    ("Postmenopausal woman, routine follow-up", ["Z78.0"]),
    ("post-menopausal", ["Z78.0"]),
    ("premenopausal", []),
    ("glucocorticoids", ["Z79.52"]),
    ("on prednisone 10 mg daily", ["Z79.52"]),
    ("long-term oral steroids for RA", ["Z79.52"]),
    ("methylprednisolone", ["Z79.52"]),
    ("no steroid use", []),
    ("Denies steroid use.", []),
    ("stopped prednisone in 2019", []),
    ("prednisone discontinued", []),
    ("inhaled steroids for asthma", ["Z79.51"]),
    ("inhaled_steroids", ["Z79.51"]),
    ("bisphosphonate", ["Z79.83"]),
    ("alendronate 70 mg weekly", ["Z79.83"]),
    ("risedronate", ["Z79.83"]),
    ("ibandronate monthly", ["Z79.83"]),
    ("zoledronic acid yearly", ["Z79.83"]),
    ("consider alendronate", []),
    ("off alendronate since 2021", []),
    ("aromatase_inhibitor", ["Z79.811"]),
    ("taking letrozole", ["Z79.811"]),
    ("anastrozole for breast cancer", ["Z79.811"]),
    ("exemestane", ["Z79.811"]),
    ("baseline prior to starting anastrozole", []),
    ("serm", ["Z79.810"]),
    ("tamoxifen", ["Z79.810"]),
    ("raloxifene 60 mg", ["Z79.810"]),
    ("other_estrogen_agent", ["Z79.818"]),
    ("family_history_osteoporosis", ["Z82.62"]),
    ("family history of osteoporosis (mother)", ["Z82.62"]),
    ("Mother had osteoporosis", ["Z82.62"]),
    ("denies family history of osteoporosis", []),
    ("no family history of osteoporosis", []),
    ("primary_hyperparathyroidism", ["E21.0"]),
    ("primary hyperparathyroidism", ["E21.0"]),
    ("no primary hyperparathyroidism", []),
    ("hyperparathyroidism", []),
    ("screening", ["Z13.820"]),
    ("osteoporosis screening", ["Z13.820"]),
    ("history_fragility_fracture", ["Z87.310"]),
    ("prior fragility fracture of the wrist", ["Z87.310"]),
    ("no prior fragility fracture", []),
    ("no steroid, bisphosphonate or estrogen use", []),
    ("no steroids, on alendronate", ["Z79.83"]),
    ("No falls. On prednisone.", ["Z79.52"]),
    ("not on hormone therapy but takes tamoxifen", ["Z79.810"]),
    ("on prednisone and inhaled steroids", ["Z79.52", "Z79.51"]),
]


@pytest.mark.parametrize(("text", "expected"), INDICATIONS, ids=[t for t, _ in INDICATIONS])
def test_indication_recognised(text, expected):
    coding = coded(OSTEO, indications=[text])
    assert codes(coding)[0] == "M81.0"
    assert codes(coding)[1:] == expected
    for line in coding.icd10[1:]:
        assert line.reason


def test_indications_from_the_impression():
    coding = coded(OSTEO, impression="Postmenopausal woman on letrozole with osteoporosis. "
                                     "Recommend starting alendronate.")
    assert codes(coding) == ["M81.0", "Z78.0", "Z79.811"]


def test_claim_order_finding_then_indications_z13_820_last():
    coding = coded(OSTEO, indications=["screening", "taking letrozole", "postmenopausal",
                                       "family_history_osteoporosis"])
    assert codes(coding) == ["M81.0", "Z78.0", "Z79.811", "Z82.62", "Z13.820"]


def test_each_code_once():
    coding = coded(OSTEO, indications=["postmenopausal", "Postmenopausal", "post-menopausal woman"])
    assert codes(coding) == ["M81.0", "Z78.0"]


# --- normal results and Z13.820 --------------------------------------------------------------------


def test_normal_without_indication_is_z13_820_alone_and_flagged():
    coding = coded(NORMAL)
    assert codes(coding) == ["Z13.820"] and flags(coding) == ["screening_code_alone"]
    assert "normal" in coding.icd10[0].reason


def test_within_expected_without_indication_is_z13_820_alone_and_flagged():
    coding = coded([spine(-0.8, -0.5)], PRE)
    assert coding.category == "within_expected_range_for_age"
    assert codes(coding) == ["Z13.820"] and flags(coding) == ["screening_code_alone"]


def test_normal_with_indication_has_no_finding_code():
    coding = coded(NORMAL, indications=["postmenopausal", "screening"])
    assert codes(coding) == ["Z78.0", "Z13.820"] and flags(coding) == []
    assert "no finding code" in coding.icd10[0].reason


def test_normal_with_screening_only_is_still_alone_and_flagged():
    coding = coded(NORMAL, indications=["screening"])
    assert codes(coding) == ["Z13.820"] and flags(coding) == ["screening_code_alone"]


def test_osteoporosis_with_screening_keeps_z13_820_after():
    assert codes(coded(OSTEO, indications=["screening"])) == ["M81.0", "Z13.820"]


# --- the physician's impression -----------------------------------------------------------------


@pytest.mark.parametrize(("measurements", "impression", "category", "first", "flagged"), [
    pytest.param([site("femoral_neck", -1.8, "left")], "Osteoporosis.", "osteoporosis", "M81.0", True,
                 id="says_osteoporosis_numbers_low"),
    pytest.param(OSTEO, "Osteopenia of the spine.", "low_bone_mass", "M85.89", True,
                 id="says_osteopenia_numbers_osteoporosis"),
    pytest.param(OSTEO, "Normal bone density.", "normal", "Z13.820", True,
                 id="says_normal_numbers_osteoporosis"),
    pytest.param(OSTEO, "Osteoporosis of the lumbar spine.", "osteoporosis", "M81.0", False, id="agrees"),
    pytest.param([spine(-1.5)], "No evidence of osteoporosis. Osteopenia.", "low_bone_mass", "M85.88", False,
                 id="negated_osteoporosis"),
    pytest.param(NORMAL, "Rule out osteoporosis: bone density is within normal limits.", "normal", "Z13.820",
                 False, id="rule_out"),
    pytest.param([spine(-1.5)], "Low bone mass. Increased risk of osteoporosis.", "low_bone_mass", "M85.88",
                 False, id="risk_of_osteoporosis"),
    pytest.param([spine(-1.5, -1.0)], "BMD is normal.", "normal", "Z13.820", True,
                 id="says_normal_numbers_low"),
])
def test_impression_outranks_numbers(measurements, impression, category, first, flagged):
    coding = coded(measurements, impression=impression)
    assert coding.category == category
    assert codes(coding)[0] == first
    assert ("impression_disagrees" in flags(coding)) is flagged
    assert coding.basis is not None


def test_impression_normal_and_within_expected_agree():
    coding = coded([spine(-0.9, -0.4)], PRE, impression="Normal bone density.", indications=["screening"])
    assert coding.category == "within_expected_range_for_age" and "impression_disagrees" not in flags(coding)


def test_impression_coded_when_numbers_give_no_category():
    coding = coded([], impression="Osteoporosis.", exam={"scans": ["spine"]})
    assert coding.category == "indeterminate" and coding.basis is None
    assert codes(coding) == ["M81.0"] and flags(coding) == ["no_usable_score"]


def test_indeterminate_without_impression_or_indication_has_no_icd():
    coding = coded([], exam={"scans": ["hip"]})
    assert codes(coding) == [] and flags(coding) == ["no_usable_score"]
