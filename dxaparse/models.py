"""Typed models of the public result format v1 (docs/result-format.md).

These models are the contract between the pipeline stages: readers produce `Findings`, the coder
turns `Findings` into `Coding`, emitters take an `ExamResult` (findings + coding). Field names and
vocabularies follow the contract exactly; fields beyond it are additions, never renames.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, Strict, model_validator


class Site(StrEnum):
    """Skeletal site vocabulary of the contract."""

    LUMBAR_SPINE = "lumbar_spine"
    FEMORAL_NECK = "femoral_neck"
    TOTAL_HIP = "total_hip"
    TROCHANTER = "trochanter"
    INTERTROCHANTER = "intertrochanter"
    WARDS = "wards"
    FEMORAL_SHAFT = "femoral_shaft"
    RADIUS_33 = "radius_33"
    RADIUS_MID = "radius_mid"
    RADIUS_UD = "radius_ud"
    RADIUS_TOTAL = "radius_total"
    ULNA_33 = "ulna_33"
    ULNA_UD = "ulna_ud"
    FOREARM_TOTAL = "forearm_total"
    TOTAL_BODY = "total_body"
    CALCANEUS = "calcaneus"
    OTHER = "other"


class Scan(StrEnum):
    """Kinds of DXA acquisition, known even when an object carries no scores (an addition to v1)."""

    SPINE = "spine"            # AP/PA lumbar spine (axial)
    HIP = "hip"                # proximal femur, single or dual (axial)
    FOREARM = "forearm"        # radius/ulna (peripheral)
    CALCANEUS = "calcaneus"    # heel (peripheral)
    TOTAL_BODY = "total_body"  # whole body / body composition
    VFA = "vfa"                # vertebral fracture assessment (IVA, LVA, DVA)


class Category(StrEnum):
    NORMAL = "normal"
    LOW_BONE_MASS = "low_bone_mass"
    OSTEOPOROSIS = "osteoporosis"
    WITHIN_EXPECTED = "within_expected_range_for_age"
    BELOW_EXPECTED = "below_expected_range_for_age"
    INDETERMINATE = "indeterminate"


class Vertebra(StrEnum):
    """The lumbar vertebrae a spine measurement can cover (DXA scores L1-L4)."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"


# Closed: exactly the modifiers that the code table and the site settings can produce (a test holds them
# together), so a new one in a table is added here too, and a claim never carries one nobody chose.
class Modifier(StrEnum):
    """CPT/HCPCS modifiers a line can carry: 26/TC (billing mode), 52/53 (reduced or discontinued exam),
    XU/59 (distinct service, by payer), GA/GZ/GY (ABN status)."""

    PROFESSIONAL = "26"          # professional component (billing_mode)
    TECHNICAL = "TC"             # technical component (billing_mode)
    REDUCED = "52"               # reduced services (exam.completion)
    DISCONTINUED = "53"          # discontinued procedure (exam.completion)
    DISTINCT_XU = "XU"           # distinct service, Medicare payer profile
    DISTINCT_59 = "59"           # distinct service, commercial payer profile
    ABN_GA = "GA"                # ABN on file (abn setting)
    ABN_GZ = "GZ"                # expected denial, no ABN on file
    ABN_GY = "GY"                # statutorily excluded service


class FlagCode(StrEnum):
    """Review flag keys, in the order of coding.md §6; stable, as scripts and the store filter on them.
    What each asks a coder to check is in the flag's message."""

    NO_USABLE_SCORE = "no_usable_score"                              # §6.1
    NO_BILLABLE_STUDY = "no_billable_study"                          # §6.2
    UNKNOWN_SCAN_OR_SITE = "unknown_scan_or_site"
    VFA_FRACTURE_NOT_ACUTE = "vfa_fracture_not_acute"                # §6.3
    SCREENING_CODE_ALONE = "screening_code_alone"                    # §6.4
    BELOW_EXPECTED_RANGE = "below_expected_range"                    # §6.5
    IMPRESSION_DISAGREES = "impression_disagrees"                    # §6.6
    VERTEBRA_EXCLUSION_UNRESOLVED = "vertebra_exclusion_unresolved"  # §6.7
    VALUE_DOUBT = "value_doubt"                                      # §6.8
    CONFLICTING_VALUES = "conflicting_values"
    IMPLAUSIBLE_VALUE = "implausible_value"
    UNCLEAR_TERM = "unclear_term"
    DAMAGED_INPUT = "damaged_input"


SourceKind = Literal["dicom-sr", "dicom-image", "dicom-study", "pdf", "findings-json"]
Vendor = Literal["hologic", "ge-lunar", "norland", "unknown"]
Side = Literal["left", "right", "mean"]


class Model(BaseModel):
    # No float of a result is NaN or infinite, whoever sets it (a reader, findings JSON, an assignment):
    # JSON has no such numbers, and CSV, HL7 and FHIR would print `nan`.
    model_config = ConfigDict(extra="ignore", validate_assignment=True, allow_inf_nan=False,
                              json_schema_serialization_defaults_required=True)


Number = Annotated[float, Strict()]
"""A number: an int or a float (a JSON number), never a bool or a string — lax validation reads `true` as
1.0, a T-score of osteoporosis as one of low bone mass. Finite, as every float of the models."""

Integer = Annotated[int, Strict()]
"""A whole number: an int (a JSON integer), never a bool (`true` would be 1) nor a float or a string."""


def _no_number(value: object) -> object:
    if isinstance(value, int | float):   # a bool is an int too
        raise ValueError("a date is a YYYY-MM-DD string, not a number")
    return value


Day = Annotated[dt.date, BeforeValidator(_no_number)]
"""A date, from a `datetime.date` or a `YYYY-MM-DD` string: lax validation reads a number as seconds
since 1970 (`0` is 1970-01-01), a date of service nobody wrote."""


class Source(Model):
    path: str
    kind: SourceKind
    vendor: Vendor = "unknown"
    sha256: str


class Patient(Model):
    sex: Literal["F", "M", "O"] | None = None
    age_years: Number | None = Field(default=None, ge=0, le=130)
    menopausal_status: Literal["pre", "peri", "post"] | None = None
    # Addition: the scanner's patient identifier, needed to post charges (HL7 PID-3). Never logged.
    id: str | None = None
    # Additions: who the patient is across exams (the patient ID is unique only within its issuer).
    birth_date: Day | None = Field(default=None, description="DICOM PatientBirthDate (0010,0030), or the "
                                                             "printed DOB / Birth Date; never logged")
    id_issuer: str | None = Field(default=None, description="DICOM IssuerOfPatientID (0010,0021)")


class DoubtReason(StrEnum):
    """Why the reader doubts a fact (a closed vocabulary): later stages act on the reason, never on the
    wording. A patient or date mismatch holds the claim in billing; damage asks for a review of its own
    (`damaged_input`: the input itself must be checked or sent again); every other reason asks for a
    coder's review (`value_doubt`)."""

    OCR_UNCERTAIN = "ocr_uncertain"        # a value read by OCR that the checks could not confirm
    UNREADABLE = "unreadable"              # present but could not be read (not a number, not a grade)
    CONFLICTING = "conflicting"            # two values or meanings for one fact within the exam's results
    IMPLAUSIBLE = "implausible"            # a number no scanner would print
    UNITS_MISSING = "units_missing"        # a number without units while nothing else says what it is
    UNITS_MISMATCH = "units_mismatch"      # units of another quantity than the value's
    SITE_MISSING = "site_missing"          # a value or fracture grade that names no site or vertebra
    INFERRED = "inferred"                  # not printed for the patient: taken from other printed content
    OBJECT_NOT_READ = "object_not_read"    # an object of the study was not read
    PATIENT_MISMATCH = "patient_mismatch"  # patient ID / name / birth date differ: objects, or header vs page
    DATE_MISMATCH = "date_mismatch"        # exam dates differ between objects or header vs page
    DAMAGED = "damaged"                    # a stream or element of the input is damaged: results may be lost
    SAME_DAY_STUDY = "same_day_study"      # another study of the patient on the same date in the input


class Doubt(Model):
    """One thing the reader is unsure of or refused (an addition to v1, at first a plain sentence):
    programs decide on `reason`, a person reads `detail`."""

    model_config = ConfigDict(frozen=True)   # a fact about the reading; hashable, so merges deduplicate it

    field: str = Field(description='what is doubted, as a path into the result: "patient.id", "patient" '
                                   '(name, birth date), "exam.date", "patient.age_years", "measurements", '
                                   '"vfa.fractures", "tbs", "source" (an object of the study) …')
    reason: DoubtReason
    detail: str = Field(min_length=1, description="the doubt in words; never a patient's name or birth date")


class Exam(Model):
    date: Day | None = None
    study_uid: str | None = None
    device: str | None = None
    # Additions to v1 ---------------------------------------------------------------------------
    accession: str | None = None
    referring_physician: str | None = Field(
        default=None, description="who referred the patient (DICOM ReferringPhysicianName, as DICOM writes "
                                  "a name: FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX); HL7 PV1-8. A person's name: "
                                  "never logged")
    ordering_physician: str | None = Field(
        default=None, description="who ordered the exam (DICOM RequestingPhysician, written like "
                                  "referring_physician); HL7 OBR-16, ORC-12 and FT1-21. Never logged")
    scans: list[Scan] = Field(default_factory=list, description="acquisitions performed")
    completion: Literal["complete", "reduced", "discontinued"] = Field(
        default="complete", description="reduced → CPT modifier 52, discontinued → 53")
    reference: str | None = Field(default=None, description="reference database printed with the scores")
    device_serial: str | None = Field(
        default=None, description="DICOM DeviceSerialNumber (0018,1000), or the scanner's printed serial "
                                  "(`S/N …`, `Serial Number`): the device a precision study and a "
                                  "comparison are tied to")
    unrecognized: list[str] = Field(
        default_factory=list,
        description="scan types, site labels, units or values the reader read but could not map")
    doubts: list[Doubt] = Field(
        default_factory=list, description="what the reader is unsure of or refused, each with its reason: "
                                          "header values (patient ID, dates, age), report values not used, "
                                          "objects of the study not read, patients or dates that differ "
                                          "between the objects of the study or between header and page")


class Box(Model):
    """Where a value is printed: page index from 0, and the rectangle from the page's top-left corner
    (as pdfplumber/PDFium words give it), with the page's own size so that a viewer can scale it.

    Units: PDF points for a PDF page, OCR'd or not (OCR positions in image pixels are scaled by the
    resolution the page image was read at); pixels of the page image for a DICOM report page (a
    Secondary Capture has no PDF page: `page` is then the frame, from 0)."""

    page: Integer = Field(ge=0)
    x0: Number
    top: Number
    x1: Number
    bottom: Number
    page_width: Number = Field(gt=0)
    page_height: Number = Field(gt=0)


class Evidence(Model):
    """Where one value of a measurement (or the TBS or a FRAX value) was read (an addition to v1): a box on
    a printed or OCR'd page, or a DICOM SR content item."""

    field: str = Field(description='the result field it fills: "bmd", "t_score", "z_score", "bmc", "area", '
                                   '"young_adult_percent", "age_matched_percent", "label", "tbs", '
                                   '"frax_major", "frax_hip"')
    box: Box | None = Field(default=None, description="PDF or OCR'd page: the printed word(s)")
    sr_item: str | None = Field(
        default=None, description='DICOM SR: the content item, as its position path (1-based, in '
                                  'ContentSequence order, from the root) and its concept name, e.g. '
                                  '"1.4.2 T-score"')
    text: str | None = Field(default=None, description='the words as printed or read ("-2.6")')
    ocr: bool = Field(default=False, description="read by OCR from an image")


class Measurement(Model):
    site: Site
    side: Side | None = None
    label: str = ""
    vertebrae: list[Vertebra] = Field(default_factory=list)
    bmd: Number | None = None
    bmc: Number | None = None
    area: Number | None = None
    t_score: Number | None = None
    z_score: Number | None = None
    excluded: bool = False
    # Additions to v1 ---------------------------------------------------------------------------
    young_adult_percent: Number | None = None
    age_matched_percent: Number | None = None
    ocr: bool = Field(default=False, description="value read by OCR from an image")
    doubt: str | None = Field(default=None, description="why the reader is unsure of a value")
    evidence: list[Evidence] = Field(
        default_factory=list, description="where each value was read: a box on the page or an SR "
                                          "content item, one entry per field read")

    @model_validator(mode="after")
    def _vertebrae_only_for_spine(self) -> Measurement:
        if self.vertebrae and self.site is not Site.LUMBAR_SPINE:
            raise ValueError("vertebrae are given only for lumbar_spine measurements")
        return self


class Fracture(Model):
    vertebra: str | None = Field(default=None, description="null when the report grades a fracture without "
                                                           "naming its vertebra")
    grade: Integer | None = Field(default=None, ge=0, le=3)
    acute: bool | None = None


class Vfa(Model):
    performed: bool = False
    fractures: list[Fracture] = Field(default_factory=list)


class Tbs(Model):
    value: Number
    evidence: list[Evidence] = Field(default_factory=list, description="where the value was read")


class Frax(Model):
    major: Number | None = None
    hip: Number | None = None
    evidence: list[Evidence] = Field(default_factory=list, description="where each value was read "
                                                                       "(fields frax_major, frax_hip)")


class TrendPoint(Model):
    """One row of a trend table the scanner printed: a measurement of this or an earlier exam, as printed
    (an addition to v1). Never a result of this exam: the exam's own values are its measurements."""

    site: Site
    side: Side | None = None
    label: str = Field(default="", description='the region as the table\'s title prints it ("L1-L4", '
                                               '"Neck Mean")')
    vertebrae: list[Vertebra] = Field(default_factory=list, description="as for a measurement")
    measured: Day = Field(description="the date of that exam")
    age_years: Number | None = None
    bmd: Number | None = Field(default=None, description="g/cm²")
    change_vs_previous_percent: Number | None = None
    change_vs_baseline_percent: Number | None = None
    change_vs_previous_g_cm2: Number | None = None
    change_vs_baseline_g_cm2: Number | None = None

    @model_validator(mode="after")
    def _vertebrae_only_for_spine(self) -> TrendPoint:
        if self.vertebrae and self.site is not Site.LUMBAR_SPINE:
            raise ValueError("vertebrae are given only for lumbar_spine trend points")
        return self


class Printed(Model):
    """Identity a report page prints that the result does not carry as such, kept so that the DICOM
    readers can compare it with the object's header (an exam date is compared only when it is the date
    of the scan: a report may be printed days later)."""

    birth_date: dt.date | None = None
    scan_date: dt.date | None = None


class Findings(Model):
    """What a reader found in one exam: everything of the result but the coding."""

    _printed: Printed = PrivateAttr(default_factory=Printed)   # never serialised, not in the schema

    @property
    def printed(self) -> Printed:
        """What the page printed of the patient's and exam's identity (empty for other sources)."""
        return self._printed

    @printed.setter
    def printed(self, value: Printed) -> None:
        self._printed = value

    schema_version: Literal["1"] = "1"
    source: Source
    patient: Patient = Field(default_factory=Patient)
    exam: Exam = Field(default_factory=Exam)
    measurements: list[Measurement] = Field(default_factory=list)
    vfa: Vfa = Field(default_factory=Vfa)
    tbs: Tbs | None = None
    frax: Frax | None = None
    indications: list[str] = Field(default_factory=list)
    impression: str | None = None
    # Addition to v1: the trend tables the report printed, row by row (docs/result-format.md).
    history: list[TrendPoint] = Field(default_factory=list)


class CptLine(Model):
    code: str
    modifiers: list[Modifier] = Field(default_factory=list)
    units: int = Field(default=1, ge=1)
    reason: str = Field(min_length=1)


class Basis(Model):
    score: Literal["t", "z"]
    site: Site
    side: Side | None = None
    label: str
    value: Number


class IcdLine(Model):
    code: str
    reason: str = Field(min_length=1)


class Flag(Model):
    code: FlagCode
    message: str = Field(min_length=1)


class Coding(Model):
    cpt: list[CptLine] = Field(default_factory=list)
    category: Category
    basis: Basis | None = None
    icd10: list[IcdLine] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    needs_review: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Coding:
        if self.category is Category.INDETERMINATE and self.basis is not None:
            raise ValueError("basis must be null when the category is indeterminate")
        if self.needs_review != bool(self.flags):
            raise ValueError("needs_review is true exactly when there are flags")
        return self


class BillingStatus(StrEnum):
    """Whether the exam's charge may leave dxaparse (docs/coding.md, "Held charges and release")."""

    READY = "ready"          # no hold: the charge goes out with the result
    HELD = "held"            # at least one hold: no charge is sent, results go out as preliminary
    RELEASED = "released"    # was held; a person released it (who and when are recorded)


class HoldReason(StrEnum):
    """Why a charge is held. A closed list: each has a check in `dxaparse.billing.CHECKS`."""

    NEEDS_REVIEW = "needs_review"                    # the coding has review flags (coding.md §6)
    MISSING_PATIENT_ID = "missing_patient_id"        # no identifier to post the charge against
    MISSING_EXAM_DATE = "missing_exam_date"          # no date of service (never invented)
    PATIENT_MISMATCH = "patient_mismatch"            # the exam's objects or pages name different patients
    DATE_MISMATCH = "date_mismatch"                  # the exam's objects or pages give different dates
    NO_TABLE_FOR_DATE = "no_table_for_date"          # no code table covers the date of service
    OUTSIDE_FILING_WINDOW = "outside_filing_window"  # older than the payer's timely-filing limit
    RELEASE_REQUIRED = "release_required"            # the site bills only released exams
    FREQUENCY_LIMIT = "frequency_limit"              # within the payer's frequency limit of the last one
    NOT_ASSESSED = "not_assessed"                    # stored before billing states existed


class Hold(Model):
    reason: HoldReason
    message: str = Field(min_length=1)


class Release(Model):
    by: str = Field(min_length=1, description="who released the charge")
    at: dt.datetime = Field(description="when (UTC)")
    note: str | None = None


class FrequencyCheck(Model):
    """What the payer's frequency rule found against the patient's last covered bone mass measurement in
    the store (Medicare: at least 23 months must have passed following its month; docs/history.md)."""

    last_covered: Day = Field(description="date of the last covered bone mass measurement")
    last_sha256: str = Field(description="the stored result of that exam")
    eligible_from: Day = Field(description="the first day the rule allows the next one")
    within_limit: bool = Field(description="this exam is before eligible_from")
    exception: str | None = Field(default=None, description="the exception that lifts the limit, found in "
                                                            "this exam or the last one")


class Billing(Model):
    """Whether the charge may go out: separate from `coding.needs_review`, which is a coding question."""

    status: BillingStatus
    holds: list[Hold] = Field(default_factory=list,
                              description="why the charge is (or was, once released) held")
    release: Release | None = Field(default=None, description="who released a held charge, and when")
    # Addition: the frequency rule's finding when the store holds an earlier covered exam of the patient.
    frequency: FrequencyCheck | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Billing:
        if (self.status is BillingStatus.READY) != (not self.holds):
            raise ValueError("billing status is ready exactly when there are no holds")
        if (self.status is BillingStatus.RELEASED) != (self.release is not None):
            raise ValueError("a released charge, and only one, records its release")
        return self

    @property
    def billable(self) -> bool:
        """May the charge (DFT^P03) and the final results go out?"""
        return self.status is not BillingStatus.HELD


NOT_ASSESSED = Billing(status=BillingStatus.HELD, holds=[Hold(
    reason=HoldReason.NOT_ASSESSED,
    message="stored before dxaparse decided billing states; release it to bill it")])
"""The billing of a result stored without one: held, never billed on an assumption."""


class Significance(StrEnum):
    """Whether a change of BMD since the prior exam is more than the facility's least significant change
    (ISCD): a closed vocabulary, as reports and scripts act on it."""

    INCREASE = "increase"                # the BMD rose by at least the LSC
    DECREASE = "decrease"                # the BMD fell by at least the LSC
    STABLE = "stable"                    # the change is less than the LSC
    UNKNOWN = "unknown"                  # no LSC for this device and site: run a precision study
    NOT_COMPARABLE = "not_comparable"    # another device without cross-calibration, or no same region


class PriorSource(StrEnum):
    STORE = "store"                      # an earlier exam of the same patient in the result store
    TREND_TABLE = "trend_table"          # the trend table the scanner printed on this report (`history`)


class SiteChange(Model):
    """One region compared with the same region of the prior exam: BMD only, never T-scores (ISCD)."""

    site: Site
    side: Side | None = None
    label: str = ""
    vertebrae: list[Vertebra] = Field(default_factory=list)
    prior_bmd: Number | None = None
    current_bmd: Number
    change_g_cm2: Number | None = None
    change_percent: Number | None = None
    lsc_g_cm2: Number | None = Field(default=None, description="least significant change, 2.77 × RMS-SD")
    significance: Significance
    reason: str = Field(min_length=1)


class Comparison(Model):
    """This exam against the patient's prior one (docs/history.md)."""

    source: PriorSource
    prior_date: Day
    prior_device: str | None = None
    prior_device_serial: str | None = None
    prior_sha256: str | None = Field(default=None, description="the prior's stored result (source store)")
    prior_study_uid: str | None = None
    sites: list[SiteChange] = Field(default_factory=list)


class ExamResult(Findings):
    """One exam of the public result format v1."""

    coding: Coding
    # Addition to v1: whether the charge may go out (docs/result-format.md).
    billing: Billing = Field(default_factory=lambda: NOT_ASSESSED.model_copy(deep=True))
    # Addition to v1: this exam against the patient's prior one; null without a prior (docs/history.md).
    comparison: Comparison | None = None

    def to_json_dict(self) -> dict:
        return self.model_dump(mode="json")


FINDINGS_INPUT_FIELDS = ("patient", "exam", "measurements", "vfa", "tbs", "frax", "indications", "impression",
                         "history")
"""The parts of a findings JSON document that are read as input (the contract); coding is recomputed."""

STORE_BLOCK = "store"
"""The key of the version block the store adds to the results it exports (not a field of a result:
output only, which findings input reads past silently)."""
