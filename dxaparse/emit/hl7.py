"""HL7 v2.5.1 exports, built with hl7apy: DFT^P03 posts the charges, ORU^R01 sends the results.

Messages come from hl7apy's message structures (never string concatenation) so field positions
follow the standard; hl7apy writes segments in the order they are added, so each builder adds them in
the order of the message structure. Every text taken from the input is set as a `_Text`, which escapes
it in full: hl7apy escapes the delimiters but lets CR and LF through, and a two-line impression broke
the message into stray segments. `to_hl7` writes the messages of every exam, DFT first; every segment,
the last one too, ends with CR as HL7 requires (`er7`), and each message is followed by one LF, so a
file holds one message per LF-separated record (docs/exports.md).

Who sends to whom, the patient identifier's authority, the patient class and the time zone come from
the site's `Hl7Envelope` (`[hl7]` of the settings file), so a receiver accepts the messages without a
mapping of its own; a test feed says so in MSH-11 (T). Nothing is invented: a patient name is never
carried (PID-5 says the name is unknown, name type U), and an identifier, date or physician the
input lacks is left out.

A held exam (`billing.status` held) gets no DFT^P03 at all, and its ORU^R01 says preliminary (P):
nothing that could be posted as a charge leaves before a person releases it (dxaparse.billing). An
exam with no CPT line has no charge, so no DFT^P03 either: the message needs an FT1.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal

from hl7apy.base_datatypes import TextualDataType
from hl7apy.core import Message, Segment

from ..code.settings import Hl7Envelope
from ..models import ExamResult
from . import HL7_KINDS, comparison
from .loinc import REPORT_CODE, values

VERSION = "2.5.1"
LOCAL_SYSTEM = "99DXA"  # HL7 names local coding systems 99zzz
UNKNOWN_NAME = "^^^^^^U"
"""PID-5 (required): a name of type U, "unknown" (HL7 table 0200), with no part given. dxaparse never
carries a patient's name, and it must not invent one (`UNKNOWN` as a family name would file a patient
called Unknown); the HL7 null `""` would tell a receiver to delete the name it has on file."""
NULL = '""'
"""The HL7 null value: the field is present and holds nothing (PID-3, required, of an exam without a
patient identifier: only ever a held exam's preliminary ORU^R01, never a charge)."""
DEFAULT = Hl7Envelope()


def er7(msg: Message) -> str:
    """The message as HL7 writes it: each segment, the last one too, ends with CR (hl7apy's `to_er7`
    only separates them), so a receiver reading segment by segment never waits for a last CR."""
    return msg.to_er7() + "\r"


def dft_p03(result: ExamResult, now: dt.datetime | None = None, envelope: Hl7Envelope = DEFAULT) -> Message:
    """Detail financial transaction: one FT1 per CPT line, one DG1 per ICD-10-CM code, in claim order."""
    if not result.billing.billable or result.exam.date is None:  # the holds keep these from billing
        raise ValueError("a held exam, or one without a date of service, has no charge to post")
    if not result.coding.cpt:
        raise ValueError("an exam without a CPT line has no charge to post (a DFT^P03 needs an FT1)")
    msg = _message("DFT_P03", "D", result, now, envelope)
    msg.evn.evn_1 = "P03"
    msg.evn.evn_2 = msg.msh.msh_7.value
    _pid(msg.pid, result, envelope)
    _pv1(msg.add_segment("PV1"), result, envelope)
    service_date = _date(result.exam.date)
    icd = [f"{line.code}^^I10" for line in result.coding.icd10]
    for n, line in enumerate(result.coding.cpt, 1):
        ft1 = msg.add_group("DFT_P03_FINANCIAL").ft1
        ft1.ft1_1 = str(n)
        ft1.ft1_4 = service_date
        ft1.ft1_6 = "CG"
        ft1.ft1_7 = f"{line.code}^^C4"
        ft1.ft1_10 = str(line.units)
        for code in icd:
            ft1.add_field("FT1_19").value = code
        _providers(ft1, "FT1_21", result.exam.ordering_physician)
        if result.exam.accession:
            ft1.ft1_23.ei_1 = _Text(result.exam.accession)
        ft1.ft1_25 = f"{line.code}^^C4"
        for modifier in line.modifiers:
            ft1.add_field("FT1_26").value = f"{modifier}^^CPTM"
    for n, line in enumerate(result.coding.icd10, 1):
        dg1 = msg.add_segment("DG1")
        dg1.dg1_1 = str(n)
        dg1.dg1_3 = f"{line.code}^^I10"
        dg1.dg1_6 = "F"
        dg1.dg1_15 = str(n)
    return msg


def oru_r01(result: ExamResult, now: dt.datetime | None = None, status: str | None = None,
            envelope: Hl7Envelope = DEFAULT) -> Message:
    """Unsolicited result: ORC and OBR for the DXA report (LOINC 38269-7), one OBX per reported value.
    `status` (OBR-25, OBX-11): F final, C correction, P preliminary; by default P while the exam is
    held, else F."""
    status = status or ("F" if result.billing.billable else "P")
    # The status is part of the control ID: the final results sent on release are another message
    # than the preliminary ones sent before, and an outbox or receiver must not drop them as a repeat.
    msg = _message("ORU_R01", "O" if status == "F" else status, result, now, envelope)
    group = msg.add_group("ORU_R01_PATIENT_RESULT")
    patient = group.add_group("ORU_R01_PATIENT")
    _pid(patient.pid, result, envelope)
    _pv1(patient.add_group("ORU_R01_VISIT").pv1, result, envelope)
    order = group.add_group("ORU_R01_ORDER_OBSERVATION")
    orc = order.orc
    orc.orc_1 = "RE"  # observations to follow (HL7 table 0119): the order's results
    if result.exam.accession:
        orc.orc_3.ei_1 = _Text(result.exam.accession)
    _providers(orc, "ORC_12", result.exam.ordering_physician)
    obr = order.obr
    obr.obr_1 = "1"
    if result.exam.accession:
        obr.obr_3.ei_1 = _Text(result.exam.accession)
    obr.obr_4 = f"{REPORT_CODE}^DXA skeletal system study report^LN"
    if result.exam.date:
        obr.obr_7 = _date(result.exam.date)
    _providers(obr, "OBR_16", result.exam.ordering_physician)
    obr.obr_25 = status
    if result.impression:
        order.add_segment("NTE").nte_3 = _Text(result.impression, "FT")
    numbers = values(result)
    for n, v in enumerate(numbers, 1):
        obx = order.add_group("ORU_R01_OBSERVATION").obx
        obx.obx_1 = str(n)
        obx.obx_2 = "NM"
        obx.obx_3.ce_1 = v.code
        obx.obx_3.ce_2 = _Text(v.text)
        obx.obx_3.ce_3 = "LN" if v.loinc else LOCAL_SYSTEM
        if v.group:
            obx.obx_4 = str(v.group)
        obx.obx_5 = format(Decimal(repr(v.value)), "f")
        obx.obx_6 = f"{v.unit}^^UCUM"
        obx.obx_11 = status
    # The comparison with the prior exam: local codes, each region a group after the measurements'.
    for n, row in enumerate(comparison.rows(result, len(result.measurements) + 1), len(numbers) + 1):
        obx = order.add_group("ORU_R01_OBSERVATION").obx
        obx.obx_1 = str(n)
        obx.obx_2 = row.kind
        obx.obx_3.ce_1 = row.code
        obx.obx_3.ce_2 = _Text(row.text)
        obx.obx_3.ce_3 = LOCAL_SYSTEM
        if row.group:
            obx.obx_4 = str(row.group)
        obx.obx_5 = format(Decimal(repr(row.value)), "f") if row.kind == "NM" else row.value
        if row.unit:
            obx.obx_6 = f"{row.unit}^^UCUM"
        obx.obx_11 = status
    return msg


def to_hl7(results: list[ExamResult], many: bool, envelope: Hl7Envelope = DEFAULT) -> str:
    """The messages of each exam (`hl7_messages`, as a first result), each followed by LF."""
    now = dt.datetime.now(dt.UTC)
    return "".join(text + "\n" for r in results
                   for _, text in hl7_messages(r, None, HL7_KINDS, now, envelope))


def hl7_messages(result: ExamResult, billed: ExamResult | None, kinds: Iterable[str],
                 now: dt.datetime | None = None, envelope: Hl7Envelope = DEFAULT) -> list[tuple[str, str]]:
    """(kind, ER7 text, every segment ending with CR) to send for a result; `billed` is the study's
    earlier result whose charges and final results went out (None if none did: a first result, or every
    earlier one was held).

    - A held result sends its ORU^R01 as preliminary (P) and no DFT^P03.
    - A billable (ready or released) result sends its charges, crediting `billed`'s lines first (FT1-6
      CD) when the charges changed, and its ORU^R01 as final (F), or as a correction (C) of `billed`.
      With `billed` and unchanged charges no DFT goes out: the charge stands once. A result without
      CPT lines posts no charge (a DFT^P03 needs an FT1), though it still credits `billed`'s.
    Used by `to_hl7`, the PACS hook (MLLP), the result sink (hl7 export files) and `dxaparse release`."""
    out = []
    billable = result.billing.billable
    if "dft" in kinds and billable and (billed is None or _charges(billed) != _charges(result)):
        if billed is not None and billed.coding.cpt:
            credit = dft_p03(billed, now, envelope)
            credit.msh.msh_10 = result.source.sha256[:19] + "R"
            for group in credit.dft_p03_financial:
                group.ft1.ft1_6 = "CD"
            out.append(("DFT^P03 credit", er7(credit)))
        if result.coding.cpt:
            out.append(("DFT^P03", er7(dft_p03(result, now, envelope))))
    if "oru" in kinds:
        status = "P" if not billable else "C" if billed is not None else "F"
        out.append(("ORU^R01", er7(oru_r01(result, now, status, envelope))))
    return out


def _charges(r: ExamResult) -> tuple:
    return ([(c.code, c.modifiers, c.units) for c in r.coding.cpt], [c.code for c in r.coding.icd10])


def _message(structure: str, kind: str, result: ExamResult, now: dt.datetime | None,
             envelope: Hl7Envelope) -> Message:
    msg = Message(structure, version=VERSION)
    msh = msg.msh
    for field, value in (("msh_3", envelope.sending_application), ("msh_4", envelope.sending_facility),
                         ("msh_5", envelope.receiving_application), ("msh_6", envelope.receiving_facility)):
        if value:  # the settings hold no delimiter (Hl7Envelope), so each is one HD namespace ID
            setattr(msh, field, value)
    msh.msh_7 = timestamp(now, envelope)
    msh.msh_9 = f"{structure.replace('_', '^')}^{structure}"
    # Derived from the content hash, so a re-sent export carries the same ID and receivers can drop it.
    msh.msh_10 = result.source.sha256[:19] + kind
    msh.msh_11 = envelope.processing_id
    msh.msh_18 = "UNICODE UTF-8"
    return msg


def timestamp(now: dt.datetime | None, envelope: Hl7Envelope) -> str:
    """MSH-7: `now` (default: this instant) in the envelope's time zone, with its UTC offset
    (`YYYYMMDDHHMMSS+ZZZZ`), so a receiver in another zone, or one across a daylight-saving change,
    reads the same instant. A naive `now` is taken as a time in that zone."""
    zone = zoneinfo.ZoneInfo(envelope.time_zone) if envelope.time_zone else None  # None: local zone
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone) if zone else now.astimezone()
    return now.astimezone(zone).strftime("%Y%m%d%H%M%S%z")


def _pid(pid: Segment, result: ExamResult, envelope: Hl7Envelope) -> None:
    pid.pid_1 = "1"
    if result.patient.id:
        pid.pid_3.cx_1 = _Text(result.patient.id)
        if envelope.patient_id_authority:
            pid.pid_3.cx_4 = envelope.patient_id_authority
        pid.pid_3.cx_5 = envelope.patient_id_type
    else:
        pid.pid_3 = NULL
    pid.pid_5 = UNKNOWN_NAME
    if result.patient.sex:
        pid.pid_8 = result.patient.sex


def _pv1(pv1: Segment, result: ExamResult, envelope: Hl7Envelope) -> None:
    pv1.pv1_1 = "1"
    pv1.pv1_2 = envelope.patient_class
    _providers(pv1, "PV1_8", result.exam.referring_physician)


def _providers(segment: Segment, field: str, names: str | None) -> None:
    """A physician from the input (a DICOM person name, `FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX`, several
    separated by `\\`) as XCN repetitions: family name, given name, middle, suffix, prefix; only the first
    (alphabetic) group of each name, each part escaped as text. No ID: the input holds none."""
    for name in (names or "").split("\\"):
        family, given, middle, prefix, suffix = (name.split("=")[0].split("^", 4) + [""] * 5)[:5]
        parts = {"xcn_3": given, "xcn_4": middle, "xcn_5": suffix, "xcn_6": prefix}
        if not any((family, *parts.values())):
            continue
        xcn = segment.add_field(field)
        if family:
            xcn.xcn_2.fn_1 = _Text(family)
        for component, value in parts.items():
            if value:
                setattr(xcn, component, _Text(value))


_CONTROL = r"\r\n|[\x00-\x1f\x7f]"
"""Line breaks (CR LF as one) and every other control character: no text value may hold one."""
_DELIMITERS = (("FIELD", "F"), ("COMPONENT", "S"), ("SUBCOMPONENT", "T"), ("REPETITION", "R"),
               ("ESCAPE", "E"))


class _Text(TextualDataType):
    """A text value from the input, of HL7 type `datatype` (ST, or FT for formatted text): every one set
    in a message is one of these, escaped in full by `_escape_value`. hl7apy's own escaping lets line
    breaks through, and leaves a backslash alone when it already reads as an escape sequence, so an
    input `\\F\\` would reach the receiver as a `|`."""

    def __init__(self, value: str, datatype: str = "ST"):
        super().__init__(value, max_length=None)
        self.datatype = datatype

    @property
    def classname(self) -> str:  # hl7apy types a field's value by its class name
        return self.datatype

    def _escape_value(self, value: str, encoding_chars: Mapping[str, str]) -> str:
        """`value` by the HL7 v2.5.1 escape sequences (section 2.7): each delimiter as `\\F\\` (field),
        `\\S\\` (component), `\\T\\` (subcomponent), `\\R\\` (repetition), `\\E\\` (escape); in FT each
        line break, CR LF, CR or LF, as `\\.br\\`; any other control character, and a line break in ST,
        as its hexadecimal bytes (`\\X0D0A\\`). What is left cannot end a segment, a field or an MLLP
        frame (VT, FS), and a receiver decodes exactly the input."""
        esc = encoding_chars["ESCAPE"]
        named = {encoding_chars[key]: code for key, code in _DELIMITERS}
        breaks = ("\r\n", "\r", "\n") if self.datatype == "FT" else ()

        def one(m: re.Match) -> str:
            s = m[0]
            code = named.get(s) or (".br" if s in breaks else "X" + s.encode("utf-8").hex().upper())
            return f"{esc}{code}{esc}"
        return re.sub("|".join([_CONTROL, *map(re.escape, named)]), one, value)


def _date(date: dt.date | None) -> str | None:
    return date.strftime("%Y%m%d") if date else None
