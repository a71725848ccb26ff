"""Generate the synthetic DICOM samples in samples/dicom/ and their expected results.

Run from the repository root: `.venv/bin/python samples/generate_dicom.py`. Output is deterministic
(UIDs derived from names under 2.25, fixed dates, fixed implementation UID), all patients are synthetic.

Each case below is the ground truth: the rows, patient facts and extra content it encodes, and the
coding reasoned by hand from docs/coding.md, with the reasoning next to it. `<name>.expected.json` is
the full output of `dxaparse code`, written only once it agrees with that truth
(samples/expected_output.py). Vendor
SR templates are unpublished, so the SRs imitate three plausible dialects:
  - "containers": a container per scan and per region, values named BMD / T-score ... (Hologic-like,
    private scheme 99HOLOGIC; also used with GE enCORE names);
  - "loinc": LOINC-coded values with finding-site / laterality modifiers and UCUM units (GE-like);
  - "prefixed": flat values whose names carry the region (`L1-L4 BMD`, `Left Neck YA T-Score`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dxaparse.models import ExamResult  # noqa: E402  (the generator runs as a script)
from samples.expected_output import checked_output  # noqa: E402

OUT = ROOT / "samples" / "dicom"
README = ROOT / "samples" / "README.md"
NAMESPACE = uuid.UUID("6f1c7d2e-5b0a-4d8e-9a51-0d7a3c2b9e10")


def uid(name: str) -> str:
    """A fixed UID for `name` (2.25 + the integer of a name-based UUID)."""
    return f"2.25.{uuid.uuid5(NAMESPACE, name).int}"


# ---- SR building blocks ----------------------------------------------------------------------------
def code(value: str, scheme: str, meaning: str) -> Dataset:
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def item(rel: str, value_type: str, concept: Dataset, children: list[Dataset] | None = None) -> Dataset:
    it = Dataset()
    it.RelationshipType, it.ValueType = rel, value_type
    it.ConceptNameCodeSequence = Sequence([concept])
    if children:
        it.ContentSequence = Sequence(children)
    return it


def container(concept: Dataset, children: list[Dataset], rel: str = "CONTAINS") -> Dataset:
    it = item(rel, "CONTAINER", concept, children)
    it.ContinuityOfContent = "SEPARATE"
    return it


def num(concept: Dataset, value: float, unit: Dataset, children: list[Dataset] | None = None) -> Dataset:
    it = item("CONTAINS", "NUM", concept, children)
    mv = Dataset()
    mv.NumericValue = f"{value:g}"
    mv.MeasurementUnitsCodeSequence = Sequence([unit])
    it.MeasuredValueSequence = Sequence([mv])
    return it


def text(concept: Dataset, value: str) -> Dataset:
    it = item("CONTAINS", "TEXT", concept)
    it.TextValue = value
    return it


def coded(concept: Dataset, value: Dataset, rel: str = "CONTAINS") -> Dataset:
    it = item(rel, "CODE", concept)
    it.ConceptCodeSequence = Sequence([value])
    return it


def local(meaning: str) -> Dataset:
    """A concept of our own private scheme (code values are at most 16 characters)."""
    return code(hashlib.sha1(meaning.encode()).hexdigest()[:10].upper(), "99LOCAL", meaning)


def ucum(unit: str, meaning: str | None = None) -> Dataset:
    return code(unit, "UCUM", meaning or unit)


YES = code("373066001", "SCT", "Yes")
FINDING_SITE = code("363698007", "SCT", "Finding Site")
LATERALITY = code("272741003", "SCT", "Laterality")
SIDES = {"left": code("7771000", "SCT", "Left"), "right": code("24028007", "SCT", "Right"),
         "mean": code("51440002", "SCT", "Right and left")}
IMPRESSION = code("121073", "DCM", "Impression")
INDICATIONS = code("121109", "DCM", "Indications for Procedure")

# Concept name and unit of each quantity, per vendor naming (codes of the private schemes are ours).
HOLOGIC_NAMES = {
    "bmd": (code("HOL-BMD", "99HOLOGIC", "BMD"), ucum("g/cm2")),
    "bmc": (code("HOL-BMC", "99HOLOGIC", "BMC"), ucum("g")),
    "area": (code("HOL-AREA", "99HOLOGIC", "Area"), ucum("cm2")),
    "t_score": (code("HOL-T", "99HOLOGIC", "T-score"), ucum("{T-score}")),
    "z_score": (code("HOL-Z", "99HOLOGIC", "Z-score"), ucum("{Z-score}")),
    "young_adult_percent": (code("HOL-PR", "99HOLOGIC", "PR (%)"), ucum("%")),
    "age_matched_percent": (code("HOL-AM", "99HOLOGIC", "AM (%)"), ucum("%")),
}
GE_NAMES = {
    "bmd": (code("BMD", "99GEMS", "BMD"), ucum("g/cm2", "g/cm²")),
    "bmc": (code("BMC", "99GEMS", "BMC"), ucum("g")),
    "area": (code("AREA", "99GEMS", "Area"), ucum("cm2")),
    "t_score": (code("YAT", "99GEMS", "YA T-Score"), ucum("1", "no units")),
    "z_score": (code("AMZ", "99GEMS", "AM Z-Score"), ucum("1", "no units")),
    "young_adult_percent": (code("YAP", "99GEMS", "YA %"), ucum("%")),
    "age_matched_percent": (code("AMP", "99GEMS", "AM %"), ucum("%")),
}
# LOINC codes by (site, side, quantity) for the GE-like dialect (vendors/generic.toml [sr.codes.LN]).
LOINC = {
    ("lumbar_spine", None): {"bmd": "24966-4", "t_score": "38267-1", "z_score": "85394-5"},
    ("total_hip", "left"): {"bmd": "46278-8", "t_score": "80946-7", "z_score": "80938-4"},
    ("total_hip", "right"): {"bmd": "46279-6", "t_score": "80945-9", "z_score": "80937-6"},
    ("total_hip", "mean"): {"bmd": "38261-4", "t_score": "38264-8", "z_score": "80933-5"},
    ("femoral_neck", None): {"bmd": "24701-5", "t_score": "38263-0", "z_score": "80934-3"},
}
_LOINC_SITE = {"24966-4": "Lumbar spine", "38267-1": "Lumbar spine", "85394-5": "Lumbar spine",
               "46278-8": "Hip - left", "80946-7": "Hip - left", "80938-4": "Hip - left",
               "46279-6": "Hip - right", "80945-9": "Hip - right", "80937-6": "Hip - right",
               "38261-4": "Hip", "38264-8": "Hip", "80933-5": "Hip", "24701-5": "Femur", "38263-0": "Femur",
               "80934-3": "Femur"}
_LOINC_PROPERTY = {"bmd": "Mass/Area", "t_score": "T-score", "z_score": "Z-score"}
LOINC_UNITS = {"bmd": ucum("g/cm2", "g/cm²"), "t_score": ucum("{T-Score}"), "z_score": ucum("{Z-Score}"),
               "bmc": ucum("g"), "area": ucum("cm2")}


@dataclass
class Row:
    """One measured region: how the report prints it and its values (the ground truth)."""

    site: str
    label: str                      # region as printed (container name / finding site / name prefix)
    side: str | None = None
    group: str | None = None        # the scan container it sits in (containers dialect)
    vertebrae: list[str] = field(default_factory=list)
    excluded: bool = False
    values: dict[str, float] = field(default_factory=dict)

    def expected(self) -> dict:
        return {"site": self.site, "side": self.side, "label": self.label, "vertebrae": self.vertebrae,
                "excluded": self.excluded, **self.values}


def rows_containers(rows: list[Row], names: dict) -> list[Dataset]:
    """Hologic-like: a container per scan (`Left Femur`) holding a container per region (`Neck`)."""
    groups: list[tuple[str, list[Dataset]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row.group:
            groups.append((row.group, []))
        values = [num(names[k][0], v, names[k][1]) for k, v in row.values.items()]
        if row.excluded:
            values.append(coded(code("HOL-EXCL", "99HOLOGIC", "Excluded"), YES))
        groups[-1][1].append(container(local(row.label), values))
    return [container(local(g), children) for g, children in groups]


def rows_loinc(rows: list[Row]) -> list[Dataset]:
    """GE-like: LOINC (or private) coded values with finding-site and laterality modifiers."""
    out = []
    for row in rows:
        for kind, value in row.values.items():
            loinc = LOINC.get((row.site, row.side)) or LOINC.get((row.site, None)) or {}
            concept = (code(loinc[kind], "LN", f"DXA {_LOINC_SITE[loinc[kind]]} [{_LOINC_PROPERTY[kind]}]")
                       if kind in loinc else GE_NAMES[kind][0])
            mods = [coded(FINDING_SITE, local(row.label), "HAS CONCEPT MOD")]
            if row.side:
                mods.append(coded(LATERALITY, SIDES[row.side], "HAS CONCEPT MOD"))
            out.append(num(concept, value, LOINC_UNITS.get(kind) or GE_NAMES[kind][1], mods))
    return [container(code("83311-1", "LN", "Bone density quantitative measurement by DXA"), out)]


def rows_prefixed(rows: list[Row], names: dict) -> list[Dataset]:
    """Flat values whose concept names start with the region: `L1-L4 BMD`, `Left Neck YA T-Score`."""
    return [num(local(f"{row.label} {names[k][0].CodeMeaning}"), v, names[k][1])
            for row in rows for k, v in row.values.items()]


# ---- headers and files ---------------------------------------------------------------------------------
@dataclass
class Patient:
    key: str                       # seeds the UIDs and IDs
    sex: str
    age_years: float               # ground truth; encoded as PatientAge or via the birth date
    study_date: str
    birth_date: str | None = None  # when set, PatientAge is left out
    name: str | None = None
    referring: str | None = None   # ReferringPhysicianName, as DICOM writes a name
    requesting: str | None = None  # RequestingPhysician (the ordering physician)
    issuer: str | None = None      # IssuerOfPatientID
    serial: str | None = None      # DeviceSerialNumber


def header(ds: Dataset, p: Patient, obj: str, sop_class: str, modality: str, maker: str, model: str) -> None:
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, uid(f"{p.key}/{obj}")
    ds.StudyInstanceUID, ds.SeriesInstanceUID = uid(f"{p.key}/study"), uid(f"{p.key}/series/{modality}")
    ds.Modality, ds.Manufacturer, ds.ManufacturerModelName = modality, maker, model
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = p.study_date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "101500"
    ds.AccessionNumber = f"ACC{p.key[-4:].upper()}"
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", "1", "1"
    ds.PatientName = p.name or f"SYNTHETIC^{p.key.upper().replace('-', '')}"
    ds.PatientID = f"SYN-{p.key}"
    ds.PatientSex = p.sex
    if p.referring:
        ds.ReferringPhysicianName = p.referring
    if p.requesting:
        ds.RequestingPhysician = p.requesting
    if p.issuer:
        ds.IssuerOfPatientID = p.issuer
    if p.serial:
        ds.DeviceSerialNumber = p.serial
    if p.birth_date:
        ds.PatientBirthDate = p.birth_date
    else:
        ds.PatientBirthDate = ""
        ds.PatientAge = f"{int(p.age_years):03d}Y"


def save(ds: Dataset, path: Path) -> None:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = uid("dxaparse/samples/implementation")
    ds.file_meta.ImplementationVersionName = "DXAPARSE_SAMPLE"
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def sr(p: Patient, vendor: str, content: list[Dataset], *, comprehensive: bool = False) -> Dataset:
    ds = Dataset()
    maker, model = ("HOLOGIC", "Horizon A") if vendor == "hologic" else ("GE Healthcare", "Lunar iDXA")
    header(ds, p, "sr", "1.2.840.10008.5.1.4.1.1.88.33" if comprehensive else "1.2.840.10008.5.1.4.1.1.88.22",
           "SR", maker, model)
    ds.SeriesNumber = "100"
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    ds.ConceptNameCodeSequence = Sequence([code("38269-7", "LN", "DXA skeletal system study report")])
    ds.ContentSequence = Sequence(content)
    return ds


def pixels(ds: Dataset, rgb: bool, bits: int = 8) -> None:
    """A tiny 8x8 image: the samples need headers, not pictures."""
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel = 3 if rgb else 1
    ds.PhotometricInterpretation = "RGB" if rgb else "MONOCHROME2"
    if rgb:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit, ds.PixelRepresentation = bits - 1, 0
    ds.PixelData = bytes(range(64)) * ds.SamplesPerPixel * (bits // 8)


def hologic_sc(p: Patient, obj: str, body_part: str, laterality: str = "", series: str = "",
               bits: int = 8) -> Dataset:
    """APEX Secondary Capture: BodyPartExamined, Laterality and the HOLOGIC private block (group 0023)."""
    ds = Dataset()
    header(ds, p, obj, "1.2.840.10008.5.1.4.1.1.7", "OT", "HOLOGIC", "Horizon A")
    ds.ConversionType = "WSD"
    ds.BodyPartExamined, ds.Laterality, ds.SeriesDescription = body_part, laterality, series
    block = ds.private_block(0x0023, "HOLOGIC", create=True)
    block.add_new(0x00, "LO", "1.0")
    block.add_new(0x01, "LO", f"P{obj.upper()}.P")
    block.add_new(0x02, "OB", b"SYNTHETIC-P-FILE" * 1100)  # stands in for the proprietary scan file
    block.add_new(0x03, "UL", 16 * 1100)
    pixels(ds, rgb=bits == 8, bits=bits)
    return ds


def hologic_gsps(p: Patient, obj: str) -> Dataset:
    ds = Dataset()
    header(ds, p, obj, "1.2.840.10008.5.1.4.1.1.11.1", "PR", "HOLOGIC", "Horizon A")
    ds.ContentLabel, ds.PresentationCreationDate, ds.PresentationCreationTime = "IVA", p.study_date, "101600"
    return ds


def ge_cr(p: Patient, obj: str, protocol: str, raw_name: str) -> Dataset:
    """enCORE CR image: the scan is in ProtocolName / PPS description; GEMS_LUNAR_RAW raw file in 7003."""
    ds = Dataset()
    header(ds, p, obj, "1.2.840.10008.5.1.4.1.1.1", "CR", "GE Healthcare", "Lunar iDXA")
    ds.StudyDescription, ds.SeriesDescription = "DXA Exam", "DXA Images"
    ds.ProtocolName = ds.PerformedProcedureStepDescription = protocol
    ds.BodyPartExamined, ds.Laterality = "", ""
    block = ds.private_block(0x7003, "GEMS_LUNAR_RAW", create=True)
    block.add_new(0x01, "ST", raw_name)
    block.add_new(0x02, "OB", b"SYNTHETIC-ENCORE-RAW" * 1024)
    block.add_new(0x03, "UL", 20 * 1024)
    block.add_new(0x04, "LO", "20240101120000")
    pixels(ds, rgb=False, bits=16)
    return ds


# ---- expected coding helpers -----------------------------------------------------------------------
def cpt(code_: str, reason: str, modifiers: list[str] | None = None) -> dict:
    return {"code": code_, "modifiers": modifiers or [], "units": 1, "reason": reason}


def icd(code_: str, reason: str) -> dict:
    return {"code": code_, "reason": reason}


def flag(key: str, message: str) -> dict:
    return {"code": key, "message": message}


def basis(score: str, site: str, side: str | None, label: str, value: float) -> dict:
    return {"score": score, "site": site, "side": side, "label": label, "value": value}


NO_SCORE = flag("no_usable_score", "no T- or Z-score in the exam: category indeterminate")


@dataclass
class Case:
    name: str
    exercises: str
    patient: Patient
    vendor: str
    objects: dict[str, Dataset]     # file name → dataset; one object = a single .dcm sample
    coding: dict
    rows: list[Row] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # expected findings beyond rows/scans (vfa, tbs, ...)

    @property
    def folder(self) -> bool:
        return len(self.objects) > 1


def statements(indications: str | None = None, impression: str | None = None,
               menopause: Dataset | None = None, reference: str | None = None) -> list[Dataset]:
    out = []
    if indications:
        out.append(text(INDICATIONS, indications))
    if menopause is not None:
        out.append(coded(local("Menopausal status"), menopause))
    if reference:
        out.append(text(local("Reference database"), reference))
    if impression:
        out.append(text(IMPRESSION, impression))
    return out


def row(site: str, label: str, side: str | None = None, group: str | None = None, **values: float) -> Row:
    """A region as printed (`label`: `L2`, `L2-L4`, `Neck`) in scan container `group`, with its values."""
    ends = [int(x) for x in re.findall(r"L(\d)", label)] if site == "lumbar_spine" else []
    vertebrae = [f"L{v}" for v in range(ends[0], ends[-1] + 1)] if ends else []
    return Row(site, label, side, group, vertebrae=vertebrae, values=values)


def spine_rows(group: str, t: list[float], total: float, z_total: float) -> list[Row]:
    """Single vertebrae L1..L4 (T-scores `t`) and the L1-L4 total, as Hologic prints them."""
    rows = [row("lumbar_spine", f"L{i}", None, group, bmd=round(0.94 + 0.11 * ti, 3), t_score=ti)
            for i, ti in enumerate(t, 1)]
    return [*rows, row("lumbar_spine", "L1-L4", None, group, bmd=round(0.94 + 0.11 * total, 3), bmc=52.3,
                       area=61.8, t_score=total, z_score=z_total)]


def femur_rows(group: str, side: str, neck: float, total: float, more: bool = False) -> list[Row]:
    """Neck and total (plus trochanter, intertrochanter and Ward's when `more`) of one femur."""
    rows = [row("femoral_neck", "Neck", side, group, bmd=round(0.86 + 0.12 * neck, 3), t_score=neck,
                z_score=round(neck + 1.1, 1))]
    if more:
        rows += [row("trochanter", "Troch", side, group, bmd=0.561, t_score=-1.9),
                 row("intertrochanter", "Inter", side, group, bmd=0.902, t_score=-1.7)]
    rows.append(row("total_hip", "Total", side, group, bmd=round(0.94 + 0.12 * total, 3), t_score=total,
                    z_score=round(total + 1.0, 1)))
    if more:
        rows.append(row("wards", "Ward's", side, group, bmd=0.401, t_score=-3.1))
    return rows


def build_cases() -> list[Case]:
    cases = []

    # 1. Hologic Enhanced SR, container per region, private codes, {T-score}. Woman 67, status not
    # stated: ≥ 50 is treated as postmenopausal → T-scores. Diagnostic sites: L1-L4 -2.1, neck -2.6,
    # total hip -2.0 (Ward's -3.1 never counts) → neck -2.6 ≤ -2.5 → osteoporosis, M81.0. Indication text
    # names "postmenopausal" (Z78.0) then "prednisone" (Z79.52). Axial only → 77080. Nothing to review.
    # The header names the referring and the requesting (ordering) physician: HL7 PV1-8, ORC-12,
    # OBR-16, FT1-21.
    p = Patient("hologic-sr-spine-hip", "F", 67.0, "20240312", referring="SYNTHETIC^REFERRER^^DR",
                requesting="SYNTHETIC^ORDERER^A^^MD")
    rows = [*spine_rows("AP Spine", [-2.0, -2.1, -2.2, -2.0], -2.1, -0.6),
            *femur_rows("Left Femur", "left", -2.6, -2.0, more=True)]
    ind = "Postmenopausal. Long-term prednisone for polymyalgia rheumatica."
    imp = "Osteoporosis by WHO criteria; lowest T-score -2.6 at the left femoral neck."
    cases.append(Case(
        p.key, "Hologic-like Enhanced SR: container per region, private 99HOLOGIC codes, {T-score}, "
        "single vertebrae, Ward's lowest but never diagnostic", p, "hologic",
        {"sr": sr(p, "hologic", [*rows_containers(rows, HOLOGIC_NAMES), *statements(ind, imp)])},
        rows=rows, scans=["spine", "hip"], extra={"indications": [ind], "impression": imp},
        coding={"cpt": [cpt("77080", "axial DXA (spine, hip), no VFA")], "category": "osteoporosis",
                "basis": basis("t", "femoral_neck", "left", "Neck", -2.6),
                "icd10": [icd("M81.0", "osteoporosis, no current fracture"),
                          icd("Z78.0", "indication: postmenopausal"),
                          icd("Z79.52", "indication: long-term systemic steroids (prednisone)")]}))

    # 2. GE-like Comprehensive SR: LOINC codes + finding-site/laterality modifiers, {T-Score} (capital S),
    # unicode name and impression, hips before spine, dual hip with mean rows. Age from birth date:
    # 1966-02-10 → 2024-04-18 = 21252 days / 365.25 = 58.2. Woman ≥ 50 → T. Diagnostic: L1-L4 -0.7,
    # necks -1.6 L / -1.3 R, totals -1.0 / -0.8 (mean rows are for monitoring) → left neck -1.6 →
    # low bone mass; only the hip region is low → M85.852 (left thigh). Anastrozole → Z79.811. 77080.
    p = Patient("ge-sr-dual-hip", "F", 58.2, "20240418", birth_date="19660210", name="SYNTHETIC^ZOË^MÜLLER",
                issuer="SYNTHETIC HOSPITAL", serial="ME+200457")
    rows = [row("femoral_neck", "Femoral Neck", "left", bmd=0.702, t_score=-1.6, z_score=-0.4),
            row("femoral_neck", "Femoral Neck", "right", bmd=0.735, t_score=-1.3, z_score=-0.1),
            row("femoral_neck", "Femoral Neck", "mean", bmd=0.719, t_score=-1.5, z_score=-0.3),
            row("total_hip", "Total Hip", "left", bmd=0.861, t_score=-1.0, z_score=0.1),
            row("total_hip", "Total Hip", "right", bmd=0.880, t_score=-0.8, z_score=0.3),
            row("total_hip", "Total Hip", "mean", bmd=0.871, t_score=-0.9, z_score=0.2),
            row("lumbar_spine", "L1-L4", bmd=1.102, bmc=60.5, area=54.9, t_score=-0.7, z_score=0.5)]
    ind = "Breast cancer on anastrozole."
    imp = "Low bone mass (osteopenia) at the left femoral neck, T-score −1.6."
    ref = "USA (Combined NHANES/Lunar)"
    cases.append(Case(
        p.key, "GE-like Comprehensive SR: LOINC + finding site/laterality modifiers, UCUM {T-Score}, "
        "dual hip with mean, hips before spine, unicode, age from birth date", p, "ge-lunar",
        {"sr": sr(p, "ge-lunar", [*rows_loinc(rows), *statements(ind, imp, reference=ref)],
                  comprehensive=True)},
        rows=rows, scans=["spine", "hip"], extra={"indications": [ind], "impression": imp, "reference": ref},
        coding={"cpt": [cpt("77080", "axial DXA (spine, dual hip), no VFA")], "category": "low_bone_mass",
                "basis": basis("t", "femoral_neck", "left", "Femoral Neck", -1.6),
                "icd10": [icd("M85.852", "low bone mass, left thigh (deciding site left femoral neck)"),
                          icd("Z79.811", "indication: aromatase inhibitor (anastrozole)")]}))

    # 3. GE enCORE names (YA T-Score, AM Z-Score, units "1") in containers; spine, left hip and left
    # forearm. Man 63 → T. L1-L4 -1.5, neck -1.9, total -1.4, 33% radius -2.7 (counts: the report holds
    # it), UD radius -2.9 never counts → 33% radius -2.7 → osteoporosis, M81.0; hyperparathyroidism →
    # E21.0. Axial + peripheral the same day → 77080 with XU (Medicare default) + 77081.
    p = Patient("ge-sr-forearm", "M", 63.0, "20240605")
    rows = [row("lumbar_spine", "L1-L4", None, "AP Spine", bmd=1.021, t_score=-1.5, z_score=-0.9,
                young_adult_percent=85.0, age_matched_percent=91.0),
            row("femoral_neck", "Neck", "left", "Left Femur", bmd=0.802, t_score=-1.9, z_score=-1.2),
            row("total_hip", "Total", "left", "Left Femur", bmd=0.871, t_score=-1.4, z_score=-0.8),
            row("radius_33", "Radius 33%", "left", "Left Forearm", bmd=0.701, t_score=-2.7, z_score=-1.9),
            row("radius_ud", "Radius UD", "left", "Left Forearm", bmd=0.321, t_score=-2.9),
            row("radius_total", "Radius Total", "left", "Left Forearm", bmd=0.552, t_score=-2.6)]
    ind = "Primary hyperparathyroidism."
    cases.append(Case(
        p.key, "GE enCORE names in containers (YA T-Score, AM Z-Score, YA %, units 1), forearm 33% radius, "
        "axial + peripheral", p, "ge-lunar",
        {"sr": sr(p, "ge-lunar", [*rows_containers(rows, GE_NAMES), *statements(ind)])},
        rows=rows, scans=["spine", "hip", "forearm"], extra={"indications": [ind]},
        coding={"cpt": [cpt("77080", "axial DXA; XU: distinct from the peripheral study (CMS 10193)", ["XU"]),
                        cpt("77081", "peripheral DXA (forearm) the same day")],
                "category": "osteoporosis", "basis": basis("t", "radius_33", "left", "Radius 33%", -2.7),
                "icd10": [icd("M81.0", "osteoporosis (33% radius -2.7 counted: the report holds it)"),
                          icd("E21.0", "indication: primary hyperparathyroidism")]}))

    # 4. Hologic SR with VFA (T12 grade 2, stated new), TBS and FRAX. Woman 71 → T. L1-L4 -2.7 (only the
    # total printed), neck -2.3, total -1.9 → spine -2.7 → osteoporosis with an acute vertebral fracture →
    # M80.08XA first (replaces M81.0), postmenopausal → Z78.0. Axial + VFA → 77085; TBS → 77089.
    p = Patient("hologic-sr-vfa-tbs-frax", "F", 71.0, "20240722")
    rows = [row("lumbar_spine", "L1-L4", None, "AP Spine", bmd=0.643, t_score=-2.7, z_score=-1.1),
            *femur_rows("Left Femur", "left", -2.3, -1.9)]
    vfa = container(code("IVA", "99HOLOGIC", "IVA"), [container(local("T12"), [
        num(code("GENANT", "99HOLOGIC", "Genant Grade"), 2, ucum("1")),
        coded(code("NEWFX", "99HOLOGIC", "New Fracture"), YES)])])
    tbs = container(code("TBS", "99HOLOGIC", "TBS"), [container(local("L1-L4"), [
        num(code("TBS", "99HOLOGIC", "TBS"), 1.21, ucum("1"))])])
    frax = container(code("FRAX", "99HOLOGIC", "FRAX"), [
        num(code("FRAX-MOF", "99HOLOGIC", "Major Osteoporotic Fracture"), 18.0, ucum("%")),
        num(code("FRAX-HIP", "99HOLOGIC", "Hip Fracture"), 3.1, ucum("%"))])
    ind = "Postmenopausal; back pain."
    cases.append(Case(
        p.key, "Hologic SR with VFA fracture (grade 2, new), TBS and FRAX", p, "hologic",
        {"sr": sr(p, "hologic", [*rows_containers(rows, HOLOGIC_NAMES), vfa, tbs, frax, *statements(ind)])},
        rows=rows, scans=["spine", "hip", "vfa"],
        extra={"indications": [ind], "tbs": {"value": 1.21}, "frax": {"major": 18.0, "hip": 3.1},
               "vfa": {"performed": True, "fractures": [{"vertebra": "T12", "grade": 2, "acute": True}]}},
        coding={"cpt": [cpt("77085", "axial DXA with VFA the same day"), cpt("77089", "TBS reported")],
                "category": "osteoporosis", "basis": basis("t", "lumbar_spine", None, "L1-L4", -2.7),
                "icd10": [icd("M80.08XA", "osteoporosis with a new vertebral fracture on VFA (T12)"),
                          icd("Z78.0", "indication: postmenopausal")]}))

    # 5. Hologic SR with an excluded vertebra: L1 -0.6 jumps 1.3 to L2 -1.9, L1 is marked excluded and the
    # report prints L2-L4 (-2.0) besides L1-L4 (-1.7). Menopausal status stated (post). → use L2-L4 -2.0;
    # hips normal (neck -0.9, total -0.6) → low bone mass at the spine → M85.88, Z78.0. 77080.
    p = Patient("hologic-sr-excluded-l1", "F", 62.0, "20240830")
    rows = spine_rows("AP Spine", [-0.6, -1.9, -2.0, -2.2], -1.7, -0.8)
    rows[0].excluded = True
    rows += [row("lumbar_spine", "L2-L4", None, "AP Spine", bmd=0.72, t_score=-2.0, z_score=-1.0),
             *femur_rows("Left Femur", "left", -0.9, -0.6)]
    ind = "Postmenopausal woman."
    post = code("HOL-POST", "99HOLOGIC", "Postmenopausal")
    cases.append(Case(
        p.key, "Hologic SR: L1 excluded (T jump > 1.0), printed L2-L4 range, menopausal status stated", p,
        "hologic",
        {"sr": sr(p, "hologic", [*rows_containers(rows, HOLOGIC_NAMES), *statements(ind, menopause=post)])},
        rows=rows, scans=["spine", "hip"], extra={"indications": [ind], "menopausal_status": "post"},
        coding={"cpt": [cpt("77080", "axial DXA, no VFA")], "category": "low_bone_mass",
                "basis": basis("t", "lumbar_spine", None, "L2-L4", -2.0),
                "icd10": [icd("M85.88", "low bone mass, lumbar spine (L2-L4: L1 excluded)"),
                          icd("Z78.0", "indication: postmenopausal")]}))

    # 6. Premenopausal woman 42 (stated) → Z-scores, not T: L1-L4 Z -2.2 (T -2.6 would read as
    # osteoporosis), neck Z -1.5, total Z -1.2 → below expected range for age → M85.88 and a flag.
    p = Patient("hologic-sr-premenopausal", "F", 42.0, "20240903")
    rows = [row("lumbar_spine", "L1-L4", None, "AP Spine", bmd=0.701, t_score=-2.6, z_score=-2.2),
            row("femoral_neck", "Neck", "right", "Right Femur", bmd=0.702, t_score=-1.8, z_score=-1.5),
            row("total_hip", "Total", "right", "Right Femur", bmd=0.781, t_score=-1.5, z_score=-1.2)]
    ind = "Amenorrhea; anorexia nervosa."
    pre = code("HOL-PRE", "99HOLOGIC", "Premenopausal")
    cases.append(Case(
        p.key, "Premenopausal woman (stated): Z-scores decide; right hip", p, "hologic",
        {"sr": sr(p, "hologic", [*rows_containers(rows, HOLOGIC_NAMES), *statements(ind, menopause=pre)])},
        rows=rows, scans=["spine", "hip"], extra={"indications": [ind], "menopausal_status": "pre"},
        coding={"cpt": [cpt("77080", "axial DXA, no VFA")], "category": "below_expected_range_for_age",
                "basis": basis("z", "lumbar_spine", None, "L1-L4", -2.2),
                "icd10": [icd("M85.88", "below expected range for age, lumbar spine")],
                "flags": [flag("below_expected_range", "Z-score -2.2 is below the expected range for age")]}))

    # 7. Flat GE SR whose names carry the region ("L1-L4 BMD", "Left Neck YA T-Score"). Man 55 → T:
    # L1-L4 0.3, neck -0.5, total hip -0.2 → normal (basis the lowest, neck -0.5). No indication →
    # Z13.820 alone, flagged (Medicare denies it alone). 77080.
    p = Patient("ge-sr-normal-male", "M", 55.0, "20241011")
    rows = [row("lumbar_spine", "L1-L4", bmd=1.251, t_score=0.3, z_score=0.4),
            row("femoral_neck", "Left Neck", "left", bmd=0.985, t_score=-0.5, z_score=0.1),
            row("total_hip", "Left Total Hip", "left", bmd=1.012, t_score=-0.2, z_score=0.2)]
    cases.append(Case(
        p.key, "Flat SR with the region in the concept name (L1-L4 BMD, Left Neck YA T-Score), units 1", p,
        "ge-lunar", {"sr": sr(p, "ge-lunar", rows_prefixed(rows, GE_NAMES))}, rows=rows,
        scans=["spine", "hip"],
        coding={"cpt": [cpt("77080", "axial DXA, no VFA")], "category": "normal",
                "basis": basis("t", "femoral_neck", "left", "Left Neck", -0.5),
                "icd10": [icd("Z13.820", "screening; no finding and no indication in the report")],
                "flags": [flag("screening_code_alone", "normal, no indication: Z13.820 alone is denied")]}))

    # 8. Hologic SC images only (AP spine + left hip): scans known, no scores → 77080, indeterminate.
    p = Patient("hologic-images-spine-hip", "F", 66.0, "20241104")
    cases.append(Case(
        p.key, "Hologic Secondary Capture images only (LSPINE, HIP L): scans without scores", p, "hologic",
        {"spine.dcm": hologic_sc(p, "img1", "LSPINE", series="AP Lumbar Spine"),
         "hip.dcm": hologic_sc(p, "img2", "HIP", "L", series="Left Hip")},
        scans=["spine", "hip"],
        coding={"cpt": [cpt("77080", "axial DXA images (spine, hip)")], "category": "indeterminate",
                "flags": [NO_SCORE]}))

    # 9. Hologic study: SR + AP spine SC + hip SC + IVA (16-bit SC, LSPINE, series "IVA") + GSPS. Woman
    # 74 → T: L1-L4 -1.8, neck -2.4, total -2.1 → neck -2.4 → low bone mass in spine and hip → M85.89.
    # IVA performed (no fracture reported) with the axial study → 77085.
    p = Patient("hologic-study-sr-iva", "F", 74.0, "20241120")
    rows = [row("lumbar_spine", "L1-L4", None, "AP Spine", bmd=0.742, t_score=-1.8, z_score=0.1),
            *femur_rows("Left Femur", "left", -2.4, -2.1)]
    cases.append(Case(
        p.key, "Hologic study folder: SR + SC images + IVA (16-bit LSPINE, series IVA) + GSPS", p, "hologic",
        {"sr.dcm": sr(p, "hologic", rows_containers(rows, HOLOGIC_NAMES)),
         "spine.dcm": hologic_sc(p, "img1", "LSPINE", series="AP Lumbar Spine"),
         "hip.dcm": hologic_sc(p, "img2", "HIP", "L", series="Left Hip"),
         "iva.dcm": hologic_sc(p, "img3", "LSPINE", series="IVA", bits=16),
         "iva-ps.dcm": hologic_gsps(p, "ps1")},
        rows=rows, scans=["spine", "hip", "vfa"], extra={"vfa": {"performed": True, "fractures": []}},
        coding={"cpt": [cpt("77085", "axial DXA with IVA (VFA) the same day")], "category": "low_bone_mass",
                "basis": basis("t", "femoral_neck", "left", "Neck", -2.4),
                "icd10": [icd("M85.89", "low bone mass in more than one region (spine and hip)")]}))

    # 10. GE CR images only: AP Spine + Left Femur + LVA → axial + VFA → 77085; no scores → indeterminate.
    p = Patient("ge-image-only-vfa", "F", 70.0, "20241203")
    cases.append(Case(
        p.key, "GE Lunar CR images only: AP Spine, Left Femur, LVA", p, "ge-lunar",
        {"spine.dcm": ge_cr(p, "img1", "AP Spine", "SYN0001.dfc"),
         "femur.dcm": ge_cr(p, "img2", "Left Femur", "SYN0001.dfe"),
         "lva.dcm": ge_cr(p, "img3", "LVA", "SYN0001.dfv")},
        scans=["spine", "hip", "vfa"], extra={"vfa": {"performed": True, "fractures": []}},
        coding={"cpt": [cpt("77085", "axial DXA (spine, femur) with LVA the same day")],
                "category": "indeterminate", "flags": [NO_SCORE]}))

    # 11. GE CR: AP Spine + a research protocol "Left Ortho Knee" → spine billed (77080), knee unknown →
    # unrecognized and flagged, besides the missing scores.
    p = Patient("ge-images-ortho-knee", "M", 59.0, "20241210")
    cases.append(Case(
        p.key, "GE CR with an unknown protocol (Left Ortho Knee) besides AP Spine", p, "ge-lunar",
        {"spine.dcm": ge_cr(p, "img1", "AP Spine", "SYN0002.dfc"),
         "knee.dcm": ge_cr(p, "img2", "Left Ortho Knee", "SYN0002.dfk")},
        scans=["spine"], extra={"unrecognized": ["Left Ortho Knee"]},
        coding={"cpt": [cpt("77080", "axial DXA image (spine)")], "category": "indeterminate",
                "flags": [NO_SCORE, flag("unknown_scan_or_site", "scan type not known: Left Ortho Knee")]}))

    # 12. One GE CR Total Body image: not a bone density study for coding → no CPT line, flagged.
    p = Patient("ge-image-total-body", "M", 45.0, "20250108")
    cases.append(Case(
        p.key, "Single GE CR Total Body image: no billable DXA study", p, "ge-lunar",
        {"tb.dcm": ge_cr(p, "img1", "Total Body", "SYN0003.dfb")}, scans=["total_body"],
        coding={"cpt": [], "category": "indeterminate",
                "flags": [NO_SCORE, flag("no_billable_study", "total body alone is not billable as DXA")]}))

    # 13. One Hologic SC forearm image (ARM, L): peripheral → 77081; no scores → indeterminate.
    p = Patient("hologic-image-forearm", "F", 61.0, "20250115")
    cases.append(Case(
        p.key, "Single Hologic SC forearm image (ARM, Laterality L)", p, "hologic",
        {"arm.dcm": hologic_sc(p, "img1", "ARM", "L", series="Left Forearm")}, scans=["forearm"],
        coding={"cpt": [cpt("77081", "peripheral DXA image (forearm)")], "category": "indeterminate",
                "flags": [NO_SCORE]}))
    return cases


# ---- writing -----------------------------------------------------------------------------------
def expected(case: Case, rel: str, sha256: str, kind: str) -> dict:
    p = case.patient
    some = next(iter(case.objects.values()))
    findings = {
        "source": {"path": rel, "kind": kind, "vendor": case.vendor, "sha256": sha256},
        "patient": {"sex": p.sex, "age_years": p.age_years, "id": f"SYN-{p.key}",
                    "menopausal_status": case.extra.get("menopausal_status"), "id_issuer": p.issuer,
                    "birth_date": p.birth_date and dt.datetime.strptime(p.birth_date, "%Y%m%d").date()},
        "exam": {"date": dt.datetime.strptime(p.study_date, "%Y%m%d").date(),
                 "study_uid": uid(f"{p.key}/study"), "accession": some.AccessionNumber,
                 "referring_physician": p.referring, "ordering_physician": p.requesting,
                 "device": f"{some.Manufacturer} {some.ManufacturerModelName}", "device_serial": p.serial,
                 "scans": case.scans, "reference": case.extra.get("reference"),
                 "unrecognized": case.extra.get("unrecognized", []), "doubts": []},
        "measurements": [r.expected() for r in case.rows],
        **{k: case.extra[k] for k in ("vfa", "tbs", "frax", "indications", "impression") if k in case.extra},
    }
    coding = {"basis": None, "icd10": [], "flags": [], **case.coding}
    coding["needs_review"] = bool(coding["flags"])
    return ExamResult(**findings, coding=coding).to_json_dict()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_case(case: Case, out: Path) -> None:
    """The sample's object(s) and expected JSON into `out` (source paths always name samples/dicom/)."""
    if case.folder:
        folder = out / case.name
        shutil.rmtree(folder, ignore_errors=True)
        for name, ds in case.objects.items():
            save(ds, folder / name)
        rel, kind = f"samples/dicom/{case.name}", "dicom-study"
        hashes = sorted(sha256(folder / name) for name in case.objects)
        digest = hashlib.sha256("\n".join(hashes).encode()).hexdigest()  # = read.files.sha256_of_hashes
    else:
        path = out / f"{case.name}.dcm"
        save(next(iter(case.objects.values())), path)
        rel, digest = f"samples/dicom/{case.name}.dcm", sha256(path)
        kind = "dicom-sr" if case.rows else "dicom-image"
    written = out / case.name if case.folder else out / f"{case.name}.dcm"
    want = checked_output(written, rel, expected(case, rel, digest, kind))
    (out / f"{case.name}.expected.json").write_text(
        json.dumps(want, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


BEGIN, END = "<!-- dicom samples: generated by samples/generate_dicom.py -->", "<!-- end dicom samples -->"


def readme_table(cases: list[Case]) -> str:
    lines = [BEGIN, "| DICOM sample | what it exercises | expected CPT | expected category |",
             "|---|---|---|---|"]
    for c in cases:
        path = f"dicom/{c.name}/" if c.folder else f"dicom/{c.name}.dcm"
        codes = " + ".join("-".join([x["code"], *x["modifiers"]]) for x in c.coding["cpt"]) or "none"
        lines.append(f"| `{path}` | {c.exercises} | {codes} | {c.coding['category']} |")
    return "\n".join([*lines, END])


def write_readme(cases: list[Case]) -> None:
    table = readme_table(cases)
    current = README.read_text(encoding="utf-8") if README.exists() else (
        "# Samples\n\nSynthetic example reports (no real patient data). Next to each input, "
        "`<name>.expected.json` is the full output of `dxaparse code samples/<kind>/<name>` run from the "
        "repository root.\n\n## DICOM\n\nRegenerate with `.venv/bin/python samples/generate_dicom.py`."
        "\n\n")
    if BEGIN in current and END in current:
        current = current[:current.index(BEGIN)] + table + current[current.index(END) + len(END):]
    else:
        current = current.rstrip("\n") + "\n\n" + table + "\n"
    README.write_text(current, encoding="utf-8")


def main(argv: list[str]) -> None:
    """Write into samples/dicom/ and update samples/README.md, or only write into the folder given."""
    out = Path(argv[0]) if argv else OUT
    cases = build_cases()
    out.mkdir(parents=True, exist_ok=True)
    for case in cases:
        write_case(case, out)
    if not argv:
        write_readme(cases)
    print(f"wrote {len(cases)} DICOM samples to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
