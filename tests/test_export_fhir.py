"""FHIR R4 export parses back with fhir.resources: Patient, ImagingStudy, DiagnosticReport, Observations
with LOINC and SNOMED CT body sites, a ChargeItem per CPT line, the accession and the review state."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from dxaparse.emit import body_site as sites
from dxaparse.emit.fhir import bundle, to_fhir
from dxaparse.emit.loinc import loinc, values
from dxaparse.models import Site

from ._exams import exam
from ._fhir import resources, valid_r4

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
SNOMED = "http://snomed.info/sct"
HELD = {"status": "held", "holds": [{"reason": "needs_review", "message": "the coding has review flags"}]}
FLAGGED = {"category": "osteoporosis",
           "basis": {"score": "t", "site": "femoral_neck", "side": "left", "label": "Neck", "value": -2.6},
           "cpt": [{"code": "77080", "modifiers": ["26", "XU", "52"], "units": 2, "reason": "axial"}],
           "icd10": [{"code": "M81.0", "reason": "osteoporosis"}], "needs_review": True,
           "flags": [{"code": "impression_disagrees", "message": "the impression says osteopenia"}]}


def _of(e, kind="collection"):
    return resources(valid_r4(to_fhir([e], False, bundle_type=kind)))


def test_bundle_round_trips_and_holds_report_and_observations():
    e = exam()
    b = valid_r4(to_fhir([e], False))
    assert b.type == "collection"
    res = resources(b)
    assert len(res["Patient"]) == 1 and len(res["DiagnosticReport"]) == 1 and len(res["ImagingStudy"]) == 1
    report = res["DiagnosticReport"][0]
    assert (report.code.coding[0].system, report.code.coding[0].code) == ("http://loinc.org", "38269-7")
    assert report.status == "final" and str(report.effectiveDateTime) == "2024-03-01"
    assert [c.coding[0].code for c in report.conclusionCode] == ["M81.0", "Z79.83"]
    assert report.conclusion == e.impression
    observations = res["Observation"]
    assert len(observations) == len(values(e)) == len(report.result)
    urls = {entry.fullUrl for entry in b.entry}
    assert {r.reference for r in report.result} <= urls and report.subject.reference in urls
    assert report.imagingStudy[0].reference in urls


def test_observations_carry_loinc_ucum_and_snomed_body_sites():
    obs = {o.code.text: o for o in _of(exam())["Observation"]}
    neck_t = obs["Neck (left) T-score"]
    assert (neck_t.code.coding[0].system, neck_t.code.coding[0].code) == ("http://loinc.org", "38263-0")
    quantity = neck_t.valueQuantity
    assert (quantity.system, quantity.code) == ("http://unitsofmeasure.org", "{T-score}")
    assert float(neck_t.valueQuantity.value) == -2.6
    site = neck_t.bodySite
    assert site.text == "Femoral neck, left"
    assert [(c.system, c.code) for c in site.coding] == [(SNOMED, "29627003")]
    laterality = site.extension[0]
    assert laterality.url == "http://hl7.org/fhir/StructureDefinition/observation-structureLaterality"
    assert [(c.system, c.code) for c in laterality.valueCodeableConcept.coding] == [(SNOMED, "7771000")]
    spine = obs["L1-L4 BMD"]
    assert spine.code.coding[0].code == "24966-4" and spine.valueQuantity.code == "g/cm2"
    assert spine.bodySite.coding[0].code == "122496007" and spine.bodySite.extension is None  # no side
    assert obs["Total (left) BMD"].bodySite.coding[0].code == "310651003"
    assert obs["L1-L4 Z-score"].valueQuantity.code == "{Z-score}"
    troch = obs["Troch (left) BMD"]
    assert (troch.code.coding[0].system, troch.code.coding[0].code) == (
        "urn:dxaparse:observation", "trochanter.left.bmd")
    # no checked SNOMED CT code for the trochanter region: text and side only, never a guessed code
    assert troch.bodySite.coding is None and troch.bodySite.text == "Trochanter, left"
    assert troch.bodySite.extension[0].valueCodeableConcept.coding[0].code == "7771000"
    assert obs["Trabecular bone score"].bodySite is None


@pytest.mark.parametrize(("side", "code"), [("right", "24028007"), ("mean", "51440002")])
def test_every_known_side_is_a_laterality(side, code):
    m = {"site": "radius_33", "side": side, "label": "1/3", "bmd": 0.7, "t_score": -2.5}
    (o,) = [o for o in _of(exam(measurements=[m]))["Observation"] if o.code.text.endswith("BMD")]
    assert o.bodySite.coding[0].code == "47728000"
    assert o.bodySite.extension[0].valueCodeableConcept.coding[0].code == code


def test_the_snomed_table_covers_every_site_and_names_a_source_for_each_code():
    assert set(sites.SITES) == {s.value for s in Site}
    assert set(sites.SIDES) == {"left", "right", "mean"}
    for name, entry in {**sites.SITES, **sites.SIDES}.items():
        assert entry["text"], name
        if "code" in entry:
            assert entry["code"].isdigit() and entry["display"], name
    raw = (files("dxaparse.emit") / "data" / "snomed.toml").read_text(encoding="utf-8").splitlines()
    for name, entry in sites.SITES.items():
        if "code" in entry:  # its display line names the source the code was checked in
            lines = [ln for ln in raw if ln.startswith(f'display = "{entry["display"]}"')]
            assert lines and all("# PS3.16" in ln or "# mCODE" in ln for ln in lines), name
    uncoded = {s for s, e in sites.SITES.items() if "code" not in e}
    assert uncoded == {"trochanter", "intertrochanter", "wards", "other"}


def test_a_charge_item_per_cpt_line_with_code_modifiers_units_date_and_diagnoses():
    e = exam()
    res = _of(e)
    charges = res["ChargeItem"]
    codes = [(c.code.coding[0].system, c.code.coding[0].code) for c in charges]
    assert codes == [(CPT, "77085"), (CPT, "77081")]
    assert [[(x.valueCoding.system, x.valueCoding.code) for x in c.extension or []] for c in charges] == [
        [], [(HCPCS, "XU"), (CPT, "26")]]  # in claim order; numeric modifiers are CPT's, letters HCPCS's
    assert all(c.extension is None or all(x.url == "urn:dxaparse:extension:modifier" for x in c.extension)
               for c in charges)
    report_url = next(en.fullUrl for en in valid_r4(to_fhir([e], False)).entry
                      if en.resource.get_resource_type() == "DiagnosticReport")
    for c in charges:
        assert c.status == "billable" and float(c.quantity.value) == 1
        assert str(c.occurrenceDateTime) == "2024-03-01"
        assert [r.coding[0].code for r in c.reason] == ["M81.0", "Z79.83"]
        assert c.subject.reference == f"urn:uuid:{res['Patient'][0].id}"
        assert [s.reference for s in c.service] == [report_url]


def test_a_held_exam_is_preliminary_with_planned_charges_and_says_why():
    e = exam(coding=FLAGGED, billing=HELD)
    res = _of(e)
    (report,) = res["DiagnosticReport"]
    assert report.status == "preliminary" and {o.status for o in res["Observation"]} == {"preliminary"}
    review = [(x.url, x.valueCode or (x.valueCoding.code, x.valueCoding.display)) for x in report.extension]
    assert review == [
        ("urn:dxaparse:extension:billing-status", "held"),
        ("urn:dxaparse:extension:hold", ("needs_review", "the coding has review flags")),
        ("urn:dxaparse:extension:review-flag", ("impression_disagrees", "the impression says osteopenia"))]
    (charge,) = res["ChargeItem"]
    assert charge.status == "planned" and float(charge.quantity.value) == 2
    assert [x.valueCoding.code for x in charge.extension] == ["26", "XU", "52"]
    assert [x.valueCoding.system for x in charge.extension] == [CPT, HCPCS, CPT]


def test_a_released_exam_is_final_and_billable_and_keeps_its_history():
    released = {**HELD, "status": "released", "release": {"by": "coder", "at": "2024-03-05T10:00:00Z"}}
    res = _of(exam(coding=FLAGGED, billing=released))
    (report,) = res["DiagnosticReport"]
    assert report.status == "final" and report.extension[0].valueCode == "released"
    assert [x.valueCoding.code for x in report.extension[1:]] == ["needs_review", "impression_disagrees"]
    assert res["ChargeItem"][0].status == "billable"


def test_no_charge_item_without_a_cpt_line_and_no_made_up_date_or_id():
    e = exam(5, patient={}, exam={}, measurements=[], tbs=None, frax=None, impression=None,
             coding={"category": "indeterminate", "needs_review": True,
                     "flags": [{"code": "no_usable_score", "message": "no scores"}]},
             billing={"status": "held", "holds": [{"reason": "missing_exam_date", "message": "no date"}]})
    res = _of(e, "transaction")
    assert "Observation" not in res and "ChargeItem" not in res and "ImagingStudy" not in res
    report = res["DiagnosticReport"][0]
    assert report.result is None and report.effectiveDateTime is None
    assert [i.system for i in report.identifier] == ["urn:dxaparse:sha256"]  # no study UID, no accession
    (patient,) = res["Patient"]
    assert [i.system for i in patient.identifier] == ["urn:dxaparse:resource"]  # dxaparse's own, no MRN
    undated = exam(6, exam={"accession": "A1"}, billing={"status": "held", "holds": [
        {"reason": "missing_exam_date", "message": "no date"}]})
    charges = _of(undated)["ChargeItem"]
    assert charges and all(c.occurrenceDateTime is None and c.status == "planned" for c in charges)


def test_the_accession_is_an_acsn_identifier_on_the_report_and_the_study():
    res = _of(exam(7))
    for resource in (res["DiagnosticReport"][0], res["ImagingStudy"][0]):
        ids = {(i.system, i.type.coding[0].code if i.type else None): i.value for i in resource.identifier}
        assert ids[(None, "ACSN")] == "ACC7"
        assert ids[("urn:dicom:uid", None)] == "urn:oid:1.2.840.99999.7"
    assert res["ImagingStudy"][0].identifier[1].type.coding[0].system == (
        "http://terminology.hl7.org/CodeSystem/v2-0203")
    study = res["ImagingStudy"][0]
    assert study.status == "available" and str(study.started) == "2024-03-01"


def test_ids_are_stable_so_a_reexport_updates_rather_than_duplicates():
    assert bundle(exam(3)).model_dump_json() == bundle(exam(3)).model_dump_json()
    assert bundle(exam(3)).id != bundle(exam(4)).id
    # every version of a study's result names the same ImagingStudy
    other = exam(4, exam={**exam(3).exam.model_dump(mode="json")})
    assert _of(exam(3))["ImagingStudy"][0].id == _of(other)["ImagingStudy"][0].id


def test_several_exams_are_one_bundle_per_line():
    lines = to_fhir([exam(1), exam(2)], True).splitlines()
    assert len(lines) == 2
    assert [valid_r4(line).id for line in lines] == [bundle(exam(1)).id, bundle(exam(2)).id]
    assert json.loads(lines[0])["resourceType"] == "Bundle"


def test_loinc_table_is_data_with_side_overrides():
    assert loinc("total_hip", "right", "t_score") == "80945-9"
    assert loinc("total_hip", "mean", "t_score") == "38264-8"
    assert loinc("femoral_neck", "left", "bmd") == "24701-5"  # no sided femur codes: the site's own
    assert loinc("calcaneus", None, "bmd") is None
    assert loinc("wards", None, "bmd") is None
