"""FHIR R4 export: one Bundle per exam with a Patient, a DiagnosticReport (LOINC 38269-7) and an
Observation per reported value, built and validated by fhir.resources.

fhir.resources 8 ships R5 (default), R4B (4.3.0) and STU3 models; R4B is its R4 line — Bundle,
Patient, DiagnosticReport and Observation are unchanged from R4 (4.0.1) in every element used here.
Resource ids are UUIDs derived from the content hash, so exporting an exam again gives the same ids.
A held exam (`billing.status` held) is `preliminary`, its report and observations alike, until released.
"""

from __future__ import annotations

import uuid

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from ..models import ExamResult
from .loinc import REPORT_CODE, Value, values

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOCAL = "urn:dxaparse:observation"
_GENDER = {"F": "female", "M": "male", "O": "other"}


def bundle(result: ExamResult) -> Bundle:
    """A `collection` Bundle: Patient, DiagnosticReport, then the Observations it lists as results."""
    sha = result.source.sha256
    status = "final" if result.billing.billable else "preliminary"
    patient_url = _urn(sha, "patient")
    when = {"effectiveDateTime": result.exam.date.isoformat()} if result.exam.date else {}
    patient = Patient(
        id=_id(sha, "patient"),
        identifier=[{"value": result.patient.id}] if result.patient.id else None,
        gender=_GENDER.get(result.patient.sex or ""),
    )
    observations = [_observation(sha, n, v, patient_url, when, status)
                    for n, v in enumerate(values(result), 1)]
    identifiers = [{"system": "urn:dxaparse:sha256", "value": sha}]
    if result.exam.study_uid:
        identifiers.append({"system": "urn:dicom:uid", "value": f"urn:oid:{result.exam.study_uid}"})
    report = DiagnosticReport(
        id=_id(sha, "report"),
        identifier=identifiers,
        status=status,
        category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}],
        code={"coding": [{"system": LOINC, "code": REPORT_CODE}], "text": "DXA skeletal system study report"},
        subject={"reference": patient_url},
        result=[{"reference": _urn(sha, f"obs{n}")} for n in range(1, len(observations) + 1)] or None,
        conclusion=result.impression,
        conclusionCode=[{"coding": [{"system": ICD10CM, "code": line.code}]} for line in result.coding.icd10]
        or None,
        **when,
    )
    resources = [(patient_url, patient), (_urn(sha, "report"), report)]
    resources += [(_urn(sha, f"obs{n}"), obs) for n, obs in enumerate(observations, 1)]
    return Bundle(id=_id(sha, "bundle"), type="collection",
                  entry=[{"fullUrl": url, "resource": res} for url, res in resources])


def to_fhir(results: list[ExamResult], many: bool) -> str:
    """One Bundle (indented JSON) for one exam; otherwise one Bundle per line (NDJSON, as FHIR bulk data)."""
    if not many and len(results) == 1:
        return bundle(results[0]).model_dump_json(indent=2) + "\n"
    return "".join(bundle(r).model_dump_json() + "\n" for r in results)


def _observation(sha: str, n: int, v: Value, subject: str, when: dict, status: str) -> Observation:
    m = v.measurement
    return Observation(
        id=_id(sha, f"obs{n}"),
        status=status,
        category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                               "code": "imaging"}]}],
        code={"coding": [{"system": LOINC if v.loinc else LOCAL, "code": v.code}], "text": v.text},
        subject={"reference": subject},
        valueQuantity={"value": v.value, "unit": v.unit, "system": UCUM, "code": v.unit},
        bodySite={"text": f"{m.site.value} {m.side}" if m.side else m.site.value} if m else None,
        **when,
    )


def _id(sha: str, part: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:dxaparse:{sha}:{part}"))


def _urn(sha: str, part: str) -> str:
    return f"urn:uuid:{_id(sha, part)}"
