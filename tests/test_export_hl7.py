"""HL7 v2.5.1 exports parse back with hl7apy: charges (DFT^P03) and results (ORU^R01)."""

from __future__ import annotations

import datetime as dt

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from dxaparse.emit.hl7 import dft_p03, oru_r01, to_hl7
from dxaparse.emit.loinc import values

from ._exams import exam

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


def test_messages_are_valid_hl7_once_the_receiver_adds_the_patient_name():
    """dxaparse never carries patient names; PID-5 is the only required field left for the interface
    engine (it looks the name up by PID-3)."""
    for build in (dft_p03, oru_r01):
        msg = _parse(build(exam(), NOW).to_er7())
        pid = msg.pid if build is dft_p03 else msg.oru_r01_patient_result.oru_r01_patient.pid
        pid.pid_5 = "DOE^JANE"
        strict = parse_message(msg.to_er7(), find_groups=True, validation_level=VALIDATION_LEVEL.STRICT)
        assert strict.validate()


def test_to_hl7_writes_dft_then_oru_per_exam_one_message_per_lf_record():
    text = to_hl7([exam(1), exam(2)], True)
    records = text.split("\n")
    assert records[-1] == ""
    kinds = [_parse(r).msh.msh_9.to_er7() for r in records[:-1]]
    assert kinds == ["DFT^P03^DFT_P03", "ORU^R01^ORU_R01"] * 2
    ids = [_parse(r).msh.msh_10.value for r in records[:-1]]
    assert len(set(ids)) == 4 and all(len(i) <= 20 for i in ids)
    # the control ID comes from the content hash: a re-export is recognisably the same message
    assert to_hl7([exam(1)], False).split("\n")[0].split("|")[9] == ids[0]
