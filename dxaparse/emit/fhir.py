"""FHIR R4 export: one Bundle per exam — Patient, ImagingStudy (DICOM exams), DiagnosticReport (LOINC
38269-7), an Observation per reported value and a ChargeItem per CPT line — built and validated by
fhir.resources.

fhir.resources 8 ships R5 (default), R4B (4.3.0) and STU3 models; R4B is its R4 line — Bundle, Patient,
ImagingStudy, DiagnosticReport, Observation and ChargeItem are unchanged from R4 (4.0.1) in every
element used here. Resource ids are UUIDs derived from the content hash (the ImagingStudy's from the
Study Instance UID), so exporting an exam again gives the same ids; every resource also carries a
deterministic identifier, which is what a `transaction` Bundle's conditional creates search for.

A held exam (`billing.status` held) is `preliminary`, its report and observations alike, and its
ChargeItems `planned` (not to be billed yet), until released; the billing state, holds and review flags
ride on the DiagnosticReport as extensions (docs/exports.md).
"""

from __future__ import annotations

import uuid

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.imagingstudy import ImagingStudy
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource

from ..models import CptLine, ExamResult, SiteChange
from . import FHIR_BUNDLES, comparison
from .body_site import body_site
from .loinc import REPORT_CODE, Value, values

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
"""HCPCS Level II: the alphabetic modifiers (TC, XU, GA, GZ, GY); the numeric ones (26, 52, 53, 59)
are CPT's."""
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
RESOURCE = "urn:dxaparse:resource"
DICOM_UID = "urn:dicom:uid"
SHA256 = "urn:dxaparse:sha256"
LOCAL = "urn:dxaparse:observation"
MODIFIER = "urn:dxaparse:extension:modifier"
BILLING_STATUS = "urn:dxaparse:extension:billing-status"
HOLD = "urn:dxaparse:extension:hold"
REVIEW_FLAG = "urn:dxaparse:extension:review-flag"
SIGNIFICANCE = "urn:dxaparse:significance"
"""The comparison's significance: increase, decrease, stable, unknown, not_comparable (docs/history.md)."""
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
_GENDER = {"F": "female", "M": "male", "O": "other"}


def bundle(result: ExamResult, kind: str = "collection") -> Bundle:
    """A `collection` Bundle (the resources with their ids), or a `transaction` Bundle: each resource
    POSTed with a conditional create (`ifNoneExist`) on its deterministic identifier — the ImagingStudy
    on its Study Instance UID — so sending it again creates nothing twice."""
    if kind not in FHIR_BUNDLES:
        raise ValueError(f"unknown FHIR bundle type {kind!r}")
    sha = result.source.sha256
    final = result.billing.billable
    status = "final" if final else "preliminary"
    when = {"effectiveDateTime": result.exam.date.isoformat()} if result.exam.date else {}
    patient = Patient(
        id=_id(sha, "patient"),
        identifier=[*([{"value": result.patient.id}] if result.patient.id else []), _own(sha, "patient")],
        gender=_GENDER.get(result.patient.sex or ""),
    )
    subject = {"reference": _urn(_id(sha, "patient"))}
    entries: list[tuple[Resource, dict]] = [(patient, _own(sha, "patient"))]
    study = _imaging_study(result, subject)
    if study:
        entries.append((study, _study_uid(result.exam.study_uid)))
    report_url = _urn(_id(sha, "report"))
    numbers = values(result)
    observations = [_observation(sha, n, v, subject, when, status) for n, v in enumerate(numbers, 1)]
    if result.comparison:
        bmd = {(v.measurement.site, v.measurement.side, tuple(v.measurement.vertebrae)): o   # g/cm2: BMD
               for v, o in zip(numbers, observations, strict=True) if v.measurement and v.unit == "g/cm2"}
        observations += [_change(result, n, change, subject, when, status, bmd)
                         for n, change in enumerate(result.comparison.sites, 1)]
    identifiers = [{"system": SHA256, "value": sha}]
    if result.exam.study_uid:
        identifiers.append(_study_uid(result.exam.study_uid))
    if result.exam.accession:
        identifiers.append(_accession(result.exam.accession))
    report = DiagnosticReport(
        id=_id(sha, "report"),
        extension=_review(result),
        identifier=identifiers,
        status=status,
        category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}],
        code={"coding": [{"system": LOINC, "code": REPORT_CODE}], "text": "DXA skeletal system study report"},
        subject=subject,
        result=[{"reference": _urn(o.id)} for o in observations] or None,
        imagingStudy=[{"reference": _urn(study.id)}] if study else None,
        conclusion=result.impression,
        conclusionCode=[{"coding": [{"system": ICD10CM, "code": line.code}]} for line in result.coding.icd10]
        or None,
        **when,
    )
    entries.append((report, identifiers[0]))
    entries += [(o, o.identifier[0].model_dump()) for o in observations]
    entries += [(_charge(result, n, line, subject, report_url), _own(sha, f"charge{n}"))
                for n, line in enumerate(result.coding.cpt, 1)]
    if kind == "collection":
        return Bundle(id=_id(sha, "bundle"), type="collection",
                      entry=[{"fullUrl": _urn(res.id), "resource": res} for res, _ in entries])
    return Bundle(type="transaction", entry=[
        {"fullUrl": _urn(res.id), "resource": res.model_copy(update={"id": None}),
         "request": {"method": "POST", "url": res.get_resource_type(), "ifNoneExist": _key(key)}}
        for res, key in entries])


def to_fhir(results: list[ExamResult], many: bool, bundle_type: str = "collection") -> str:
    """One Bundle (indented JSON) for one exam. Several exams: `collection` Bundles one per line (NDJSON,
    as FHIR bulk data); `transaction` Bundles one indented JSON document after the other, each what a
    server takes in one POST."""
    if bundle_type == "transaction" or (not many and len(results) == 1):
        return "".join(bundle(r, bundle_type).model_dump_json(indent=2) + "\n" for r in results)
    return "".join(bundle(r).model_dump_json() + "\n" for r in results)


def _observation(sha: str, n: int, v: Value, subject: dict, when: dict, status: str) -> Observation:
    return Observation(
        id=_id(sha, f"obs{n}"),
        identifier=[_own(sha, f"obs{n}")],
        status=status,
        category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                               "code": "imaging"}]}],
        code={"coding": [{"system": LOINC if v.loinc else LOCAL, "code": v.code}], "text": v.text},
        subject=subject,
        valueQuantity={"value": v.value, "unit": v.unit, "system": UCUM, "code": v.unit},
        bodySite=body_site(v.measurement) if v.measurement else None,
        **when,
    )


def _change(result: ExamResult, n: int, change: SiteChange, subject: dict, when: dict, status: str,
            bmd: dict[tuple, Observation]) -> Observation:
    """One region compared with the prior exam: the BMD change (g/cm²) as the value, its significance as
    the interpretation, the prior and current BMD, % change and LSC as components; `derivedFrom` the
    prior exam's DiagnosticReport (by the identifier its own export carries: the content hash) — or,
    for a prior from the printed trend table, a display naming it — and this exam's BMD Observation."""
    sha, prior = result.source.sha256, result.comparison
    since = prior.prior_date.isoformat()
    code, text = comparison.region_code(change), comparison.region_text(change)
    derived = [{"type": "DiagnosticReport", "identifier": {"system": SHA256, "value": prior.prior_sha256},
                "display": f"prior DXA exam of {since}"} if prior.prior_sha256 else
               {"display": f"prior measurement of {since} in the trend table printed on this report"}]
    if (current := bmd.get((change.site, change.side, tuple(change.vertebrae)))) is not None:
        derived.append({"reference": _urn(current.id)})
    value = ({"valueQuantity": _quantity(change.change_g_cm2, "g/cm2")} if change.change_g_cm2 is not None
             else {"dataAbsentReason": {"coding": [{"system": DATA_ABSENT, "code": "not-applicable"}],
                                        "text": change.reason}})
    return Observation(
        id=_id(sha, f"change{n}"),
        identifier=[_own(sha, f"change{n}")],
        status=status,
        category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                               "code": "imaging"}]}],
        code={"coding": [{"system": LOCAL, "code": f"{code}.change"}],
              "text": f"{text} BMD change since {since}"},
        subject=subject,
        interpretation=[{"coding": [{"system": SIGNIFICANCE, "code": change.significance.value}],
                         "text": change.reason}],
        bodySite=body_site(comparison.measurement_of(change)),
        derivedFrom=derived,
        component=[{"code": {"coding": [{"system": LOCAL, "code": f"{code}.{name}"}],
                             "text": f"{text} {what}"}, "valueQuantity": _quantity(v, unit)}
                   for name, what, unit in comparison.PARTS
                   if (v := getattr(change, name)) is not None] or None,
        **value,
        **when,
    )


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _charge(result: ExamResult, n: int, line: CptLine, subject: dict, report_url: str) -> ChargeItem:
    """One CPT line. R4 ChargeItem has no modifier element and a CodeableConcept's codings are alternative
    codes for one concept, so the modifiers are extensions, in claim order (docs/exports.md)."""
    sha = result.source.sha256
    return ChargeItem(
        id=_id(sha, f"charge{n}"),
        extension=[{"url": MODIFIER, "valueCoding": {"system": CPT if m.value.isdigit() else HCPCS,
                                                      "code": m.value}} for m in line.modifiers] or None,
        identifier=[_own(sha, f"charge{n}")],
        status="billable" if result.billing.billable else "planned",
        code={"coding": [{"system": CPT, "code": line.code}]},
        subject=subject,
        occurrenceDateTime=result.exam.date.isoformat() if result.exam.date else None,
        quantity={"value": line.units},
        reason=[{"coding": [{"system": ICD10CM, "code": icd.code}]} for icd in result.coding.icd10] or None,
        service=[{"reference": report_url}],
    )


def _imaging_study(result: ExamResult, subject: dict) -> ImagingStudy | None:
    """The DICOM study, when the exam has a Study Instance UID; its id comes from the UID, so every
    version of a study's result names the same ImagingStudy."""
    uid = result.exam.study_uid
    if not uid:
        return None
    accession = [_accession(result.exam.accession)] if result.exam.accession else []
    return ImagingStudy(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:dxaparse:study:{uid}")),
        identifier=[_study_uid(uid), *accession],
        status="available",
        subject=subject,
        started=result.exam.date.isoformat() if result.exam.date else None,
    )


def _review(result: ExamResult) -> list[dict]:
    """The billing state, each hold and each review flag, which DiagnosticReport.status alone (final or
    preliminary) cannot say."""
    out = [{"url": BILLING_STATUS, "valueCode": result.billing.status.value}]
    out += [{"url": HOLD, "valueCoding": {"system": "urn:dxaparse:hold", "code": h.reason.value,
                                          "display": h.message}} for h in result.billing.holds]
    out += [{"url": REVIEW_FLAG, "valueCoding": {"system": "urn:dxaparse:flag", "code": f.code.value,
                                                 "display": f.message}} for f in result.coding.flags]
    return out


def _study_uid(uid: str) -> dict:
    return {"system": DICOM_UID, "value": f"urn:oid:{uid}"}


def _accession(accession: str) -> dict:
    return {"type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "ACSN"}]}, "value": accession}


def _own(sha: str, part: str) -> dict:
    """The resource's deterministic identifier: the exam's content hash and the part. Not the fullUrl
    (`urn:uuid:…`): servers rewrite every string equal to a fullUrl into the reference they assign,
    which would leave nothing for the next conditional create to find."""
    return {"system": RESOURCE, "value": f"{sha}:{part}"}


def _key(identifier: dict) -> str:
    """The `ifNoneExist` search of a conditional create: the resource with this identifier."""
    return f"identifier={identifier['system']}|{identifier['value']}"


def _id(sha: str, part: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:dxaparse:{sha}:{part}"))


def _urn(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"
