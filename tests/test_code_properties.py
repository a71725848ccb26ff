"""Properties of the coder over generated exams: invariants no rule may break."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.code import CodingSettings, code_findings
from dxaparse.code.tables import in_force
from dxaparse.models import Category, Findings, Site

SOURCE = {"path": "t.json", "kind": "findings-json", "sha256": "0"}
SEVERITY = {Category.NORMAL: 0, Category.LOW_BONE_MASS: 1, Category.OSTEOPOROSIS: 2}
scores = st.one_of(st.none(), st.floats(-9.0, 9.0).map(lambda x: round(x, 2)))

measurement = st.fixed_dictionaries({
    "site": st.sampled_from(list(Site)),
    "side": st.sampled_from([None, "left", "right", "mean"]),
    "t_score": scores, "z_score": scores,
    "bmd": st.one_of(st.none(), st.floats(0.0, 4.0)),
    "excluded": st.booleans(),
    "doubt": st.sampled_from([None, None, None, "unclear digit"]),
})
spine_row = st.builds(lambda vert, t: {"site": "lumbar_spine", "vertebrae": vert, "label": "-".join(vert),
                                       "t_score": t, "z_score": t},
                      st.sampled_from([["L1"], ["L2"], ["L3"], ["L4"], ["L1", "L2", "L3", "L4"],
                                       ["L2", "L3", "L4"], ["L1", "L2", "L4"], ["L1", "L2"]]), scores)
patient = st.fixed_dictionaries({
    "sex": st.sampled_from([None, "F", "M", "O"]),
    "age_years": st.one_of(st.none(), st.floats(5, 100)),
    "menopausal_status": st.sampled_from([None, "pre", "peri", "post"]),
})
fracture = st.fixed_dictionaries({"vertebra": st.sampled_from(["T12", "L1"]),
                                  "grade": st.sampled_from([None, 0, 1, 2, 3]),
                                  "acute": st.sampled_from([None, True, False])})
findings = st.fixed_dictionaries({
    "source": st.just(SOURCE),
    "patient": patient,
    "measurements": st.lists(st.one_of(measurement, spine_row), max_size=8),
    "exam": st.fixed_dictionaries({
        "date": st.one_of(st.none(), st.dates(dt.date(2010, 1, 1), dt.date(2035, 12, 31))),
        "scans": st.lists(st.sampled_from(["spine", "hip", "forearm", "calcaneus", "total_body", "vfa"]),
                          max_size=3),
        "completion": st.sampled_from(["complete", "reduced", "discontinued"]),
        "unrecognized": st.lists(st.sampled_from(["77082", "Knee"]), max_size=1)}),
    "vfa": st.fixed_dictionaries({"performed": st.booleans(), "fractures": st.lists(fracture, max_size=2)}),
    "tbs": st.one_of(st.none(), st.just({"value": 1.2})),
    "indications": st.lists(st.sampled_from([
        "postmenopausal", "screening", "no steroid use", "on prednisone", "77083", "letrozole",
        "history_fragility_fracture", "denies family history of osteoporosis"]), max_size=3),
    "impression": st.sampled_from([None, "Osteoporosis.", "Osteopenia.", "Normal bone density.",
                                   "No osteoporosis.", "CPT 77082"]),
})
coding_settings = st.builds(CodingSettings,
                            billing_mode=st.sampled_from(["global", "professional", "technical"]),
                            payer=st.sampled_from(["medicare", "commercial"]), tbs_split=st.booleans(),
                            abn=st.sampled_from(["none", "GA"]))


@settings(max_examples=300, deadline=None)
@given(findings, coding_settings)
def test_invariants(data, site_settings):
    parsed = Findings.model_validate(data)
    coding = code_findings(parsed, site_settings)
    tables = in_force(parsed.exam.date)
    cpt_codes = [line.code for line in coding.cpt]
    icd_codes = [line.code for line in coding.icd10]
    assert coding.needs_review == bool(coding.flags)
    assert not set(cpt_codes) & {"77082", "77083", "77079"}
    assert len(cpt_codes) == len(set(cpt_codes)) and all(line.units == 1 for line in coding.cpt)
    assert not ("77085" in cpt_codes and {"77080", "77086"} & set(cpt_codes))
    assert not ("77089" in cpt_codes and {"77090", "77091", "77092"} & set(cpt_codes))
    assert "M85.80" not in icd_codes and set(icd_codes) <= set(tables.icd10.codes)
    assert all(tables.cpt.require_active(code) for code in cpt_codes)
    assert len(icd_codes) == len(set(icd_codes))
    assert "Z13.820" not in icd_codes[:-1]
    assert (coding.basis is None) == (coding.category is Category.INDETERMINATE)
    assert all(line.reason for line in [*coding.cpt, *coding.icd10])


@settings(max_examples=200, deadline=None)
@given(st.floats(-6.0, 4.0), st.floats(-6.0, 4.0),
       st.sampled_from(["total_hip", "femoral_neck", "lumbar_spine", "radius_33"]))
def test_category_is_monotonic_in_the_lowest_t(t1, t2, where):
    def category(t: float) -> Category:
        row = {"site": where, "side": "left", "t_score": t}
        if where == "lumbar_spine":
            row = {"site": where, "vertebrae": ["L1", "L2", "L3", "L4"], "label": "L1-L4", "t_score": t}
        data = {"source": SOURCE, "patient": {"sex": "F", "age_years": 70, "menopausal_status": "post"},
                "measurements": [row, {"site": "total_hip", "side": "right", "t_score": 4.0}]}
        return code_findings(Findings.model_validate(data), CodingSettings()).category

    low, high = sorted((t1, t2))
    assert SEVERITY[category(low)] >= SEVERITY[category(high)]


@settings(max_examples=100, deadline=None)
@given(st.floats(-6.0, 4.0))
def test_basis_is_the_lowest_diagnostic_score(t):
    data = {"source": SOURCE, "patient": {"sex": "M", "age_years": 70},
            "measurements": [{"site": "femoral_neck", "side": "left", "t_score": t},
                             {"site": "total_hip", "side": "left", "t_score": -1.5},
                             {"site": "wards", "side": "left", "t_score": t - 1}]}
    coding = code_findings(Findings.model_validate(data), CodingSettings())
    assert coding.basis.value == min(t, -1.5)
