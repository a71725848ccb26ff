"""Review flags (coding.md §6): each cause raises exactly its flag; routine rules raise none."""

from __future__ import annotations

import pytest

from dxaparse.code import CodingSettings, code_findings
from dxaparse.code.flags import CHECKS
from dxaparse.models import Coding, DoubtReason, Findings

POST = {"sex": "F", "age_years": 67, "menopausal_status": "post"}
SPINE = {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "t_score": -2.7}
NECK = {"site": "femoral_neck", "side": "left", "t_score": -1.9, "bmd": 0.71}


def coded(**fields) -> Coding:
    data = {"source": {"path": "t.json", "kind": "findings-json", "sha256": "0"}, "patient": POST,
            "measurements": [SPINE, NECK], "indications": ["postmenopausal"], **fields}
    return code_findings(Findings.model_validate(data), CodingSettings())


def single(v: str, t: float, **kw) -> dict:
    return {"site": "lumbar_spine", "label": v, "vertebrae": [v], "t_score": t, **kw}


# (id, findings fields overriding a clean osteoporosis exam, expected flag codes in order)
CASES = [
    ("clean", {}, []),
    # routine rules of ours: reason only
    ("m85_89_multiple_regions", {"measurements": [{**SPINE, "t_score": -1.4}, NECK]}, []),
    ("woman_over_50_assumed_post", {"patient": {"sex": "F", "age_years": 61}}, []),
    ("radius_33_counted",
     {"measurements": [SPINE, {"site": "radius_33", "side": "left", "t_score": -3.0}]}, []),
    ("lower_hip", {"measurements": [NECK, {**NECK, "side": "right", "t_score": -2.6}]}, []),
    ("indication_codes", {"indications": ["on prednisone", "letrozole", "screening"]}, []),
    ("identical_duplicate_values", {"measurements": [SPINE, NECK, dict(NECK)]}, []),
    ("doubt_on_non_diagnostic_site",
     {"measurements": [SPINE, {"site": "wards", "t_score": -3, "doubt": "x"}]}, []),
    ("doubt_on_excluded_row", {"measurements": [SPINE, {**NECK, "excluded": True, "doubt": "blurred"}]}, []),
    # §6.1
    ("no_scores", {"measurements": [], "exam": {"scans": ["spine"]}}, ["no_usable_score"]),
    ("unknown_sex", {"patient": {"age_years": 70}}, ["no_usable_score"]),
    ("unknown_age", {"patient": {"sex": "M"}}, ["no_usable_score"]),
    ("woman_45_status_unknown", {"patient": {"sex": "F", "age_years": 45}}, ["no_usable_score"]),
    # §6.2
    ("total_body_alone", {"measurements": [{"site": "total_body", "t_score": -0.4}]},
     ["no_usable_score", "no_billable_study"]),
    ("unrecognized_scan", {"exam": {"unrecognized": ["Left Ortho Knee"]}}, ["unknown_scan_or_site"]),
    ("site_label_unrecognized", {"exam": {"unrecognized": ["Arm"]},
                                 "measurements": [SPINE, {"site": "other", "label": "Arm", "t_score": -1}]},
     ["unknown_scan_or_site"]),
    ("known_region_site_other", {"measurements": [SPINE, {"site": "other", "label": "Ulna MID",
                                                          "t_score": -1}]}, []),
    # §6.3
    ("vfa_fracture_not_acute", {"vfa": {"performed": True, "fractures": [{"vertebra": "T12", "grade": 2}]}},
     ["vfa_fracture_not_acute"]),
    ("vfa_fracture_acute",
     {"vfa": {"performed": True, "fractures": [{"vertebra": "T12", "acute": True}]}}, []),
    # §6.4
    ("z13_820_alone", {"measurements": [{**SPINE, "t_score": 0.2}], "indications": []},
     ["screening_code_alone"]),
    # §6.5
    ("below_expected", {"patient": {"sex": "M", "age_years": 40},
                        "measurements": [{**SPINE, "z_score": -2.2}]}, ["below_expected_range"]),
    # §6.6
    ("impression_disagrees", {"impression": "Osteopenia."}, ["impression_disagrees"]),
    # §6.7
    ("vertebral_jump_unresolved",
     {"measurements": [single("L1", -2.0), single("L2", -2.1), single("L3", -0.5), single("L4", -2.2),
                       SPINE, NECK]}, ["vertebra_exclusion_unresolved"]),
    ("vertebral_jump_resolved_by_range",
     {"measurements": [single("L1", -2.0), single("L2", -2.1), single("L3", -0.5), single("L4", -2.2),
                       SPINE, {**SPINE, "label": "L1-L2,L4", "vertebrae": ["L1", "L2", "L4"]}, NECK]}, []),
    # §6.8
    ("ocr_doubt", {"measurements": [SPINE, {**NECK, "ocr": True, "doubt": "decimal point unclear"}]},
     ["value_doubt"]),
    ("ocr_without_doubt", {"measurements": [SPINE, {**NECK, "ocr": True}]}, []),
    ("exam_doubt", {"exam": {"doubts": [{"field": "exam.date", "reason": "ocr_uncertain",
                                         "detail": "exam date read by OCR: unsure reading"}]}},
     ["value_doubt"]),
    # not a coding question: billing holds the claim (issue 14)
    ("patient_mismatch", {"exam": {"doubts": [{"field": "patient.id", "reason": "patient_mismatch",
                                               "detail": "the DICOM header says patient ID 'A' but the page "
                                                         "prints 'B'"}]}}, []),
    ("date_mismatch", {"exam": {"doubts": [{"field": "exam.date", "reason": "date_mismatch",
                                            "detail": "the objects give different study dates"}]}}, []),
    ("conflicting_values", {"measurements": [SPINE, NECK, {**NECK, "t_score": -2.9}]},
     ["conflicting_values"]),
    ("implausible_t", {"measurements": [SPINE, {**NECK, "t_score": -19.0}]}, ["implausible_value"]),
    ("implausible_bmd", {"measurements": [SPINE, {**NECK, "bmd": 7.1}]}, ["implausible_value"]),
    ("implausible_only_score", {"measurements": [{**SPINE, "t_score": 27.0}]},
     ["no_usable_score", "implausible_value"]),
    # issue 15: TBS and FRAX are range-checked like the scores
    ("implausible_tbs_negative", {"tbs": {"value": -7.0}}, ["implausible_value"]),
    ("implausible_tbs_lost_decimal", {"tbs": {"value": 121.0}}, ["implausible_value"]),
    ("plausible_tbs", {"tbs": {"value": 1.21}}, []),
    ("implausible_frax_major", {"frax": {"major": 250.0, "hip": 3.1}}, ["implausible_value"]),
    ("implausible_frax_hip", {"frax": {"major": 18.0, "hip": -1.0}}, ["implausible_value"]),
    ("plausible_frax_limits", {"frax": {"major": 100.0, "hip": 0.0}}, []),
    # issue 15: a reader that found its input damaged says so; the coding is flagged for it alone
    ("damaged_input", {"exam": {"doubts": [{"field": "source", "reason": "damaged",
                                            "detail": "damaged PDF: page 1 content stream"}]}},
     ["damaged_input"]),
    ("damaged_and_doubt", {"exam": {"doubts": [
        {"field": "source", "reason": "damaged", "detail": "damaged DICOM: unknown VR 'QH'"},
        {"field": "exam.date", "reason": "ocr_uncertain", "detail": "exam date read by OCR"}]}},
     ["value_doubt", "damaged_input"]),
    # several causes at once, listed in §6 order
    ("several_in_order", {"patient": {"age_years": 70}, "impression": "Normal.",
                          "exam": {"unrecognized": ["Knee"]},
                          "measurements": [{"site": "total_body", "t_score": -1, "doubt": "x"},
                                           {**NECK, "doubt": "?"}]},
     ["no_usable_score", "unknown_scan_or_site", "value_doubt"]),
]


@pytest.mark.parametrize(("fields", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_flags_exactly(fields, expected):
    coding = coded(**fields)
    assert [f.code for f in coding.flags] == expected
    assert coding.needs_review is bool(expected)


@pytest.mark.parametrize("reason", list(DoubtReason))
def test_every_exam_doubt_but_a_patient_or_date_mismatch_asks_for_review(reason):
    """The contract the billing stage codes against: mismatches are its holds, everything else is §6.8
    (damage with a flag of its own, so that a person knows to ask for the input again)."""
    doubt = {"field": "x", "reason": reason, "detail": "what the reader doubts"}
    coding = coded(exam={"doubts": [doubt]})
    identity = reason in (DoubtReason.PATIENT_MISMATCH, DoubtReason.DATE_MISMATCH)
    expected = [] if identity else ["damaged_input"] if reason is DoubtReason.DAMAGED else ["value_doubt"]
    assert [f.code for f in coding.flags] == expected
    assert all("what the reader doubts" in f.message for f in coding.flags)


def test_every_flag_says_what_to_check():
    coding = coded(patient={"age_years": 70}, exam={"unrecognized": ["Knee"], "scans": ["total_body"]},
                   measurements=[{**NECK, "doubt": "?"}, {**NECK, "t_score": -3.0}, {**SPINE, "bmd": 9.0}],
                   vfa={"performed": True, "fractures": [{"vertebra": "T12"}]},
                   impression="Normal bone density.")
    assert len(coding.flags) >= 5
    for f in coding.flags:
        assert f.code in CHECKS and f.message.endswith(".") and CHECKS[f.code] in f.message


def test_flag_keys_are_short_and_stable():
    assert list(CHECKS) == [
        "no_usable_score", "no_billable_study", "unknown_scan_or_site", "vfa_fracture_not_acute",
        "screening_code_alone", "below_expected_range", "impression_disagrees",
        "vertebra_exclusion_unresolved", "value_doubt", "conflicting_values", "implausible_value",
        "unclear_term", "damaged_input"]
