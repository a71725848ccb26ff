"""DICOM inputs: read each object, then assemble one `Findings` per study (StudyInstanceUID).

A DXA exam arrives as several objects — an SR with the scores, images that show which scans were done,
presentation states, the printed report as Encapsulated PDF or as a page image (Secondary Capture, read
by OCR) — so objects are read one by one and merged per study: the scores of the SRs (or, without an SR,
of the report pages; never both, which would count every region twice) plus the scan types seen in the
images. One study gives one exam, because two would post its charges twice.

A study survives one bad object: a report object of the study (SR, report page, Encapsulated PDF) that
cannot be read — OCR off, a page OCR cannot read, an SR with nothing usable — is named in the exam's
`doubts` with its reason (a review flag) and the study is coded from the rest; the images alone say
which scans were done, which is what the CPT lines need. Only objects that are not DXA at all, or
unreadable as DICOM, or a study with nothing left, become an `InputError` (exit status 2).

Damage (`truncation.structure`: an element header no sound file holds) never codes silently: a damaged
object is read as far as it can be, with a `damaged` doubt (flag `damaged_input`), or refused as
damaged (`DamagedInput`) when nothing trustworthy is left; a DXA object cut short is an error of its
own and, when its study is coded from the others, a `damaged` doubt of that study.

Objects of one study that name different patients or dates are merged all the same, one value carried
and the disagreement in `doubts` (`identity`), for billing to hold the claim.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException
from pydicom.uid import UID

from ...errors import InputError
from ...models import Doubt, DoubtReason, Exam, Findings, Patient, Scan, Source, Vfa
from ...quiet import captured
from ..damaged import DamagedInput
from ..files import sha256_file, sha256_of_hashes
from ..options import DEFAULTS, ReadOptions
from .header import exam_of, patient_of, text, vendor_of
from .identity import Identity, identity_of, study_doubts
from .image import IMAGE_CLASSES, PRESENTATION_STATES, is_dxa_object, read_image
from .pdf import read_encapsulated_pdf
from .report_page import is_report_page, read_report_page
from .sr import SR_CLASSES, read_sr
from .truncation import Structure, structure

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
ENCAPSULATED_PDF_CLASS = "1.2.840.10008.5.1.4.1.1.104.1"
VR_SWITCH = re.compile(r"Expected (explicit|implicit) VR, but found (explicit|implicit) VR")
"""pydicom's warning when a dataset's VR encoding is not its transfer syntax's."""
DEFER_SIZE = "16 KB"  # private scan files (Hologic P/R files, enCORE raw) are skipped, never loaded


_VALID_UID = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_PRIORITY = {"sr": 0, "report": 1, "image": 2, "companion": 3, "failed": 4}
_RESULTS = {"sr", "report", "image"}   # kinds that can carry an exam on their own


@dataclass
class _Object:
    path: Path
    sha256: str
    kind: str          # sr | report | image | companion (a presentation state: part of a study, no results)
    sop_name: str      # | failed (a report object that could not be read: `error` says why)
    findings: Findings
    identity: Identity   # the header's (a report's gaps filled from its page), compared among the objects
    error: InputError | None = None
    damaged: bool = False   # the file is damaged (`truncation.structure`): said in `error` or `doubts`
    cut: bool = False       # cut short: an error of its own (exit status 2), and a doubt of its study


def _sop_class(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    return text(ds, "SOPClassUID") or (text(meta, "MediaStorageSOPClassUID") if meta else None) or ""


def _read_header(path: Path) -> tuple[Dataset, Structure]:
    """The dataset up to the pixel data, and whether the file is complete and sound
    (`truncation.structure`); an `InputError` when not even the header can be read."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path, stop_before_pixels=True, defer_size=DEFER_SIZE, force=True)
    except RecursionError:  # pydicom reads nested sequences recursively, as the truncation walk does
        raise InputError(path, "unreadable DICOM (sequences nested too deep)") from None
    except Exception as err:  # whatever pydicom trips on, the file is unreadable
        found = structure(path, implicit=False, little=True)
        if found.damaged and not found.truncated:
            raise DamagedInput(path, f"damaged DICOM: {found.damaged}") from None
        raise InputError(path, f"truncated DICOM: {found.truncated}" if found.truncated
                         else f"unreadable DICOM ({type(err).__name__} in the header)") from None
    if _sop_class(ds) == DICOMDIR_CLASS:
        raise InputError(path, "DICOMDIR (media directory), not a report")
    meta = getattr(ds, "file_meta", None)
    tsyntax = UID(text(meta, "TransferSyntaxUID") or "") if meta else UID("")
    if tsyntax.is_transfer_syntax and tsyntax.is_deflated:  # a deflated dataset cannot be walked
        return ds, Structure(None, None, True)
    implicit, little = ds.original_encoding
    switch = next((m for w in caught if (m := VR_SWITCH.match(str(w.message)))), None)
    if switch is None:
        return ds, structure(path, bool(implicit), little is not False)
    # not encoded as its transfer syntax says: walked as pydicom read it, and damaged all the same
    expected, seen = switch.groups()
    found = structure(path, seen == "implicit", little is not False)
    return ds, Structure(found.truncated, found.damaged or f"its transfer syntax says {expected} VR, but the "
                                                          f"dataset is {seen} VR", found.pixels)


def _read_object(path: Path, options: ReadOptions, sha256: str | None) -> _Object:
    """The object read, its header first. A damaged object is read as far as pydicom can, with a
    `damaged` doubt (flag `damaged_input`); one that yields nothing, or whose reading fails, is refused
    as damaged, with where the damage is. A DXA object cut short is kept as a `failed` object of its
    study, whose coding then says that it lacks it."""
    with captured():
        ds, found = _read_header(path)
        if found.truncated or (_sop_class(ds) in IMAGE_CLASSES and not found.pixels and not found.damaged):
            why = found.truncated or "image without pixel data"
            return _incomplete(path, ds, sha256, DamagedInput(path, f"truncated DICOM: {why}"))
        damage = found.damaged
        try:
            obj = _dxa_object(path, ds, options, sha256)
        except BytesLengthException:  # a value of the wrong size, met when it is first read
            if damage is not None:
                raise DamagedInput(path, f"damaged DICOM: {damage}") from None
            raise InputError(path, "unreadable DICOM (a value of the wrong length)") from None
        except InputError as err:
            if damage is None:
                raise
            raise DamagedInput(path, f"damaged DICOM: {damage}; {err.reason}") from None
        except Exception:
            if damage is None:
                raise
            raise DamagedInput(path, f"damaged DICOM: {damage}") from None
    if damage is not None:
        obj.damaged = True
        if obj.error is not None:
            obj.error = DamagedInput(path, f"damaged DICOM: {damage}; {obj.error.reason}")
        obj.findings.exam.doubts = [*obj.findings.exam.doubts, Doubt(
            field="source", reason=DoubtReason.DAMAGED,
            detail=f"damaged DICOM: {damage}; what could be read from it is coded")]
    return obj


def _incomplete(path: Path, ds: Dataset, sha256: str | None, err: DamagedInput) -> _Object:
    """A DXA object cut short, as a `failed` object of its study (the header names the study), so that
    the study coded without it is flagged; `err` itself when the object is no DXA object or not even its
    header can be used. Its error is reported as well: an unreadable file is an error (exit status 2)."""
    sop, vendor = _sop_class(ds), vendor_of(ds)
    ours = sop in SR_CLASSES or sop == ENCAPSULATED_PDF_CLASS or (
        (sop in IMAGE_CLASSES or sop in PRESENTATION_STATES) and is_dxa_object(ds, vendor))
    if not ours:
        raise err
    try:
        findings = Findings(source=Source(path=str(path), kind="dicom-image", vendor=vendor, sha256=""),
                            patient=patient_of(ds), exam=exam_of(ds))
        identity = identity_of(ds)
    except Exception:  # a header value lost with the end of the file
        raise err from None
    return _Object(path, sha256 or sha256_file(path), "failed", UID(sop).name, findings, identity, err,
                   damaged=True, cut=True)


def _dxa_object(path: Path, ds: Dataset, options: ReadOptions, sha256: str | None) -> _Object:
    """The object's own findings, or why it is not a DXA object."""
    sop = _sop_class(ds)
    if not sop:
        raise InputError(path, "unreadable DICOM (no SOP class)")
    sop_name = UID(sop).name
    vendor = vendor_of(ds)
    findings = Findings(source=Source(path=str(path), kind="dicom-image", vendor=vendor, sha256=""),
                        patient=patient_of(ds), exam=exam_of(ds))
    if sop in SR_CLASSES or sop == ENCAPSULATED_PDF_CLASS or (
            sop in IMAGE_CLASSES and is_report_page(ds, vendor)):
        return _report_object(path, ds, sop, sop_name, findings, options, sha256)
    if sop in IMAGE_CLASSES and is_dxa_object(ds, vendor):
        kind = "image"
        image = read_image(ds, vendor)
        findings.exam.scans = [image.scan] if image.scan else []
        findings.exam.unrecognized = [image.unrecognized] if image.unrecognized else []
        findings.vfa.performed = image.scan is Scan.VFA
    elif sop in PRESENTATION_STATES and is_dxa_object(ds, vendor):
        kind = "companion"
    else:
        raise InputError(path, f"not a DXA object: {sop_name}")
    return _Object(path, sha256 or sha256_file(path), kind, sop_name, findings, identity_of(ds))


def _report_object(path: Path, ds: Dataset, sop: str, sop_name: str, findings: Findings,
                   options: ReadOptions, sha256: str | None) -> _Object:
    """An SR, report page or Encapsulated PDF; one that cannot be read is kept as a `failed` object
    with its header, so that its study can still be coded from the other objects."""
    identity = identity_of(ds)
    try:
        if sop in SR_CLASSES:
            kind = "sr"
            _add_sr(path, ds, findings.source.vendor, findings)
        else:
            kind = "report"   # a rendered page (read by OCR) ranks with an Encapsulated PDF
            findings = (read_encapsulated_pdf(path, ds, options) if sop == ENCAPSULATED_PDF_CLASS
                        else read_report_page(path, ds, options))
            identity = identity.with_page(findings)
    except InputError as err:
        damaged = isinstance(err, DamagedInput) or any(d.reason is DoubtReason.DAMAGED
                                                      for d in findings.exam.doubts)
        return _Object(path, sha256 or sha256_file(path), "failed", sop_name, findings, identity, err,
                       damaged)
    return _Object(path, sha256 or sha256_file(path), kind, sop_name, findings, identity)


def _add_sr(path: Path, ds: Dataset, vendor: str, findings: Findings) -> None:
    sr = read_sr(ds, vendor)
    if not sr.has_results:  # the refusals say why better than "no results" when there are some
        findings.exam.doubts = sr.doubts   # kept for the study: damage among them is said as such
        raise InputError(path, "; ".join(d.detail for d in sr.doubts)
                         or "not a DXA report: SR holds no bone density results")
    findings.source.kind = "dicom-sr"
    findings.measurements, findings.vfa = sr.measurements, sr.vfa
    findings.tbs, findings.frax = sr.tbs, sr.frax
    findings.indications, findings.impression = sr.indications, sr.impression
    findings.patient.menopausal_status = sr.menopausal_status
    findings.exam.reference = sr.reference
    findings.exam.scans = [s for s in Scan if s in sr.scans]
    findings.exam.unrecognized = sr.unrecognized
    findings.exam.doubts = [*findings.exam.doubts, *sr.doubts]   # the header's first


def _first(values):
    return next((v for v in values if v is not None), None)


def _merge(objects: list[_Object], root: Path | None) -> Findings:
    """One exam from the objects of one study: SR results first, scans and header gaps from images."""
    if len(objects) == 1:
        only = objects[0]
        only.findings.source.sha256 = only.sha256
        return only.findings
    path = str(root) if root is not None else str(objects[0].path)
    objects = sorted(objects, key=lambda o: _PRIORITY[o.kind])  # stable: SR, report, images
    for o in objects:
        if o.error is not None:
            # its header's doubts stay; its own reading's, superseded by the error's reason, go
            kept = [d for d in o.findings.exam.doubts if d.detail != o.error.reason]
            o.findings.exam.doubts = [*kept, Doubt(
                field="source", reason=DoubtReason.DAMAGED if o.damaged else DoubtReason.OBJECT_NOT_READ,
                detail=f"{o.sop_name} object not read, the exam is coded without it: {o.error.reason}")]
    parts = [o.findings for o in objects]
    scored = next(([o.findings for o in objects if o.kind == kind] for kind in ("sr", "report")
                   if any(o.findings.measurements for o in objects if o.kind == kind)), [])
    scans = {s for f in parts for s in f.exam.scans}
    patient = Patient(**{k: _first(getattr(f.patient, k) for f in parts) for k in Patient.model_fields})
    exam = Exam(**{k: _first(getattr(f.exam, k) for f in parts)
                   for k in ("date", "study_uid", "device", "device_serial", "accession",
                             "referring_physician", "ordering_physician", "reference")},
                scans=[s for s in Scan if s in scans],
                unrecognized=list(dict.fromkeys(u for f in parts for u in f.exam.unrecognized)))
    exam.doubts = list(dict.fromkeys([
        *(d for f in parts for d in f.exam.doubts),
        *study_doubts([(o.sop_name, o.identity) for o in objects], patient.id, exam.date)]))
    vfa = Vfa(performed=any(f.vfa.performed for f in parts),
              fractures=[x for f in (scored or parts) for x in f.vfa.fractures])
    vendor = next((f.source.vendor for f in parts if f.source.vendor != "unknown"), "unknown")
    return Findings(
        source=Source(path=path, kind="dicom-study", vendor=vendor,
                      sha256=sha256_of_hashes([o.sha256 for o in objects])),
        patient=patient, exam=exam, vfa=vfa,
        measurements=[m for f in scored for m in f.measurements],
        tbs=_first(f.tbs for f in parts), frax=_first(f.frax for f in parts),
        indications=list(dict.fromkeys(i for f in parts for i in f.indications)),
        impression=_first(f.impression for f in parts),
        history=next((f.history for f in parts if f.history), []))


def read_dicom(paths: list[Path], root: Path | None = None, *, options: ReadOptions = DEFAULTS,
               hashes: Mapping[Path, str] | None = None) -> Iterator[Findings | InputError]:
    """Each study among `paths` as one `Findings`; each unreadable or non-DXA object as an `InputError`.

    `root` is the folder the paths were found in (the source path of a multi-object study); `options`
    go to the PDF reader for Encapsulated PDF reports and to the OCR of report pages sent as images.
    """
    studies: dict[str, list[_Object]] = {}
    strays: list[_Stray] = []
    for path in paths:
        try:
            obj = _read_object(path, options, (hashes or {}).get(path))
        except InputError as err:
            yield err
            if (peeked := _peek(path)) != DICOMDIR_CLASS:
                strays.append(_Stray(peeked, path, err))
            continue
        if obj.cut and obj.error is not None:
            yield obj.error
        if not obj.findings.exam.study_uid and obj.kind in _RESULTS:
            unplaced = DamagedInput if obj.damaged else InputError
            strays.append(_Stray(None, path, obj.error or unplaced(path, "it names no study")))
        studies.setdefault(obj.findings.exam.study_uid or f"no study: {path}", []).append(obj)
    exams: list[Findings] = []
    for objects in studies.values():
        if not any(o.kind in _RESULTS for o in objects):  # nothing DXA left to code the study from
            for o in objects:
                if not o.cut:
                    yield o.error or InputError(o.path, f"not a DXA report: {o.sop_name} holds no results")
            continue
        exams.append(_merge(objects, root))
    yield from _same_day(_with_strays(exams, strays))


@dataclass(frozen=True)
class _Stray:
    """An object of the input that no study holds: refused (`error`), or read without a study UID.
    `study`: the StudyInstanceUID its header still gives, if any."""

    study: str | None
    path: Path
    error: InputError


def _peek(path: Path) -> str | None:
    """The StudyInstanceUID of an object that could not be read — or the DICOMDIR class for a media
    directory, which is no object of any study — as far as its header still gives it; else None."""
    try:
        with captured():
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True,
                                 specific_tags=["SOPClassUID", "MediaStorageSOPClassUID", "StudyInstanceUID"])
        if _sop_class(ds) == DICOMDIR_CLASS:
            return DICOMDIR_CLASS
        uid = str(ds.get("StudyInstanceUID") or "")
    except Exception:
        return None
    return uid if _VALID_UID.fullmatch(uid) else None


def _with_strays(exams: list[Findings], strays: list[_Stray]) -> list[Findings]:
    """Each exam of a study that a stray object may belong to — its own, or any when its header names
    none — doubted: the exam may lack what that object held (a VFA image: 77080 where 77085 was due)."""
    for f in exams:
        if not f.exam.study_uid:
            continue
        own = Path(f.source.path)
        for stray in (s for s in strays if s.study in (None, f.exam.study_uid) and s.path != own):
            f.exam.doubts = [*f.exam.doubts, Doubt(
                field="source", reason=DoubtReason.DAMAGED if isinstance(stray.error, DamagedInput)
                else DoubtReason.OBJECT_NOT_READ,
                detail=f"an object of the input that {'may belong' if stray.study is None else 'belongs'} "
                       f"to this study was not coded with it: {stray.error.reason}")]
    return exams


def _same_day(exams: list[Findings]) -> list[Findings]:
    """Exams of one patient on one date, in one input, each doubted: the day's scans may be split
    between studies (a VFA sent as a study of its own, or an object whose study UID was damaged), and
    the date of service is billed as one — an axial study and a VFA are one 77085, never 77080 + 77086
    (docs/coding.md §1). Which scans belong together is for a person to say, not for the reader to guess."""
    days: dict[tuple[str, object], int] = {}
    for f in exams:
        if f.patient.id and f.exam.date:
            days[(f.patient.id, f.exam.date)] = days.get((f.patient.id, f.exam.date), 0) + 1
    for f in exams:
        if (others := days.get((f.patient.id, f.exam.date), 0) - 1) > 0:
            f.exam.doubts = [*f.exam.doubts, Doubt(
                field="exam.study_uid", reason=DoubtReason.SAME_DAY_STUDY,
                detail=f"{others} other stud{'y' if others == 1 else 'ies'} of this patient on this date in "
                       "the same input: the date of service's scans may be split between studies (an axial "
                       "study and a VFA are one 77085, never 77080 + 77086); code the day as one")]
    return exams
