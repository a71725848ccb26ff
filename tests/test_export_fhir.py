"""FHIR R4 export parses back with fhir.resources: a Bundle of Patient, DiagnosticReport, Observations."""

from __future__ import annotations

import json

from fhir.resources.R4B.bundle import Bundle

from dxaparse.emit.fhir import bundle, to_fhir
from dxaparse.emit.loinc import loinc, values

from ._exams import exam


def _resources(b: Bundle) -> dict[str, list]:
    out: dict[str, list] = {}
    for entry in b.entry:
        out.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return out


def test_bundle_round_trips_and_holds_report_and_observations():
    e = exam()
    b = Bundle.model_validate_json(to_fhir([e], False))
    assert b.type == "collection"
    res = _resources(b)
    assert len(res["Patient"]) == 1 and len(res["DiagnosticReport"]) == 1
    report = res["DiagnosticReport"][0]
    assert (report.code.coding[0].system, report.code.coding[0].code) == ("http://loinc.org", "38269-7")
    assert report.status == "final" and str(report.effectiveDateTime) == "2024-03-01"
    assert [c.coding[0].code for c in report.conclusionCode] == ["M81.0", "Z79.83"]
    assert report.conclusion == e.impression
    observations = res["Observation"]
    assert len(observations) == len(values(e)) == len(report.result)
    urls = {entry.fullUrl for entry in b.entry}
    assert {r.reference for r in report.result} <= urls and report.subject.reference in urls


def test_observations_carry_loinc_and_ucum():
    b = Bundle.model_validate_json(to_fhir([exam()], False))
    obs = {o.code.text: o for o in _resources(b)["Observation"]}
    neck_t = obs["Neck (left) T-score"]
    assert (neck_t.code.coding[0].system, neck_t.code.coding[0].code) == ("http://loinc.org", "38263-0")
    quantity = neck_t.valueQuantity
    assert (quantity.system, quantity.code) == ("http://unitsofmeasure.org", "{T-score}")
    assert float(neck_t.valueQuantity.value) == -2.6
    assert neck_t.bodySite.text == "femoral_neck left"
    spine = obs["L1-L4 BMD"]
    assert spine.code.coding[0].code == "24966-4" and spine.valueQuantity.code == "g/cm2"
    assert obs["L1-L4 Z-score"].valueQuantity.code == "{Z-score}"
    troch = obs["Troch (left) BMD"]
    assert (troch.code.coding[0].system, troch.code.coding[0].code) == (
        "urn:dxaparse:observation", "trochanter.left.bmd")


def test_ids_are_stable_so_a_reexport_updates_rather_than_duplicates():
    assert bundle(exam(3)).model_dump_json() == bundle(exam(3)).model_dump_json()
    assert bundle(exam(3)).id != bundle(exam(4)).id


def test_a_sparse_exam_still_gives_a_valid_bundle():
    e = exam(5, patient={}, exam={}, measurements=[], tbs=None, frax=None, impression=None,
             coding={"category": "indeterminate", "needs_review": True,
                     "flags": [{"code": "no_usable_score", "message": "no scores"}]})
    res = _resources(Bundle.model_validate_json(to_fhir([e], False)))
    assert "Observation" not in res and res["DiagnosticReport"][0].result is None


def test_several_exams_are_one_bundle_per_line():
    lines = to_fhir([exam(1), exam(2)], True).splitlines()
    assert len(lines) == 2
    assert [Bundle.model_validate_json(line).id for line in lines] == [bundle(exam(1)).id, bundle(exam(2)).id]
    assert json.loads(lines[0])["resourceType"] == "Bundle"


def test_loinc_table_is_data_with_side_overrides():
    assert loinc("total_hip", "right", "t_score") == "80945-9"
    assert loinc("total_hip", "mean", "t_score") == "38264-8"
    assert loinc("femoral_neck", "left", "bmd") == "24701-5"  # no sided femur codes: the site's own
    assert loinc("calcaneus", None, "bmd") is None
    assert loinc("wards", None, "bmd") is None
