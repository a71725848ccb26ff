"""Radiologist narrative reports: scores in sentences, indications with negation, impression, VFA."""

from __future__ import annotations

import pytest

from dxaparse.code import CodingSettings, code_findings
from dxaparse.errors import InputError
from dxaparse.models import Doubt, DoubtReason, Source
from dxaparse.read.layout.report import read_report

from ._pdf import text_lines

SOURCE = Source(path="report.pdf", kind="pdf", sha256="0" * 64)


def read(*texts: str):
    return read_report(text_lines(*texts), SOURCE)


def scores(found) -> list[tuple]:
    return [(m.site.value, m.side, m.label, m.bmd, m.t_score, m.z_score) for m in found.measurements]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("FINDINGS: Left femoral neck: BMD 0.602 g/cm2, T-score -2.6, Z-score -0.9.",
     [("femoral_neck", "left", "femoral neck", 0.602, -2.6, -0.9)]),
    ("FINDINGS: The T-score of the lumbar spine (L2-L4) is \u22122.7.",
     [("lumbar_spine", None, "L2-L4", None, -2.7, None)]),
    ("FINDINGS: A T-score of -2.6 was measured at the right total hip.",
     [("total_hip", "right", "total hip", None, -2.6, None)]),
    ("FINDINGS: The left femoral neck and left total hip T-scores are -2.1 and -1.3, respectively.",
     [("femoral_neck", "left", "femoral neck", None, -2.1, None),
      ("total_hip", "left", "total hip", None, -1.3, None)]),
    ("FINDINGS: Left hip: femoral neck T-score -2.6; total hip -1.9.",
     [("femoral_neck", "left", "femoral neck", None, -2.6, None),
      ("total_hip", "left", "total hip", None, -1.9, None)]),
    ("FINDINGS: T-scores: lumbar spine L1 through L4 -0.6, distal one-third radius -1.4.",
     [("lumbar_spine", None, "L1-L4", None, -0.6, None),
      ("radius_33", None, "distal one-third radius", None, -1.4, None)]),
])
def test_scores_stated_in_sentences(sentence, expected):
    assert scores(read(sentence)) == expected


def test_numbers_that_are_no_scores_are_left_alone():
    found = read("FINDINGS: Lumbar spine (L1-L4) BMD decreased by 3.2% since 2021; T-score -2.1 at age 67.")
    assert scores(found) == [("lumbar_spine", None, "L1-L4", None, -2.1, None)]


def test_indications_are_the_history_sentences_verbatim_recognised_by_the_coder_alone():
    found = read("HISTORY: 61-year-old woman on letrozole for breast cancer. Stopped alendronate in 2019.",
                 "No history of steroid use. Secondary hyperparathyroidism. Mother has osteoporosis.",
                 "IMPRESSION: Low bone mass.", "FINDINGS: Total hip T-score -1.6.")
    assert found.indications == [
        "61-year-old woman on letrozole for breast cancer.", "Stopped alendronate in 2019.",
        "No history of steroid use.", "Secondary hyperparathyroidism.", "Mother has osteoporosis."]
    assert (found.patient.age_years, found.patient.sex) == (61.0, "F")
    icd = [line.code for line in code_findings(found, CodingSettings()).icd10]
    assert icd == ["M85.859", "Z79.811", "Z82.62"]


@pytest.mark.parametrize(("text", "status"), [
    ("Postmenopausal woman.", "post"), ("Premenopausal.", "pre"), ("Perimenopausal woman.", "peri"),
    ("Not postmenopausal.", None)])
def test_menopausal_status_when_stated(text, status):
    assert read(f"HISTORY: {text}", "FINDINGS: L1-L4 T-score -1.0.").patient.menopausal_status == status


def test_impression_is_kept_verbatim_with_whitespace_normalised():
    found = read("FINDINGS: Total hip T-score -2.7.", "IMPRESSION:   Osteoporosis of the left hip.",
                 "Recommend   treatment.", "Electronically signed by: DR. SYNTHETIC")
    assert found.impression == "Osteoporosis of the left hip. Recommend treatment."


def test_vfa_fractures_with_grade_and_acuity():
    found = read("TECHNIQUE: DXA with VFA.", "FINDINGS: Lumbar spine L1-L4 T-score -1.9.",
                 "Mild (grade 1) wedge deformity of T8, chronic. No acute fracture.",
                 "Severe compression fracture of L1, new since the prior study.")
    fractures = [(f.vertebra, f.grade, f.acute) for f in found.vfa.fractures]
    assert fractures == [("T8", 1, False), ("L1", 3, True)]
    assert found.vfa.performed and "vfa" in found.exam.scans


def test_a_fracture_without_vfa_done_is_no_vfa_finding():
    found = read("HISTORY: Known T12 compression fracture.", "TECHNIQUE: VFA was not performed.",
                 "FINDINGS: Lumbar spine L1-L4 T-score -2.6.",
                 "Old compression fracture of T12 on prior radiograph.")
    assert not found.vfa.performed and found.vfa.fractures == []


def test_no_fracture_statements_are_negations():
    found = read("TECHNIQUE: Vertebral fracture assessment performed.", "FINDINGS: Total hip T-score -1.2.",
                 "No vertebral fracture at T4 through L4.")
    assert found.vfa.performed and found.vfa.fractures == []


def test_text_without_bone_density_words_is_not_a_dxa_report():
    with pytest.raises(InputError, match="not a DXA report"):
        read("INVOICE 2024-0042", "Total due: 516.00 USD")


def test_a_scanner_page_takes_the_physicians_impression_but_no_sentence_scores():
    found = read("Scan Type: a Left Hip", "DXA Results Summary:", "Region  BMD  T-score",
                 "Neck  0.641  -2.0", "IMPRESSION: Low bone mass. Left femoral neck T-score -2.0.")
    assert scores(found) == [("femoral_neck", "left", "Neck", 0.641, -2.0, None)]
    assert found.impression == "Low bone mass. Left femoral neck T-score -2.0."


def test_tbs_and_frax_stated_in_the_findings():
    found = read("FINDINGS: L1-L4 T-score -1.5. Trabecular bone score (TBS) is 1.230.",
                 "The 10-year probability of a major osteoporotic fracture is 18%",
                 "and of a hip fracture 3.1%.",
                 "HISTORY: Mother had a hip fracture at 80.")
    assert (found.tbs.value, found.frax.major, found.frax.hip) == (1.23, 18.0, 3.1)


@pytest.mark.parametrize(("tbs", "frax", "doubted"), [
    ("0.120", "18", ["tbs"]), ("2.450", "18", ["tbs"]), ("1.230", "0", []), ("1.230", "18", [])])
def test_a_tbs_or_frax_no_scanner_prints_is_kept_with_a_doubt(tbs, frax, doubted):
    """As an implausible table value: kept (the coder's implausible_value flag holds 77089), and doubted."""
    found = read("FINDINGS: L1-L4 T-score -1.5. Trabecular bone score (TBS) is " + tbs + ".",
                 f"The 10-year probability of a major osteoporotic fracture is {frax}%")
    assert found.tbs.value == float(tbs) and found.frax.major == float(frax)
    assert [(d.field, d.reason) for d in found.exam.doubts] == [(f, DoubtReason.IMPLAUSIBLE) for f in doubted]
    flags = [f.code for f in code_findings(found, CodingSettings()).flags]
    assert ("implausible_value" in flags) is bool(doubted)


def test_prose_patient_facts_a_forearm_site_in_words_and_a_tbs_sentence_are_read():
    lines = text_lines("DXA BONE DENSITY REPORT", "CLINICAL DATA: 67 year old female.",
                       "FINDINGS: Left 33% (one-third) radius T-score: -2.7. TBS for L1-L4 is 1.210.",
                       "IMPRESSION: Osteoporosis.")
    found = read_report(lines, Source(path="x.pdf", kind="pdf", sha256="0"))
    assert (found.patient.sex, found.patient.age_years) == ("F", 67.0)
    assert [(m.site, m.side, m.t_score) for m in found.measurements] == [("radius_33", "left", -2.7)]
    assert found.tbs is not None and found.tbs.value == 1.21


def test_a_who_definition_is_never_a_finding():
    lines = text_lines("DXA BONE DENSITY REPORT", "FINDINGS: Lumbar spine L1-L4 T-score -1.6.",
                       "Osteoporosis: T-score at or below -2.5 SD.", "IMPRESSION: Osteopenia.")
    found = read_report(lines, Source(path="x.pdf", kind="pdf", sha256="0"))
    assert [(m.site, m.t_score) for m in found.measurements] == [("lumbar_spine", -1.6)]


def test_a_reference_populations_sex_is_only_a_hint_with_a_doubt():
    header = ("Region", "BMD", "T-score", "Z-score")
    lines = text_lines("DXA Results Summary:", "  ".join(header), "L1-L4  0.912  -1.2  -0.4",
                       "T-score vs. White Female. Source: NHANES")
    found = read_report(lines, Source(path="x.pdf", kind="pdf", sha256="0"))
    assert found.patient.sex == "F"
    assert found.exam.doubts == [Doubt(field="patient.sex", reason=DoubtReason.INFERRED,
                                       detail="sex F taken from the reference population printed with the "
                                              "scores: no sex is printed for the patient")]
    printed = text_lines("Sex: Male", "  ".join(header), "L1-L4  0.912  -1.2  -0.4",
                         "T-score vs. White Female. Source: NHANES")
    found = read_report(printed, Source(path="x.pdf", kind="pdf", sha256="0"))
    assert (found.patient.sex, found.exam.doubts) == ("M", [])
