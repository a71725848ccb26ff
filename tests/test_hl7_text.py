"""Text taken from the input cannot change an HL7 message's structure: every text field is escaped in full
(HL7 v2.5.1 section 2.7), line breaks and control characters included, and decodes back to the input."""

from __future__ import annotations

import datetime as dt
import re

from hl7apy.parser import parse_message
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dxaparse.emit.hl7 import dft_p03, oru_r01, to_hl7
from dxaparse.emit.loinc import values
from dxaparse.serve.mllp import _segments, control_id

from ._exams import exam

NOW = dt.datetime(2024, 3, 2, 9, 30)
_NAMED = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\"}


def decode(raw: str) -> str:
    """A field's text from its ER7 form, by the standard's escape sequences (a reference decoder, written
    from section 2.7 rather than from the emitter): `\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`, `\\.br\\` (a line break
    in formatted text) and `\\Xhh…\\` (hexadecimal bytes of the message's character set, UTF-8)."""
    parts = raw.split("\\")
    assert len(parts) % 2 == 1, f"an escape sequence is left open in {raw!r}"
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        elif part in _NAMED:
            out.append(_NAMED[part])
        elif part == ".br":
            out.append("\n")
        else:
            assert part[:1] == "X", f"unknown escape sequence {part!r}"
            out.append(bytes.fromhex(part[1:]).decode("utf-8"))
    return "".join(out)


def hostile(impression: str = "", accession: str = "", patient_id: str = "", label: str = ""):
    e = exam(impression=impression, patient={"sex": "F", "id": patient_id},
             exam={"date": "2024-03-01", "accession": accession})
    e.measurements[0].label = label
    return e


def _ids(er7: str) -> list[str]:
    return [segment[:3] for segment in er7.split("\r")]


def _expected_oru(e) -> list[str]:
    return ["MSH", "PID", "PV1", "ORC", "OBR", *(["NTE"] if e.impression else []),
            *(["OBX"] * len(values(e)))]


DFT_SEGMENTS = ["MSH", "EVN", "PID", "PV1", "FT1", "FT1", "DG1", "DG1"]


def test_a_two_line_impression_stays_one_nte_field_with_a_line_break():
    """The finding: an ordinary SR impression on two lines split the ORU into stray lines, and a receiver
    ACKed the second line as a segment."""
    e = hostile(impression="Osteoporosis of the left femur.\r\nTreatment advised.\nRecheck in 2 years.")
    er7 = oru_r01(e, NOW).to_er7()
    assert _ids(er7) == _expected_oru(e)
    nte = next(s for s in er7.split("\r") if s.startswith("NTE"))
    assert nte == r"NTE|||Osteoporosis of the left femur.\.br\Treatment advised.\.br\Recheck in 2 years."


def test_free_text_cannot_forge_a_segment():
    e = hostile(impression="fine\rZZZ|forged", accession="ACC1\nPID|1||OTHER",
                patient_id="MRN1\r\nMSH|^~\\&|X", label="L1\rOBX|99|NM")
    for er7 in (oru_r01(e, NOW).to_er7(), dft_p03(e, NOW).to_er7()):
        assert "\n" not in er7
        assert set(_ids(er7)) <= {"MSH", "EVN", "PID", "PV1", "FT1", "DG1", "ORC", "OBR", "NTE", "OBX"}
        assert _ids(er7).count("MSH") == 1 and "\rZZZ" not in er7
    assert _ids(dft_p03(e, NOW).to_er7()) == DFT_SEGMENTS
    assert r"PID|1||MRN1\X0D0A\MSH\F\\S\\R\\E\\T\\F\X^^^^MR||^^^^^^U|||F" in oru_r01(e, NOW).to_er7()


def test_an_escape_sequence_in_the_input_is_text_not_a_delimiter():
    """hl7apy by itself leaves a backslash that already reads as an escape sequence (`\\F\\`) alone, so
    the receiver would decode a `|` the input never had."""
    e = hostile(accession=r"A\F\B", impression=r"see \.br\ and \H\bold\N\ and \X41\ ")
    oru = oru_r01(e, NOW).to_er7()
    assert decode(_field(oru, "OBR", 3)) == r"A\F\B"
    assert decode(_field(oru, "NTE", 3)) == r"see \.br\ and \H\bold\N\ and \X41\ "


def test_the_file_keeps_one_message_per_lf_record():
    text = to_hl7([hostile(impression="a\nb\r\nc", accession="x\ny")], False)
    assert [_ids(record)[0] for record in text.split("\n")[:-1]] == ["MSH", "MSH"]


def _segments_parsed(element) -> list[str]:
    """The segment names of a message hl7apy parsed, in order, out of their groups."""
    return [name for child in element.children
            for name in ([child.name] if child.classname == "Segment" else _segments_parsed(child))]


def _field(er7: str, segment: str, n: int, component: int = 1) -> str:
    """Field `n`, component `component` of the first `segment` of a message, split by the standard's
    delimiters (hl7apy's parser drops the blanks that end a segment, and whitespace-only fields)."""
    fields = next(s for s in er7.split("\r") if s.startswith(segment + "|")).split("|")
    return fields[n].split("^")[component - 1]


@settings(max_examples=40, deadline=None)
@given(impression=st.text(), accession=st.text(), patient_id=st.text(), label=st.text())
@example(impression="\\", accession="|^~\\&", patient_id="\r", label="\n")
@example(impression="a\r\n\r\nb\x0b\x1c\r", accession="\x1c\r", patient_id="\x00", label="\u2028")
@example(impression="\\F\\ \\.br\\ ", accession="\\X0D\\ ", patient_id="\\E\\\\", label="\\H\\")
def test_any_text_keeps_both_messages_intact_and_decodes_back(impression, accession, patient_id, label):
    e = hostile(impression, accession, patient_id, label)
    oru, dft = oru_r01(e, NOW).to_er7(), dft_p03(e, NOW).to_er7()
    for er7, expected in ((oru, _expected_oru(e)), (dft, DFT_SEGMENTS)):
        assert _ids(er7) == expected
        # no control character but the segment terminator, so none for MLLP framing (VT, FS) either
        assert not re.search(r"[\x00-\x0c\x0e-\x1f\x7f]", er7)
        assert len(_segments(er7)) == len(expected)
        msg = parse_message(er7)
        assert _segments_parsed(msg) == expected
        assert control_id(er7) == msg.msh.msh_10.value
        # an empty identifier is none: PID-3, required, holds the HL7 null
        pid_3 = _field(er7, "PID", 3)
        assert (decode(pid_3) == patient_id) if patient_id else (pid_3 == '""')
    assert decode(_field(oru, "OBR", 3)) == accession
    if accession:
        assert decode(_field(oru, "ORC", 3)) == accession
    if impression:  # formatted text: each line break (CR LF, CR or LF) is one \.br\
        assert decode(_field(oru, "NTE", 3)) == re.sub(r"\r\n?", "\n", impression)
    assert decode(_field(oru, "OBX", 3, 2)) == values(e)[0].text
