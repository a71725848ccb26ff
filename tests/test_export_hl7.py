"""HL7 v2.5.1 exports parse back with hl7apy: charges (DFT^P03) and results (ORU^R01)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from dxaparse.billing import release
from dxaparse.code import CodingSettings
from dxaparse.code.settings import Hl7Envelope
from dxaparse.emit import HL7_KINDS
from dxaparse.emit.hl7 import dft_p03, er7, hl7_messages, oru_r01, to_hl7
from dxaparse.emit.loinc import values
from dxaparse.pipeline import process

from ._exams import exam
from .conftest import ROOT

NOW = dt.datetime(2024, 3, 2, 9, 30)


def _parse(text: str):
    return parse_message(text, find_groups=True)


def _repeats(field_list) -> list[str]:
    return [f.ce_1.value for f in field_list]


def test_dft_has_one_ft1_per_cpt_line_with_modifiers_and_units():
    e = exam()
    e.coding.cpt[0].units = 2
    msg = _parse(dft_p03(e, NOW).to_er7())
    assert msg.msh.msh_9.to_er7() == "DFT^P03^DFT_P03"
    assert msg.msh.msh_12.value == "2.5.1"
    ft1s = [g.ft1 for g in msg.dft_p03_financial]
    assert [f.ft1_7.ce_1.value for f in ft1s] == ["77085", "77081"]
    assert [f.ft1_25.ce_1.value for f in ft1s] == ["77085", "77081"]
    assert all(f.ft1_7.ce_3.value == "C4" and f.ft1_6.value == "CG" for f in ft1s)
    assert [f.ft1_10.value for f in ft1s] == ["2", "1"]
    assert _repeats(ft1s[1].ft1_26) == ["XU", "26"]
    assert ft1s[0].ft1_26.value == ""  # no modifiers on the first line
    assert ft1s[0].ft1_4.value == "20240301"  # date of service = exam date
    assert _repeats(ft1s[0].ft1_19) == ["M81.0", "Z79.83"]
    assert msg.pid.pid_3.cx_1.value == "MRN00000" and msg.pid.pid_8.value == "F"


def test_dft_has_one_dg1_per_icd10_code_in_claim_order():
    msg = _parse(dft_p03(exam(), NOW).to_er7())
    dg1s = list(msg.dg1)
    assert [d.dg1_3.ce_1.value for d in dg1s] == ["M81.0", "Z79.83"]
    assert [d.dg1_3.ce_3.value for d in dg1s] == ["I10", "I10"]
    assert [d.dg1_15.value for d in dg1s] == ["1", "2"]


def test_oru_has_an_obx_per_value_with_loinc_where_one_exists():
    e = exam()
    msg = _parse(oru_r01(e, NOW).to_er7())
    order = msg.oru_r01_patient_result.oru_r01_order_observation
    assert order.obr.obr_4.ce_1.value == "38269-7" and order.obr.obr_4.ce_3.value == "LN"
    assert order.obr.obr_3.ei_1.value == "ACC0"
    obx = [g.obx for g in order.oru_r01_observation]
    assert len(obx) == len(values(e)) == 18
    by_text = {o.obx_3.ce_2.value: o for o in obx}
    spine = by_text["L1-L4 BMD"]
    assert (spine.obx_3.ce_1.value, spine.obx_3.ce_3.value) == ("24966-4", "LN")
    assert (spine.obx_5.value, spine.obx_6.ce_1.value, spine.obx_2.value) == ("0.812", "g/cm2", "NM")
    assert by_text["L1-L4 T-score"].obx_3.ce_1.value == "38267-1"
    assert by_text["L1-L4 Z-score"].obx_3.ce_1.value == "85394-5"
    # a single vertebra is not "the lumbar spine": local code, never the spine LOINC twice
    assert (by_text["L1 BMD"].obx_3.ce_1.value, by_text["L1 BMD"].obx_3.ce_3.value) == (
        "lumbar_spine.L1.bmd", "99DXA")
    # femoral neck maps to the LOINC "femur" codes (docs/exports.md); left total hip to the left-hip codes
    assert by_text["Neck (left) T-score"].obx_3.ce_1.value == "38263-0"
    assert by_text["Total (left) BMD"].obx_3.ce_1.value == "46278-8"
    assert by_text["Total (left) T-score"].obx_3.ce_1.value == "80946-7"
    assert by_text["Neck (left) T-score"].obx_6.ce_1.value == "{T-score}"
    assert float(by_text["Neck (left) T-score"].obx_5.value) == -2.6
    # values of one measurement share the OBX-4 sub-ID
    assert by_text["L1-L4 BMD"].obx_4.value == by_text["L1-L4 Z-score"].obx_4.value == "2"
    assert by_text["Trabecular bone score"].obx_3.ce_3.value == "99DXA"


def test_free_text_is_escaped_not_spliced_into_the_message():
    e = exam()  # its impression holds a "|" field separator
    msg = _parse(oru_r01(e, NOW).to_er7())
    nte = msg.oru_r01_patient_result.oru_r01_order_observation.nte
    assert nte.nte_3.value == r"Osteoporosis \F\ left femoral neck T-score -2.6"
    assert len(nte.children) == 1  # still one field: the "|" did not open a new one


def test_messages_are_valid_hl7_without_a_patient_name():
    """dxaparse never carries patient names, nor invents one: PID-5 (required) is a name of type U,
    unknown, with no part given, and the messages pass hl7apy's strict validation as they are."""
    for build in (dft_p03, oru_r01):
        text = er7(build(exam(), NOW))
        strict = parse_message(text, find_groups=True, validation_level=VALIDATION_LEVEL.STRICT)
        assert strict.validate()
        pid = strict.pid if build is dft_p03 else strict.oru_r01_patient_result.oru_r01_patient.pid
        assert pid.pid_5.to_er7() == "^^^^^^U" and pid.pid_5.xpn_7.value == "U"


def test_to_hl7_writes_dft_then_oru_per_exam_one_message_per_lf_record():
    text = to_hl7([exam(1), exam(2)], True)
    records = text.split("\n")
    assert records[-1] == "" and all(r.endswith("\r") for r in records[:-1])
    kinds = [_parse(r).msh.msh_9.to_er7() for r in records[:-1]]
    assert kinds == ["DFT^P03^DFT_P03", "ORU^R01^ORU_R01"] * 2
    ids = [_parse(r).msh.msh_10.value for r in records[:-1]]
    assert len(set(ids)) == 4 and all(len(i) <= 20 for i in ids)
    # the control ID comes from the content hash: a re-export is recognisably the same message
    assert to_hl7([exam(1)], False).split("\n")[0].split("|")[9] == ids[0]


# --- the envelope: who sends to whom (settings [hl7]) ------------------------------------------------------

ENVELOPE = Hl7Envelope(sending_application="DXA", sending_facility="DXA-CLINIC",
                       receiving_application="BILLING", receiving_facility="MAIN-HOSP", processing_id="T",
                       patient_id_authority="MAIN-HOSP", patient_id_type="PI", patient_class="E",
                       time_zone="America/New_York")


def _segment(text: str, name: str) -> list[str]:
    return next(s for s in text.split("\r") if s.startswith(name + "|")).split("|")


def test_the_envelope_fills_msh_pid_3_and_pv1_2():
    for kind, text in hl7_messages(exam(), None, HL7_KINDS, NOW, ENVELOPE):
        msh = _segment(text, "MSH")
        assert msh[2:6] == ["DXA", "DXA-CLINIC", "BILLING", "MAIN-HOSP"], kind
        assert msh[10] == "T"  # MSH-11: a test feed says so
        assert _segment(text, "PID")[3] == "MRN00000^^^MAIN-HOSP^PI"
        assert _segment(text, "PV1")[1:3] == ["1", "E"]
        parsed = parse_message(text, find_groups=True, validation_level=VALIDATION_LEVEL.STRICT)
        assert parsed.validate() and parsed.msh.msh_11.value == "T"


def test_default_envelope_is_production_outpatient_and_an_mr_number():
    text = er7(oru_r01(exam(), NOW))
    assert _segment(text, "MSH")[2:6] == ["DXAPARSE", "", "", ""]
    assert _segment(text, "MSH")[10] == "P"
    assert _segment(text, "PID")[3] == "MRN00000^^^^MR"  # no authority configured: none sent
    assert _segment(text, "PV1")[2] == "O"


@pytest.mark.parametrize(("now", "stamp"), [
    (dt.datetime(2024, 1, 15, 9, 30), "20240115093000-0500"),        # naive: a time in the zone
    (dt.datetime(2024, 7, 1, 9, 30), "20240701093000-0400"),         # daylight saving time
    (dt.datetime(2024, 7, 1, 16, 0, tzinfo=dt.UTC), "20240701120000-0400"),  # an instant, converted
])
def test_msh_7_carries_the_utc_offset_of_the_configured_zone(now, stamp):
    text = er7(dft_p03(exam(), now, ENVELOPE))
    assert _segment(text, "MSH")[6] == stamp and _segment(text, "EVN")[2] == stamp


def test_msh_7_defaults_to_the_machine_zone_with_its_offset():
    before = dt.datetime.now().astimezone()
    stamp = _segment(to_hl7([exam()], False), "MSH")[6]
    assert re.fullmatch(r"\d{14}[+-]\d{4}", stamp)
    assert stamp[-5:] == before.strftime("%z")
    assert abs(dt.datetime.strptime(stamp, "%Y%m%d%H%M%S%z") - before) < dt.timedelta(minutes=1)


def test_physicians_and_accession_reach_pv1_orc_obr_and_ft1():
    e = exam(exam={"date": "2024-03-01", "accession": "ACC9", "referring_physician": "DOE^JOHN^Q^DR^MD",
                   "ordering_physician": "ROE^ANN\\SMITH^BOB^^^PHD"})
    dft, oru = (text for _, text in hl7_messages(e, None, HL7_KINDS, NOW))
    assert _segment(dft, "PV1")[8] == _segment(oru, "PV1")[8] == "^DOE^JOHN^Q^MD^DR"
    ordering = "^ROE^ANN~^SMITH^BOB^^PHD"
    assert _segment(oru, "OBR")[16] == _segment(oru, "ORC")[12] == ordering
    assert _segment(oru, "ORC")[1:4] == ["RE", "", "ACC9"] and _segment(oru, "OBR")[3] == "ACC9"
    ft1s = [s.split("|") for s in dft.split("\r") if s.startswith("FT1|")]
    assert len(ft1s) == 2 and all(f[21] == ordering and f[23] == "ACC9" for f in ft1s)


def test_no_physician_no_accession_leaves_their_fields_empty():
    e = exam(exam={"date": "2024-03-01"})
    dft, oru = (text for _, text in hl7_messages(e, None, HL7_KINDS, NOW))
    assert _segment(dft, "PV1") == ["PV1", "1", "O"]
    assert _segment(oru, "ORC") == ["ORC", "RE"]
    assert _segment(oru, "OBR")[3] == "" and _segment(oru, "OBR")[16] == ""
    ft1s = [s.split("|") for s in dft.split("\r") if s.startswith("FT1|")]
    assert ft1s and all(f[21] == f[23] == "" for f in ft1s)


def test_every_segment_ends_with_cr_the_last_one_too():
    for _, text in hl7_messages(exam(), None, HL7_KINDS, NOW):
        assert text.endswith("\r") and not text.endswith("\r\r") and "\n" not in text
        assert all(segment[:3].isupper() for segment in text[:-1].split("\r"))


def test_no_dft_without_an_ft1():
    e = exam()
    e.coding.cpt = []
    assert [kind for kind, _ in hl7_messages(e, None, HL7_KINDS, NOW)] == ["ORU^R01"]
    with pytest.raises(ValueError, match="needs an FT1"):
        dft_p03(e, NOW)
    assert "DFT" not in to_hl7([e], False)


# --- docs/exports.md shows what the code writes -----------------------------------------------------------

def _block_after(text: str, marker: str) -> str:
    return text.split(marker, 1)[1].split("```", 2)[1].split("\n", 1)[1]


def test_the_documented_messages_are_what_dxaparse_writes():
    """docs/exports.md, "Example": the [hl7] table and the two messages of the released sample."""
    doc = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    toml = _block_after(doc, "<!-- hl7 example settings -->")
    settings = CodingSettings.model_validate(tomllib.loads(toml))
    shown = _block_after(doc, "<!-- hl7 example messages -->").rstrip("\n").split("\n\n")
    shown = ["\r".join(message.split("\n")) + "\r" for message in shown]
    [result] = process(ROOT / "samples" / "dicom" / "hologic-sr-spine-hip.dcm", settings)
    assert not result.billing.billable  # held, as the docs say: released below
    result.billing = release(result.billing, "coder")
    now = dt.datetime.strptime(_segment(shown[0], "MSH")[6], "%Y%m%d%H%M%S%z")
    written = [text for _, text in hl7_messages(result, None, HL7_KINDS, now, settings.hl7)]
    assert written == shown
    assert _segment(shown[0], "PV1")[8] and _segment(shown[1], "OBR")[16]  # the sample names both physicians
