"""HL7 v2.5.1 exports, built with hl7apy: DFT^P03 posts the charges, ORU^R01 sends the results.

Messages come from hl7apy's message structures (never string concatenation) so field positions
follow the standard. Every text taken from the input is set as a `_Text`, which escapes it in full:
hl7apy escapes the delimiters but lets CR and LF through, and a two-line impression broke the message
into stray segments. `to_hl7` writes the messages of every exam, DFT first; segments end with CR as
HL7 requires and each message is followed by one LF, so a file holds one message per LF-separated
record (docs/exports.md).

A held exam (`billing.status` held) gets no DFT^P03 at all, and its ORU^R01 says preliminary (P):
nothing that could be posted as a charge leaves before a person releases it (dxaparse.billing).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from hl7apy.base_datatypes import TextualDataType
from hl7apy.core import Message

from ..models import ExamResult
from . import HL7_KINDS
from .loinc import REPORT_CODE, values

VERSION = "2.5.1"
SENDER = "DXAPARSE"
LOCAL_SYSTEM = "99DXA"  # HL7 names local coding systems 99zzz


def dft_p03(result: ExamResult, now: dt.datetime | None = None) -> Message:
    """Detail financial transaction: one FT1 per CPT line, one DG1 per ICD-10-CM code, in claim order."""
    msg = _message("DFT_P03", "D", result, now)
    msg.evn.evn_1 = "P03"
    msg.evn.evn_2 = msg.msh.msh_7.value
    _pid(msg.pid, result)
    if not result.billing.billable or result.exam.date is None:  # the holds keep these from billing
        raise ValueError("a held exam, or one without a date of service, has no charge to post")
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


def oru_r01(result: ExamResult, now: dt.datetime | None = None, status: str | None = None) -> Message:
    """Unsolicited result: OBR for the DXA report (LOINC 38269-7), one OBX per reported value.
    `status` (OBR-25, OBX-11): F final, C correction, P preliminary; by default P while the exam is
    held, else F."""
    status = status or ("F" if result.billing.billable else "P")
    # The status is part of the control ID: the final results sent on release are another message
    # than the preliminary ones sent before, and an outbox or receiver must not drop them as a repeat.
    msg = _message("ORU_R01", "O" if status == "F" else status, result, now)
    group = msg.add_group("ORU_R01_PATIENT_RESULT")
    _pid(group.add_group("ORU_R01_PATIENT").pid, result)
    order = group.add_group("ORU_R01_ORDER_OBSERVATION")
    obr = order.obr
    obr.obr_1 = "1"
    if result.exam.accession:
        obr.obr_3.ei_1 = _Text(result.exam.accession)
    obr.obr_4 = f"{REPORT_CODE}^DXA skeletal system study report^LN"
    if result.exam.date:
        obr.obr_7 = _date(result.exam.date)
    obr.obr_25 = status
    if result.impression:
        order.add_segment("NTE").nte_3 = _Text(result.impression, "FT")
    for n, v in enumerate(values(result), 1):
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
    return msg


def to_hl7(results: list[ExamResult], many: bool) -> str:
    """The messages of each exam (`hl7_messages`, as a first result), each followed by LF."""
    now = dt.datetime.now()
    return "".join(er7 + "\n" for r in results for _, er7 in hl7_messages(r, None, HL7_KINDS, now))


def hl7_messages(result: ExamResult, billed: ExamResult | None, kinds: Iterable[str],
                 now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """(kind, ER7 text) to send for a result; `billed` is the study's earlier result whose charges and
    final results went out (None if none did: a first result, or every earlier one was held).

    - A held result sends its ORU^R01 as preliminary (P) and no DFT^P03.
    - A billable (ready or released) result sends its charges, crediting `billed`'s lines first (FT1-6
      CD) when the charges changed, and its ORU^R01 as final (F), or as a correction (C) of `billed`.
      With `billed` and unchanged charges no DFT goes out: the charge stands once.
    Used by `to_hl7`, the PACS hook (MLLP), the result sink (hl7 export files) and `dxaparse release`."""
    out = []
    billable = result.billing.billable
    if "dft" in kinds and billable and (billed is None or _charges(billed) != _charges(result)):
        if billed is not None and billed.coding.cpt:
            credit = dft_p03(billed, now)
            credit.msh.msh_10 = result.source.sha256[:19] + "R"
            for group in credit.dft_p03_financial:
                group.ft1.ft1_6 = "CD"
            out.append(("DFT^P03 credit", credit.to_er7()))
        if result.coding.cpt:
            out.append(("DFT^P03", dft_p03(result, now).to_er7()))
    if "oru" in kinds:
        status = "P" if not billable else "C" if billed is not None else "F"
        out.append(("ORU^R01", oru_r01(result, now, status).to_er7()))
    return out


def _charges(r: ExamResult) -> tuple:
    return ([(c.code, c.modifiers, c.units) for c in r.coding.cpt], [c.code for c in r.coding.icd10])


def _message(structure: str, kind: str, result: ExamResult, now: dt.datetime | None) -> Message:
    msg = Message(structure, version=VERSION)
    msh = msg.msh
    msh.msh_3 = SENDER
    msh.msh_7 = (now or dt.datetime.now()).strftime("%Y%m%d%H%M%S")
    msh.msh_9 = f"{structure.replace('_', '^')}^{structure}"
    # Derived from the content hash, so a re-sent export carries the same ID and receivers can drop it.
    msh.msh_10 = result.source.sha256[:19] + kind
    msh.msh_11 = "P"
    msh.msh_18 = "UNICODE UTF-8"
    return msg


def _pid(pid, result: ExamResult) -> None:
    pid.pid_1 = "1"
    if result.patient.id:
        pid.pid_3.cx_1 = _Text(result.patient.id)
    if result.patient.sex:
        pid.pid_8 = result.patient.sex


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
