"""History-aware coding (issue 18): two exams of one patient in a store give the comparison with the
prior exam and the payer's frequency hold; identity conflicts are held, never merged.

Exams are built with `_exams.exam` and stored in a real `Store`; the new exam is coded by the real
coder (`pipeline.result_of`) with the history `history.lookup` finds in that store, as every entry
point does (`RunOptions.store`)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.history import History, lookup
from dxaparse.history.frequency import eligible_from
from dxaparse.models import (
    ExamResult,
    Findings,
    HoldReason,
    Modifier,
    PriorSource,
    Significance,
    Site,
    TrendPoint,
    Vertebra,
)
from dxaparse.pipeline import result_of, run_unit
from dxaparse.unit import RunOptions, file_unit

from ._exams import exam

TODAY = dt.date(2026, 6, 15)
SERIAL = "HA-1001"
PRECISE = CodingSettings(precision={SERIAL: {Site.LUMBAR_SPINE: 0.010, Site.TOTAL_HIP: 0.012,
                                             Site.FEMORAL_NECK: 0.015}})
"""LSC: spine 2.77 × 0.010 = 0.0277, total hip 0.0332, femoral neck 0.0416 g/cm²."""
PATIENT = {"sex": "F", "age_years": 67.0, "menopausal_status": "post", "id": "MRN7",
           "birth_date": "1957-04-02", "id_issuer": "HOSP"}


def earlier(n: int, date: str, *, spine: float = 0.812, hip: float = 0.701, serial: str | None = SERIAL,
            patient: dict | None = None, cpt: str = "77085", billing: dict | None = None) -> ExamResult:
    """A stored exam of the patient (billed, unless `billing` says otherwise)."""
    r = exam(n, patient=patient or PATIENT, billing=billing or {"status": "ready", "holds": []})
    r.exam.date = dt.date.fromisoformat(date)
    r.exam.device_serial = serial
    r.coding.cpt = [r.coding.cpt[0].model_copy(update={"code": cpt})]
    r.coding.icd10 = r.coding.icd10[:1]
    r.measurements[1].bmd = spine
    r.measurements[3].bmd = hip
    return r


def current(date: str = "2026-05-04", *, spine: float = 0.780, hip: float = 0.701,
            serial: str | None = SERIAL, patient: dict | None = None, indications: list[str] | None = None,
            n: int = 99) -> Findings:
    """Findings of the new exam (everything of `_exams.exam` but its coding)."""
    r = earlier(n, date, spine=spine, hip=hip, serial=serial, patient=patient)
    data = r.model_dump(exclude={"coding", "billing", "comparison"})
    data["indications"] = indications or []
    return Findings.model_validate(data)


def coded(tmp_path, stored: list[ExamResult], findings: Findings,
          settings: CodingSettings = PRECISE) -> ExamResult:
    db = tmp_path / "results.sqlite"
    with Store(db) as store:
        for r in stored:
            store.add(r)
    return result_of(findings, settings, TODAY, history=lookup(db, findings, settings))


def by_site(result: ExamResult) -> dict:
    return {(c.site, c.side): c for c in result.comparison.sites}


def test_two_exams_of_one_patient_give_the_comparison_and_the_frequency_hold(tmp_path):
    prior = earlier(1, "2025-01-10", spine=0.812, hip=0.701)
    result = coded(tmp_path, [prior], current("2026-05-04", spine=0.780, hip=0.705))
    c = result.comparison
    assert (c.source, c.prior_date, c.prior_sha256, c.prior_device_serial) == (
        PriorSource.STORE, dt.date(2025, 1, 10), prior.source.sha256, SERIAL)
    spine, hip = by_site(result)[(Site.LUMBAR_SPINE, None)], by_site(result)[(Site.TOTAL_HIP, "left")]
    assert (spine.prior_bmd, spine.current_bmd, spine.change_g_cm2, spine.change_percent) == (
        0.812, 0.780, -0.032, -3.9)
    assert (spine.lsc_g_cm2, spine.significance) == (0.0277, Significance.DECREASE)
    assert spine.vertebrae == ["L1", "L2", "L3", "L4"]
    assert (hip.change_g_cm2, hip.significance) == (0.004, Significance.STABLE)
    # BMD only: the femoral neck (LSC 0.0416) unchanged; T-scores are never compared
    assert by_site(result)[(Site.FEMORAL_NECK, "left")].significance is Significance.STABLE
    assert not any("t_score" in s.reason.lower() for s in c.sites)
    # 2025-01 + 23 months passed → covered from 2027-01-01: this exam is held
    assert result.billing.status.value == "held"
    hold = next(h for h in result.billing.holds if h.reason is HoldReason.FREQUENCY_LIMIT)
    assert "2025-01-10" in hold.message and "2027-01-01" in hold.message and "Z79.52" in hold.message
    assert result.billing.frequency.eligible_from == dt.date(2027, 1, 1)
    assert not {m for line in result.coding.cpt for m in line.modifiers} & {Modifier.ABN_GA, Modifier.ABN_GZ}


def test_the_entry_points_look_history_up_in_the_run_store(tmp_path):
    """The one pipeline call (`run_unit` with `RunOptions.store`) gives the comparison and the hold."""
    db = tmp_path / "results.sqlite"
    with Store(db) as store:
        store.add(earlier(1, "2025-01-10", spine=0.812))
    doc = current("2026-05-04", spine=0.760).model_dump(mode="json", exclude={"source"})
    path = tmp_path / "exam.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    outcome = run_unit(file_unit(path), RunOptions(PRECISE, ocr=False, store=db))
    [result] = outcome.results
    assert by_site(result)[(Site.LUMBAR_SPINE, None)].significance is Significance.DECREASE
    assert HoldReason.FREQUENCY_LIMIT in {h.reason for h in result.billing.holds}
    alone = run_unit(file_unit(path), RunOptions(PRECISE, ocr=False)).results[0]
    assert alone.comparison is None and alone.billing.frequency is None


@pytest.mark.parametrize(("now", "significance"), [
    (0.8277, Significance.INCREASE),   # exactly the LSC (2.77 × 0.010 = 0.0277): significant (ISCD)
    (0.8276, Significance.STABLE),     # just below
    (0.8278, Significance.INCREASE),   # just above
    (0.7723, Significance.DECREASE),   # the LSC downwards
    (0.7724, Significance.STABLE),
])
def test_significance_at_below_and_above_the_lsc(tmp_path, now, significance):
    result = coded(tmp_path, [earlier(1, "2023-01-10", spine=0.800)], current(spine=now))
    change = by_site(result)[(Site.LUMBAR_SPINE, None)]
    assert change.significance is significance
    assert "LSC of 0.0277" in change.reason


def test_no_lsc_is_unknown_with_the_advice_to_run_a_precision_study(tmp_path):
    result = coded(tmp_path, [earlier(1, "2023-01-10")], current(spine=0.700), CodingSettings())
    change = by_site(result)[(Site.LUMBAR_SPINE, None)]
    assert change.significance is Significance.UNKNOWN and change.lsc_g_cm2 is None
    assert "precision study" in change.reason and "15 patients × 3" in change.reason


L134 = [Vertebra.L1, Vertebra.L3, Vertebra.L4]


def test_the_same_vertebrae_when_one_is_excluded_now(tmp_path):
    """L2 excluded now: the prior's L1, L3, L4 — from its own printed range, else from its vertebrae."""
    def spine_without_l2(findings_or_result, bmd):
        findings_or_result.measurements[1].excluded = True
        findings_or_result.measurements.append(findings_or_result.measurements[1].model_copy(update={
            "label": "L1,L3-L4", "vertebrae": L134, "bmd": bmd, "excluded": False}))

    now = current(spine=0.700)
    spine_without_l2(now, 0.850)
    printed = earlier(1, "2023-01-10", spine=0.700)
    printed.measurements.append(printed.measurements[1].model_copy(update={
        "label": "L1,L3-L4", "vertebrae": L134, "bmd": 0.840}))
    change = by_site(coded(tmp_path / "a", [printed], now))[(Site.LUMBAR_SPINE, None)]
    assert (change.vertebrae, change.prior_bmd, change.change_g_cm2) == (["L1", "L3", "L4"], 0.840, 0.01)
    assert len(by_site(coded(tmp_path / "a2", [printed], now))) == 3   # the excluded L1-L4 not compared

    # the prior printed only L1-L4, with each vertebra's BMC and area: (10 + 12 + 14) / (12 + 14 + 16)
    by_vertebra = earlier(2, "2023-01-10", spine=0.700)
    by_vertebra.measurements[0:1] = [
        by_vertebra.measurements[0].model_copy(
            update={"label": v, "vertebrae": [Vertebra(v)], "bmc": bmc, "area": area})
        for v, bmc, area in (("L1", 10.0, 12.0), ("L2", 11.0, 13.0), ("L3", 12.0, 14.0), ("L4", 14.0, 16.0))]
    change = by_site(coded(tmp_path / "b", [by_vertebra], now))[(Site.LUMBAR_SPINE, None)]
    assert change.prior_bmd == round(36 / 42, 3) == 0.857
    assert "BMC and area" in change.reason

    # neither: not comparable, never the prior's L1-L4
    plain = earlier(3, "2023-01-10", spine=0.700)
    change = by_site(coded(tmp_path / "c", [plain], now))[(Site.LUMBAR_SPINE, None)]
    assert (change.significance, change.prior_bmd) == (Significance.NOT_COMPARABLE, None)
    assert "same region" in change.reason


def test_same_side_only(tmp_path):
    prior = earlier(1, "2023-01-10")
    for m in prior.measurements[2:]:
        m.side = "right"
    change = by_site(coded(tmp_path, [prior], current()))[(Site.TOTAL_HIP, "left")]
    assert change.significance is Significance.NOT_COMPARABLE and change.prior_bmd is None


def test_a_device_change_is_compared_only_with_a_cross_calibration(tmp_path):
    prior = earlier(1, "2023-01-10", spine=0.812, serial="OLD-7")
    result = coded(tmp_path / "a", [prior], current(spine=0.760))
    change = by_site(result)[(Site.LUMBAR_SPINE, None)]
    assert change.significance is Significance.NOT_COMPARABLE
    assert "OLD-7" in change.reason and "cross-calibration" in change.reason
    assert change.change_g_cm2 == -0.052    # shown, never judged

    calibrated = PRECISE.model_copy(update={"cross_calibration": {"OLD-7": SERIAL}})
    result = coded(tmp_path / "b", [prior], current(spine=0.760), calibrated)
    assert by_site(result)[(Site.LUMBAR_SPINE, None)].significance is Significance.DECREASE


def test_the_printed_trend_table_is_the_prior_when_the_store_has_none(tmp_path):
    now = current("2026-05-04", spine=0.790)
    now.history = [TrendPoint(site=Site.LUMBAR_SPINE, label="L1-L4", vertebrae=["L1", "L2", "L3", "L4"],
                              measured=d, bmd=b) for d, b in ((dt.date(2022, 3, 1), 0.850),
                                                              (dt.date(2024, 4, 2), 0.830),
                                                              (dt.date(2026, 5, 4), 0.790))]
    result = coded(tmp_path, [], now)
    c = result.comparison
    assert (c.source, c.prior_date, c.prior_sha256) == (PriorSource.TREND_TABLE, dt.date(2024, 4, 2), None)
    spine = by_site(result)[(Site.LUMBAR_SPINE, None)]
    assert (spine.prior_bmd, spine.change_g_cm2, spine.significance) == (0.830, -0.04, Significance.DECREASE)
    assert by_site(result)[(Site.TOTAL_HIP, "left")].significance is Significance.NOT_COMPARABLE
    assert result.billing.frequency is None   # a printed table says nothing of what was covered


def test_no_prior_no_comparison(tmp_path):
    result = coded(tmp_path, [], current())
    assert result.comparison is None and result.billing.frequency is None


@pytest.mark.parametrize("birth_date, sex", [("1957-04-03", "F"), ("1957-04-02", "M")])
def test_an_identity_conflict_is_held_and_never_merged(tmp_path, birth_date, sex):
    other = earlier(1, "2025-01-10", patient={**PATIENT, "birth_date": birth_date, "sex": sex})
    result = coded(tmp_path, [other], current())
    assert result.comparison is None and result.billing.frequency is None    # not this patient's history
    [hold] = [h for h in result.billing.holds if h.reason is HoldReason.PATIENT_MISMATCH]
    assert "another birth date or sex" in hold.message and other.source.sha256[:12] in hold.message
    assert "1957" not in hold.message    # never a birth date in a message


@pytest.mark.parametrize("rule, stored, same", [
    ("id", {"birth_date": None, "id_issuer": None}, True),
    ("id+birth_date", {"id_issuer": "OTHER"}, True),
    ("id+birth_date", {"birth_date": None}, False),          # the rule asks for a birth date: not merged
    ("id+issuer+birth_date", {"id_issuer": "OTHER"}, False),  # another assigning authority: another patient
    ("id+issuer+birth_date", {}, True),
])
def test_the_matching_rule_is_a_site_setting(tmp_path, rule, stored, same):
    settings = PRECISE.model_copy(update={"patient_match": rule})
    result = coded(tmp_path, [earlier(1, "2025-01-10", patient={**PATIENT, **stored})], current(), settings)
    assert (result.comparison is not None) is same
    assert HoldReason.PATIENT_MISMATCH not in {h.reason for h in result.billing.holds}


def test_another_version_of_the_same_study_is_not_its_own_prior(tmp_path):
    same_study = earlier(1, "2025-01-10")
    now = current()
    now.exam.study_uid = same_study.exam.study_uid
    assert coded(tmp_path, [same_study], now).comparison is None


def test_no_store_no_history(tmp_path):
    assert lookup(None, current(), PRECISE) == History()
    assert lookup(tmp_path / "absent.sqlite", current(), PRECISE) == History()
    assert not (tmp_path / "absent.sqlite").exists()


# --- the 23-month rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("last, now, held", [
    ("2024-03-05", "2024-03-28", True),    # the same month
    ("2024-03-05", "2026-01-31", True),    # 22 months later (by month)
    ("2024-03-05", "2026-02-28", True),    # 23 months: only 22 have passed following March 2024
    ("2024-03-31", "2026-03-01", False),   # 24 months: 23 have passed (April 2024 to February 2026)
    ("2024-12-20", "2026-11-30", True),    # across a year end: 23 months
    ("2024-12-20", "2026-12-01", False),   # across a year end: 24 months
])
def test_the_23_month_rule_counts_months(tmp_path, last, now, held):
    result = coded(tmp_path, [earlier(1, last)], current(now))
    assert (HoldReason.FREQUENCY_LIMIT in {h.reason for h in result.billing.holds}) is held
    assert result.billing.frequency.within_limit is held
    assert result.billing.frequency.last_covered == dt.date.fromisoformat(last)


@pytest.mark.parametrize("last, first_covered", [
    ("2024-03-05", "2026-03-01"), ("2024-12-20", "2026-12-01"), ("2023-01-31", "2025-01-01")])
def test_eligible_from(last, first_covered):
    assert eligible_from(dt.date.fromisoformat(last)) == dt.date.fromisoformat(first_covered)


def test_long_term_glucocorticoids_lift_the_hold_and_say_so(tmp_path):
    result = coded(tmp_path, [earlier(1, "2025-09-01")],
                   current("2026-05-04", indications=["on prednisone 7.5 mg daily for 2 years"]))
    assert "Z79.52" in {c.code for c in result.coding.icd10}
    assert HoldReason.FREQUENCY_LIMIT not in {h.reason for h in result.billing.holds}
    check = result.billing.frequency
    assert check.within_limit and "glucocorticoid" in check.exception and "Z79.52" in check.exception


def test_an_axial_dxa_confirming_a_non_axial_baseline_lifts_the_hold(tmp_path):
    result = coded(tmp_path, [earlier(1, "2025-09-01", cpt="77081")], current("2026-05-04"))
    assert HoldReason.FREQUENCY_LIMIT not in {h.reason for h in result.billing.holds}
    assert "non-axial" in result.billing.frequency.exception
    # an axial baseline gives no such exception
    result = coded(tmp_path / "b", [earlier(1, "2025-09-01", cpt="77080")], current("2026-05-04"))
    assert HoldReason.FREQUENCY_LIMIT in {h.reason for h in result.billing.holds}


def test_only_a_covered_measurement_counts(tmp_path):
    """A held (never billed) exam, or a VFA alone, is no covered bone mass measurement."""
    held = earlier(1, "2025-09-01", billing={"status": "held", "holds": [
        {"reason": "needs_review", "message": "flagged"}]})
    vfa = earlier(2, "2025-10-01", cpt="77086")
    result = coded(tmp_path, [held, vfa], current("2026-05-04"))
    assert result.billing.frequency is None
    assert HoldReason.FREQUENCY_LIMIT not in {h.reason for h in result.billing.holds}


def test_no_rule_no_hold(tmp_path):
    settings = PRECISE.model_copy(update={"frequency_rule": "none"})
    result = coded(tmp_path, [earlier(1, "2025-09-01")], current("2026-05-04"), settings)
    assert result.billing.frequency is None and result.comparison is not None


def test_code_history_store_option(tmp_path, capsys):
    """`dxaparse code --history-store` codes with the store's history; without it, none."""
    from dxaparse.cli import main

    db = tmp_path / "results.sqlite"
    with Store(db) as store:
        store.add(earlier(1, "2025-01-10", spine=0.812))
    path = tmp_path / "exam.json"
    path.write_text(json.dumps(current(spine=0.760).model_dump(mode="json", exclude={"source"})),
                    encoding="utf-8")
    assert main(["code", "--no-ocr", "--history-store", str(db), str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["comparison"]["prior_date"] == "2025-01-10"
    assert "frequency_limit" in {h["reason"] for h in out["billing"]["holds"]}
    assert main(["code", "--no-ocr", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["comparison"] is None


def test_a_correction_in_the_review_workbench_keeps_the_history(tmp_path):
    """The workbench re-codes a corrected exam as the entry points code it: with the patient's history
    in its store, so a correction keeps the comparison and the frequency hold."""
    from dxaparse.review.edits import recode

    prior = earlier(1, "2025-01-10", spine=0.812)
    db = tmp_path / "results.sqlite"
    with Store(db) as store:
        store.add(prior)
    findings = current("2026-05-04", spine=0.780)
    first = result_of(findings, PRECISE, TODAY, history=lookup(db, findings, PRECISE))
    corrected = findings.model_copy(deep=True)
    corrected.measurements[1].t_score = -2.6
    again = recode(first, corrected, PRECISE, db)
    assert again.comparison is not None and again.comparison.prior_sha256 == prior.source.sha256
    assert HoldReason.FREQUENCY_LIMIT in {h.reason for h in again.billing.holds}
    alone = recode(first, corrected, PRECISE)   # no store: no history, as `dxaparse code` without one
    assert HoldReason.FREQUENCY_LIMIT not in {h.reason for h in alone.billing.holds}
