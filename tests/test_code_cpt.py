"""CPT selection, modifiers and units (coding.md §1), and the wrong public claims of §5."""

from __future__ import annotations

import pytest

from dxaparse.code import CodingSettings, code_findings
from dxaparse.code.tables import cpt_tables
from dxaparse.models import Coding, Findings

POST = {"sex": "F", "age_years": 67, "menopausal_status": "post"}
SPINE = {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "t_score": -1.6}
HIP = {"site": "total_hip", "side": "left", "t_score": -1.2}
NECK = {"site": "femoral_neck", "side": "right", "t_score": -1.4}
RADIUS = {"site": "radius_33", "side": "left", "t_score": -1.1}
HEEL = {"site": "calcaneus", "side": "left", "t_score": -1.0}
BODY = {"site": "total_body", "t_score": -0.5}
VFA = {"performed": True, "fractures": []}


def coded(measurements=(), settings: CodingSettings | None = None, **rest) -> Coding:
    data = {"source": {"path": "t.json", "kind": "findings-json", "sha256": "0"}, "patient": POST,
            "measurements": list(measurements), **rest}
    return code_findings(Findings.model_validate(data), settings or CodingSettings())


def lines(coding: Coding) -> list[tuple[str, list[str]]]:
    return [(line.code, line.modifiers) for line in coding.cpt]


MEDICARE, COMMERCIAL = CodingSettings(), CodingSettings(payer="commercial")
PRO, TECH = CodingSettings(billing_mode="professional"), CodingSettings(billing_mode="technical")
SPLIT = CodingSettings(tbs_split=True)

# (id, measurements, extra findings fields, settings, expected [(code, modifiers)])
CASES = [
    ("spine_only", [SPINE], {}, MEDICARE, [("77080", [])]),
    ("hip_only", [HIP], {}, MEDICARE, [("77080", [])]),
    ("spine_and_both_hips_one_line", [SPINE, HIP, NECK], {}, MEDICARE, [("77080", [])]),
    ("scan_without_scores", [], {"exam": {"scans": ["spine", "hip"]}}, MEDICARE, [("77080", [])]),
    ("vfa_only", [], {"vfa": VFA}, MEDICARE, [("77086", [])]),
    ("vfa_from_exam_scans", [], {"exam": {"scans": ["vfa"]}}, MEDICARE, [("77086", [])]),
    ("axial_and_vfa_one_77085", [SPINE, HIP], {"vfa": VFA}, MEDICARE, [("77085", [])]),
    ("axial_and_forearm_medicare_xu_on_77080", [SPINE, RADIUS], {}, MEDICARE,
     [("77080", ["XU"]), ("77081", [])]),
    ("axial_and_forearm_commercial_59", [SPINE, RADIUS], {}, COMMERCIAL, [("77080", ["59"]), ("77081", [])]),
    ("axial_vfa_forearm_medicare_xu_on_77081", [SPINE, RADIUS], {"vfa": VFA}, MEDICARE,
     [("77085", []), ("77081", ["XU"])]),
    ("axial_vfa_forearm_commercial_59_on_77081", [SPINE, RADIUS], {"vfa": VFA}, COMMERCIAL,
     [("77085", []), ("77081", ["59"])]),
    ("forearm_only", [RADIUS], {}, MEDICARE, [("77081", [])]),
    ("heel_only", [HEEL], {}, MEDICARE, [("77081", [])]),
    ("forearm_and_vfa", [RADIUS], {"vfa": VFA}, MEDICARE, [("77086", []), ("77081", [])]),
    ("tbs_global", [SPINE], {"tbs": {"value": 1.21}}, MEDICARE, [("77080", []), ("77089", [])]),
    ("tbs_split", [SPINE], {"tbs": {"value": 1.21}}, SPLIT,
     [("77080", []), ("77090", []), ("77091", []), ("77092", [])]),
    ("tbs_split_interpretation_only", [SPINE], {"tbs": {"value": 1.21}},
     CodingSettings(tbs_split=True, tbs_split_codes=["77092"]), [("77080", []), ("77092", [])]),
    ("tbs_split_codes_ignored_when_off", [SPINE], {"tbs": {"value": 1.21}},
     CodingSettings(tbs_split_codes=["77092"]), [("77080", []), ("77089", [])]),
    ("professional_26", [SPINE], {"tbs": {"value": 1.3}}, PRO, [("77080", ["26"]), ("77089", [])]),
    ("technical_tc", [SPINE], {}, TECH, [("77080", ["TC"])]),
    ("professional_axial_forearm", [SPINE, RADIUS], {}, PRO, [("77080", ["26", "XU"]), ("77081", ["26"])]),
    ("technical_vfa_only", [], {"vfa": VFA}, TECH, [("77086", ["TC"])]),
    ("reduced_52", [SPINE], {"exam": {"completion": "reduced"}}, MEDICARE, [("77080", ["52"])]),
    ("discontinued_53", [SPINE], {"exam": {"completion": "discontinued"}}, MEDICARE, [("77080", ["53"])]),
    ("discontinued_professional", [SPINE], {"exam": {"completion": "discontinued"}}, PRO,
     [("77080", ["26", "53"])]),
    ("reduced_not_on_tbs", [SPINE], {"exam": {"completion": "reduced"}, "tbs": {"value": 1.3}}, MEDICARE,
     [("77080", ["52"]), ("77089", [])]),
    ("abn_ga_on_every_line", [SPINE, RADIUS], {}, CodingSettings(abn="GA"),
     [("77080", ["XU", "GA"]), ("77081", ["GA"])]),
    ("abn_gz", [SPINE], {}, CodingSettings(abn="GZ"), [("77080", ["GZ"])]),
    ("total_body_alone_no_cpt", [BODY], {}, MEDICARE, []),
    ("total_body_scan_alone_no_cpt", [], {"exam": {"scans": ["total_body"]}}, MEDICARE, []),
    ("total_body_with_spine_not_billed", [SPINE, BODY], {}, MEDICARE, [("77080", [])]),
    ("nothing", [], {}, MEDICARE, []),
]


@pytest.mark.parametrize(("measurements", "extra", "settings", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_cpt_lines(measurements, extra, settings, expected):
    coding = coded(measurements, settings, **extra)
    assert lines(coding) == expected
    assert all(line.units == 1 for line in coding.cpt)


def test_77085_never_with_77080_or_77086():
    codes = {line.code for line in coded([SPINE, HIP, RADIUS], vfa=VFA, tbs={"value": 1.2}).cpt}
    assert "77085" in codes and not codes & {"77080", "77086"}


def test_tbs_split_never_with_77089():
    codes = [line.code for line in coded([SPINE], SPLIT, tbs={"value": 1.2}).cpt]
    assert "77089" not in codes and {"77090", "77091", "77092"} <= set(codes)


@pytest.mark.parametrize("value", [-7.0, 0.2, 12.1, 250.0])  # NaN: the models refuse it
def test_an_implausible_tbs_is_never_billed_unflagged(value):
    """77089 stays (a TBS was computed; only its printed value is in doubt), but the exam is flagged, and
    billing holds every flagged exam until a person has checked the number."""
    coding = coded([SPINE], tbs={"value": value})
    assert [line.code for line in coding.cpt] == ["77080", "77089"]
    assert coding.needs_review and [f.code for f in coding.flags] == ["implausible_value"]
    assert "TBS" in coding.flags[0].message


@pytest.mark.parametrize("extra", [{}, {"exam": {"scans": ["total_body"]}}, {"measurements": [BODY]}])
def test_no_billable_study_is_flagged(extra):
    coding = coded(**extra)
    assert coding.cpt == [] and "no_billable_study" in [f.code for f in coding.flags]


def test_total_body_with_axial_is_not_flagged_but_explained():
    coding = coded([SPINE, BODY])
    assert "no_billable_study" not in [f.code for f in coding.flags]
    assert "total_body scan is not a bone density study" in coding.cpt[0].reason


@pytest.mark.parametrize("extra", [
    pytest.param({"exam": {"unrecognized": ["Left Ortho Knee"]}}, id="unrecognized_scan"),
    pytest.param({"exam": {"unrecognized": ["Arm Total"]},
                  "measurements": [SPINE, {"site": "other", "label": "Arm Total", "t_score": -1.0}]},
                 id="unrecognized_site_label"),
])
def test_unknown_scan_or_site_is_flagged(extra):
    coding = coded(**{"measurements": [SPINE], **extra})
    [flag] = coding.flags
    assert flag.code == "unknown_scan_or_site" and coding.needs_review


def test_known_region_without_a_contract_site_is_routine():
    coding = coded(measurements=[SPINE, {"site": "other", "label": "Ulna MID", "t_score": -1.0}])
    assert "unknown_scan_or_site" not in [f.code for f in coding.flags]


def test_reasons_name_the_rule_and_modifiers():
    coding = coded([SPINE, RADIUS], CodingSettings(billing_mode="professional"), vfa=VFA)
    first, second = coding.cpt
    assert "VFA the same day" in first.reason and "26:" in first.reason
    assert "XU: distinct service: 77085 billed the same day" in second.reason
    assert "1 unit per date of service however many sites" in first.reason


# --- coding.md §5: public claims that are wrong ---------------------------------------------------


@pytest.mark.parametrize("extra", [
    {"impression": "Vertebral fracture assessment (CPT 77082) performed. Radiographic absorptiometry 77083."},
    {"indications": ["77082", "77083", "77079", "VFA 77082"]},
    {"exam": {"scans": ["vfa"], "unrecognized": ["77082", "77079 CT appendicular"]}},
])
def test_deleted_codes_never_output_whatever_the_input_says(extra):
    for measurements in ([], [SPINE], [SPINE, RADIUS]):
        coding = coded(measurements, **extra)
        assert not {line.code for line in coding.cpt} & {"77082", "77083", "77079"}


def test_vfa_is_never_77083_and_77085_is_not_a_plain_bmd_code():
    assert lines(coded([], vfa=VFA)) == [("77086", [])]
    assert lines(coded([SPINE])) == [("77080", [])]


@pytest.mark.parametrize("code", ["77082", "77083", "77079", "77078", "76977", "G0130", "77084", "99999"])
@pytest.mark.parametrize("table", cpt_tables(), ids=lambda t: t.header.edition)
def test_code_table_refuses_deleted_and_non_dxa_codes(table, code):
    with pytest.raises(ValueError, match=code):
        table.require_active(code)


@pytest.mark.parametrize(("sex", "age", "status"),
                         [("F", 52, "post"), ("F", 64, "post"), ("F", 66, "post"), ("M", 55, None),
                          ("M", 69, None), ("M", 71, None), ("F", 90, "post")])
def test_medicare_has_no_age_rule(sex, age, status):
    data = {"source": {"path": "t.json", "kind": "findings-json", "sha256": "0"},
            "patient": {"sex": sex, "age_years": age, "menopausal_status": status},
            "measurements": [SPINE], "indications": ["glucocorticoids"]}
    coding = code_findings(Findings.model_validate(data), CodingSettings())
    assert lines(coding) == [("77080", [])]
    assert coding.flags == [] and not coding.needs_review
