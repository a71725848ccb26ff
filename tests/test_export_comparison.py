"""The comparison with the prior exam in the exports (issue 18): HL7 ORU^R01 OBX segments with local
99DXA codes, strictly valid, and FHIR Observations with `derivedFrom` the prior exam's report."""

from __future__ import annotations

import datetime as dt

from dxaparse.emit.fhir import SHA256, SIGNIFICANCE, bundle
from dxaparse.emit.hl7 import er7, oru_r01
from dxaparse.models import Comparison, ExamResult, PriorSource, Significance, Site, SiteChange

from ._exams import exam
from ._fhir import resources, valid_r4
from .test_hl7_strict import strict

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
PRIOR = "ab" * 32


def compared(source: PriorSource = PriorSource.STORE) -> ExamResult:
    r = exam(1)
    r.comparison = Comparison(
        source=source, prior_date=dt.date(2022, 2, 1), prior_device="Horizon A", prior_device_serial="HA-1",
        prior_sha256=PRIOR if source is PriorSource.STORE else None, sites=[
            SiteChange(site=Site.LUMBAR_SPINE, label="L1-L4", vertebrae=["L1", "L2", "L3", "L4"],
                       prior_bmd=0.850, current_bmd=0.812, change_g_cm2=-0.038, change_percent=-4.5,
                       lsc_g_cm2=0.0277, significance=Significance.DECREASE, reason="fell by the LSC"),
            SiteChange(site=Site.TOTAL_HIP, side="left", label="Total", current_bmd=0.701,
                       significance=Significance.NOT_COMPARABLE, reason="no BMD of the same region")])
    return r


def test_oru_carries_the_comparison_as_local_obx_and_validates_strictly():
    text = er7(oru_r01(compared(), NOW))
    strict(text)
    obx = [s for s in text.split("\r") if s.startswith("OBX|")]
    first = len(obx) - 8   # the prior date, then 6 spine rows and 2 hip rows
    assert f"OBX|{first}|DT|comparison.prior_date^Prior exam date (store)^99DXA||20220201" in text
    spine = [s for s in obx if "comparison.lumbar_spine.L1L2L3L4." in s]
    assert [s.split("|")[2] for s in spine] == ["NM"] * 5 + ["ST"]
    assert "|comparison.lumbar_spine.L1L2L3L4.change^L1-L4 BMD change^99DXA|6|-0.038|g/cm2^^UCUM|" in text
    assert "|comparison.lumbar_spine.L1L2L3L4.percent^L1-L4 BMD change^99DXA|6|-4.5|%^^UCUM|" in text
    assert "|comparison.lumbar_spine.L1L2L3L4.significance^L1-L4 change against the LSC^99DXA|6|decrease|" \
        in text
    assert "|comparison.total_hip.left.significance^Total (left) change against the LSC^99DXA|7|" \
        "not_comparable|" in text
    assert [int(s.split("|")[1]) for s in obx] == list(range(1, len(obx) + 1))


def test_no_comparison_no_obx():
    assert "comparison." not in er7(oru_r01(exam(1), NOW))


def test_fhir_observations_derive_from_the_prior_exam():
    r = compared()
    b = valid_r4(bundle(r).model_dump_json())
    observations = resources(b)["Observation"]
    changes = [o for o in observations if o.code.coding[0].code.startswith("comparison.")]
    spine, hip = changes
    assert spine.code.coding[0].code == "comparison.lumbar_spine.L1L2L3L4.change"
    assert (float(spine.valueQuantity.value), spine.valueQuantity.code) == (-0.038, "g/cm2")
    assert spine.interpretation[0].coding[0].system == SIGNIFICANCE
    assert spine.interpretation[0].coding[0].code == "decrease"
    prior, current = spine.derivedFrom
    assert (prior.type, prior.identifier.system, prior.identifier.value) == (
        "DiagnosticReport", SHA256, PRIOR)
    bmd = next(o for o in observations if o.code.text == "L1-L4 BMD")
    assert current.reference == f"urn:uuid:{bmd.id}"
    parts = {c.code.coding[0].code.rsplit(".", 1)[1]: float(c.valueQuantity.value) for c in spine.component}
    assert parts == {
        "prior_bmd": 0.850, "current_bmd": 0.812, "change_g_cm2": -0.038, "change_percent": -4.5,
        "lsc_g_cm2": 0.0277}
    assert hip.valueQuantity is None and hip.dataAbsentReason.text == "no BMD of the same region"
    report = resources(b)["DiagnosticReport"][0]
    assert {f"urn:uuid:{o.id}" for o in changes} <= {ref.reference for ref in report.result}
    valid_r4(bundle(r, "transaction").model_dump_json())


def test_a_trend_table_prior_is_named_not_referenced():
    b = valid_r4(bundle(compared(PriorSource.TREND_TABLE)).model_dump_json())
    spine = next(o for o in resources(b)["Observation"] if o.code.coding[0].code.endswith("L1L2L3L4.change"))
    assert spine.derivedFrom[0].reference is None and "trend table" in spine.derivedFrom[0].display
