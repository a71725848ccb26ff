"""Diagnostic category and basis (coding.md §2): boundaries, sites, sides, vertebral exclusion, groups."""

from __future__ import annotations

import pytest

from dxaparse.code import CodingSettings, code_findings
from dxaparse.models import Coding, Findings

POST = {"sex": "F", "age_years": 67, "menopausal_status": "post"}


def coded(patient: dict | None = None, measurements: list | None = None, **rest) -> Coding:
    data = {
        "source": {"path": "t.json", "kind": "findings-json", "sha256": "0"},
        "patient": POST if patient is None else patient,
        "measurements": measurements or [],
        **rest,
    }
    return code_findings(Findings.model_validate(data), CodingSettings())


def m(
    site: str,
    t: float | None = None,
    z: float | None = None,
    side: str | None = None,
    label: str = "",
    vertebrae: tuple[str, ...] = (),
    **kw,
) -> dict:
    return {
        "site": site,
        "t_score": t,
        "z_score": z,
        "side": side,
        "label": label,
        "vertebrae": list(vertebrae),
        **kw,
    }


def spine(label: str, t: float | None = None, z: float | None = None, **kw) -> dict:
    """A spine row; vertebrae from the label (L1-L4, L1-L2,L4, L3)."""
    vert = []
    for part in label.split(","):
        a, _, b = part.partition("-")
        vert += [f"L{i}" for i in range(int(a[1]), int((b or a)[1]) + 1)]
    return m("lumbar_spine", t, z, label=label, vertebrae=tuple(vert), **kw)


SINGLES_L3_HIGH = [spine("L1", -1.0), spine("L2", -1.1), spine("L3", 0.6), spine("L4", -1.2)]

# (id, patient, measurements, category, basis as (score, site, side, label, value) or None)
CASES = [
    # WHO boundaries: -1.0 is normal, -2.5 is osteoporosis
    (
        "t_-1.0_normal",
        None,
        [m("total_hip", -1.0, side="left")],
        "normal",
        ("t", "total_hip", "left", "total hip", -1.0),
    ),
    (
        "t_-0.9_normal",
        None,
        [m("total_hip", -0.9, side="left")],
        "normal",
        ("t", "total_hip", "left", "total hip", -0.9),
    ),
    (
        "t_-1.05_low",
        None,
        [m("total_hip", -1.05, side="left")],
        "low_bone_mass",
        ("t", "total_hip", "left", "total hip", -1.05),
    ),
    (
        "t_-1.1_low",
        None,
        [m("femoral_neck", -1.1, side="right")],
        "low_bone_mass",
        ("t", "femoral_neck", "right", "femoral neck", -1.1),
    ),
    (
        "t_-2.45_low",
        None,
        [m("femoral_neck", -2.45, side="right")],
        "low_bone_mass",
        ("t", "femoral_neck", "right", "femoral neck", -2.45),
    ),
    (
        "t_-2.5_osteoporosis",
        None,
        [m("femoral_neck", -2.5, side="right")],
        "osteoporosis",
        ("t", "femoral_neck", "right", "femoral neck", -2.5),
    ),
    (
        "t_-3.2_osteoporosis",
        None,
        [spine("L1-L4", -3.2)],
        "osteoporosis",
        ("t", "lumbar_spine", None, "L1-L4", -3.2),
    ),
    # sites that never decide
    (
        "wards_lowest_ignored",
        None,
        [m("femoral_neck", -1.5, side="left", label="Neck"), m("wards", -3.0, side="left", label="Wards")],
        "low_bone_mass",
        ("t", "femoral_neck", "left", "Neck", -1.5),
    ),
    (
        "trochanter_ignored",
        None,
        [m("trochanter", -2.8, side="left"), m("femoral_neck", -0.4, side="left")],
        "normal",
        ("t", "femoral_neck", "left", "femoral neck", -0.4),
    ),
    (
        "non_diagnostic_sites_ignored",
        None,
        [
            m("total_body", -3.1),
            m("radius_ud", -3.0, side="left"),
            m("ulna_33", -2.9, side="left"),
            m("intertrochanter", -2.7, side="left"),
            m("femoral_shaft", -2.7, side="left"),
            m("calcaneus", -2.6),
            m("forearm_total", -2.6, side="left"),
            m("radius_total", -2.6, side="left"),
            m("radius_mid", -2.6, side="left"),
            m("total_hip", -0.5, side="left"),
        ],
        "normal",
        ("t", "total_hip", "left", "total hip", -0.5),
    ),
    # hips: lower of left and right decides; mean never
    (
        "both_hips_lower_right",
        None,
        [m("femoral_neck", -1.2, side="left"), m("femoral_neck", -2.6, side="right")],
        "osteoporosis",
        ("t", "femoral_neck", "right", "femoral neck", -2.6),
    ),
    (
        "both_hips_lower_left",
        None,
        [m("total_hip", -1.9, side="left"), m("total_hip", -1.3, side="right")],
        "low_bone_mass",
        ("t", "total_hip", "left", "total hip", -1.9),
    ),
    (
        "mean_hip_never",
        None,
        [
            m("total_hip", -2.7, side="mean"),
            m("total_hip", -2.0, side="left"),
            m("total_hip", -2.2, side="right"),
        ],
        "low_bone_mass",
        ("t", "total_hip", "right", "total hip", -2.2),
    ),
    (
        "hip_side_unknown",
        None,
        [m("total_hip", -1.6)],
        "low_bone_mass",
        ("t", "total_hip", None, "total hip", -1.6),
    ),
    # 33% radius takes part when measured
    (
        "radius_33_lowest",
        None,
        [
            spine("L1-L4", -1.5),
            m("total_hip", -1.2, side="left"),
            m("radius_33", -2.6, side="left", label="1/3"),
        ],
        "osteoporosis",
        ("t", "radius_33", "left", "1/3", -2.6),
    ),
    (
        "radius_33_not_lowest",
        None,
        [spine("L1-L4", -2.7), m("radius_33", -1.0, side="left")],
        "osteoporosis",
        ("t", "lumbar_spine", None, "L1-L4", -2.7),
    ),
    # spine ranges and vertebral exclusion
    (
        "only_l1_l4_total",
        None,
        [spine("L1-L4", -1.4), m("femoral_neck", -0.2, side="left")],
        "low_bone_mass",
        ("t", "lumbar_spine", None, "L1-L4", -1.4),
    ),
    (
        "several_ranges_use_full",
        None,
        [
            spine("L1", -1.0),
            spine("L2", -1.3),
            spine("L3", -1.8),
            spine("L4", -2.6),
            spine("L1-L4", -1.2),
            spine("L2-L4", -1.6),
            spine("L3-L4", -2.6),
        ],
        "low_bone_mass",
        ("t", "lumbar_spine", None, "L1-L4", -1.2),
    ),
    (
        "jump_uses_printed_range",
        None,
        [
            *SINGLES_L3_HIGH,
            spine("L1-L4", -0.7),
            spine("L1-L2,L4", -1.1),
            spine("L1-L2", -1.05),
            spine("L2-L4", -0.6),
            m("total_hip", -0.5, side="left"),
        ],
        "low_bone_mass",
        ("t", "lumbar_spine", None, "L1-L2,L4", -1.1),
    ),
    (
        "jump_end_vertebra",
        None,
        [
            spine("L1", 0.5),
            spine("L2", -1.0),
            spine("L3", -1.2),
            spine("L4", -1.1),
            spine("L1-L4", -0.7),
            spine("L2-L4", -1.1),
            m("total_hip", -0.5, side="left"),
        ],
        "low_bone_mass",
        ("t", "lumbar_spine", None, "L2-L4", -1.1),
    ),
    (
        "jump_without_range_falls_back",
        None,
        [*SINGLES_L3_HIGH, spine("L1-L4", -0.7), m("femoral_neck", -1.3, side="left")],
        "low_bone_mass",
        ("t", "femoral_neck", "left", "femoral neck", -1.3),
    ),
    (
        "excluded_vertebra_with_range",
        None,
        [
            spine("L1", -2.9, excluded=True),
            spine("L2", -1.8),
            spine("L3", -2.0),
            spine("L4", -2.1),
            spine("L1-L4", -2.6),
            spine("L2-L4", -2.0),
            m("total_hip", -1.0, side="left"),
        ],
        "low_bone_mass",
        ("t", "lumbar_spine", None, "L2-L4", -2.0),
    ),
    (
        "excluded_vertebra_without_range",
        None,
        [spine("L1", -2.9, excluded=True), spine("L1-L4", -2.7), m("total_hip", -1.4, side="left")],
        "low_bone_mass",
        ("t", "total_hip", "left", "total hip", -1.4),
    ),
    (
        "excluded_range_never_counts",
        None,
        [spine("L1-L4", -2.8, excluded=True), spine("L2-L4", -1.9), m("total_hip", -0.3, side="left")],
        "low_bone_mass",
        ("t", "lumbar_spine", None, "L2-L4", -1.9),
    ),
    (
        "excluded_hip_never_counts",
        None,
        [m("femoral_neck", -3.0, side="left", excluded=True), m("total_hip", -0.3, side="left")],
        "normal",
        ("t", "total_hip", "left", "total hip", -0.3),
    ),
    (
        "single_vertebra_never_decides",
        None,
        [spine("L3", -2.7), m("femoral_neck", -1.5, side="left")],
        "low_bone_mass",
        ("t", "femoral_neck", "left", "femoral neck", -1.5),
    ),
    (
        "implausible_score_not_used",
        None,
        [m("femoral_neck", -25.0, side="left"), m("total_hip", -1.2, side="left")],
        "low_bone_mass",
        ("t", "total_hip", "left", "total hip", -1.2),
    ),
    # Z-score groups
    (
        "premenopausal_z_-2.0_below",
        {"sex": "F", "age_years": 35, "menopausal_status": "pre"},
        [m("femoral_neck", -2.9, -2.0, side="left")],
        "below_expected_range_for_age",
        ("z", "femoral_neck", "left", "femoral neck", -2.0),
    ),
    (
        "premenopausal_z_-1.9_within",
        {"sex": "F", "age_years": 35, "menopausal_status": "pre"},
        [m("femoral_neck", -2.8, -1.9, side="left")],
        "within_expected_range_for_age",
        ("z", "femoral_neck", "left", "femoral neck", -1.9),
    ),
    (
        "premenopausal_at_52_still_z",
        {"sex": "F", "age_years": 52, "menopausal_status": "pre"},
        [m("total_hip", -2.6, -1.0, side="left")],
        "within_expected_range_for_age",
        ("z", "total_hip", "left", "total hip", -1.0),
    ),
    (
        "man_49_z",
        {"sex": "M", "age_years": 49},
        [spine("L1-L4", -2.6, -2.1)],
        "below_expected_range_for_age",
        ("z", "lumbar_spine", None, "L1-L4", -2.1),
    ),
    (
        "man_50_t",
        {"sex": "M", "age_years": 50},
        [spine("L1-L4", -2.6, -2.1)],
        "osteoporosis",
        ("t", "lumbar_spine", None, "L1-L4", -2.6),
    ),
    (
        "man_72_t_low",
        {"sex": "M", "age_years": 72},
        [m("total_hip", -1.5, 0.2, side="right")],
        "low_bone_mass",
        ("t", "total_hip", "right", "total hip", -1.5),
    ),
    (
        "child_12_z",
        {"sex": "F", "age_years": 12},
        [spine("L1-L4", None, -2.3)],
        "below_expected_range_for_age",
        ("z", "lumbar_spine", None, "L1-L4", -2.3),
    ),
    (
        "child_19_postmenopausal_still_z",
        {"sex": "F", "age_years": 19.5, "menopausal_status": "post"},
        [spine("L1-L4", -2.7, -1.5)],
        "within_expected_range_for_age",
        ("z", "lumbar_spine", None, "L1-L4", -1.5),
    ),
    (
        "boy_15_z_within",
        {"sex": "M", "age_years": 15},
        [spine("L1-L4", None, -1.0)],
        "within_expected_range_for_age",
        ("z", "lumbar_spine", None, "L1-L4", -1.0),
    ),
    # unknown menopausal status (rule of ours)
    (
        "unknown_status_35_z",
        {"sex": "F", "age_years": 35},
        [m("total_hip", -2.6, -2.1, side="left")],
        "below_expected_range_for_age",
        ("z", "total_hip", "left", "total hip", -2.1),
    ),
    (
        "unknown_status_39.9_z",
        {"sex": "F", "age_years": 39.9},
        [m("total_hip", -2.6, -1.1, side="left")],
        "within_expected_range_for_age",
        ("z", "total_hip", "left", "total hip", -1.1),
    ),
    (
        "unknown_status_45_indeterminate",
        {"sex": "F", "age_years": 45},
        [m("total_hip", -2.6, -1.1, side="left")],
        "indeterminate",
        None,
    ),
    (
        "unknown_status_40_indeterminate",
        {"sex": "F", "age_years": 40},
        [m("total_hip", -2.6, -1.1, side="left")],
        "indeterminate",
        None,
    ),
    (
        "unknown_status_55_t",
        {"sex": "F", "age_years": 55},
        [m("total_hip", -2.6, -1.1, side="left")],
        "osteoporosis",
        ("t", "total_hip", "left", "total hip", -2.6),
    ),
    (
        "unknown_status_50_t",
        {"sex": "F", "age_years": 50},
        [m("total_hip", -1.6, -1.1, side="left")],
        "low_bone_mass",
        ("t", "total_hip", "left", "total hip", -1.6),
    ),
    (
        "perimenopausal_t",
        {"sex": "F", "age_years": 47, "menopausal_status": "peri"},
        [m("total_hip", -1.6, -1.1, side="left")],
        "low_bone_mass",
        ("t", "total_hip", "left", "total hip", -1.6),
    ),
    # unknown sex or age
    ("unknown_sex", {"age_years": 67}, [m("total_hip", -2.6, side="left")], "indeterminate", None),
    ("sex_other", {"sex": "O", "age_years": 67}, [m("total_hip", -2.6, side="left")], "indeterminate", None),
    (
        "unknown_age",
        {"sex": "F", "menopausal_status": "post"},
        [m("total_hip", -2.6, side="left")],
        "indeterminate",
        None,
    ),
    # no usable score
    ("no_scores", None, [], "indeterminate", None),
    ("only_z_for_t_group", None, [m("total_hip", None, -2.5, side="left")], "indeterminate", None),
    (
        "only_non_diagnostic",
        None,
        [m("wards", -3.0, side="left"), m("total_body", -2.0)],
        "indeterminate",
        None,
    ),
]


@pytest.mark.parametrize(
    ("patient", "measurements", "category", "basis"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_category_and_basis(patient, measurements, category, basis):
    coding = coded(patient, measurements)
    assert coding.category == category
    got = coding.basis
    assert (None if got is None else (got.score, got.site, got.side, got.label, got.value)) == basis


def test_indeterminate_woman_40_49_flag_gives_both_readings():
    coding = coded({"sex": "F", "age_years": 45}, [m("total_hip", -1.8, -1.1, side="left")])
    [flag] = coding.flags
    assert flag.code == "no_usable_score"
    assert "T-score reading: low bone mass (T -1.8 at left total hip)" in flag.message
    assert "Z-score reading: within the expected range for age (Z -1.1 at left total hip)" in flag.message


def test_reason_explains_routine_rules_without_flags():
    coding = coded(
        {"sex": "F", "age_years": 58},
        [
            m("total_hip", -1.9, side="left"),
            m("total_hip", -1.4, side="right"),
            m("total_hip", -1.7, side="mean"),
            m("radius_33", -1.5, side="left"),
            m("wards", -2.9, side="left"),
        ],
    )
    assert not coding.flags and not coding.needs_review
    reason = coding.icd10[0].reason
    assert "treated as postmenopausal (rule of ours)" in reason
    assert "both hips measured: the lower value counts" in reason
    assert "mean hip is not used" in reason
    assert "33% radius takes part" in reason
    assert "left Ward's area -2.9" in reason


def test_spine_total_only_is_said_in_reason():
    coding = coded(None, [spine("L1-L4", -2.7)])
    assert "only the spine total (lumbar spine L1-L4) was given" in coding.icd10[0].reason


def test_jump_range_choice_is_said_in_reason():
    coding = coded(None, [*SINGLES_L3_HIGH, spine("L1-L4", -0.7), spine("L1-L2,L4", -1.1)])
    assert "L3 (0.6) differs by more than 1.0" in coding.icd10[0].reason
    assert "printed range L1-L2,L4 leaves it out" in coding.icd10[0].reason


@pytest.mark.parametrize(
    "measurements",
    [
        pytest.param(
            [*SINGLES_L3_HIGH, spine("L1-L4", -0.7), m("femoral_neck", -1.3, side="left")], id="jump"
        ),
        pytest.param(
            [spine("L1", -2.9, excluded=True), spine("L1-L4", -2.7), m("total_hip", -1.4, side="left")],
            id="excluded",
        ),
        pytest.param(
            [
                spine("L1", -1.0),
                spine("L2", -1.1),
                spine("L3", 0.5),
                spine("L4", 0.4),
                spine("L1-L4", -0.3),
                spine("L1-L2", -1.05),
                m("total_hip", -1.4, side="left"),
            ],
            id="step",
        ),
    ],
)
def test_unresolved_vertebral_exclusion_is_flagged_and_falls_back(measurements):
    coding = coded(None, measurements)
    assert [f.code for f in coding.flags] == ["vertebra_exclusion_unresolved"]
    assert coding.basis is not None and coding.basis.site != "lumbar_spine"


def test_scores_are_never_recomputed_from_bmd():
    coding = coded(None, [m("total_hip", -0.4, side="left", bmd=0.55)])
    assert coding.category == "normal" and coding.basis.value == -0.4
