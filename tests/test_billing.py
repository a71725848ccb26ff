"""Billing state (issue 14): nothing goes out as billable that a coder has not cleared, and no date of
service or patient identifier is ever invented on the way.

The cases the issue reported — a flagged exam billed, a missing date of service turned into today, a
missing patient identifier sent blank — are tested through the real coder and every emitter; a
property test drives random findings through the whole chain."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.billing import add_months, decide, release
from dxaparse.code import CodingSettings
from dxaparse.code.quality import IDENTITY_REASONS
from dxaparse.emit.csv_out import to_csv
from dxaparse.emit.fhir import bundle
from dxaparse.emit.hl7 import dft_p03, hl7_messages, to_hl7
from dxaparse.emit.store import Store
from dxaparse.models import BillingStatus, Doubt, DoubtReason, ExamResult, Findings, HoldReason
from dxaparse.pipeline import result_of

from ._exams import exam

TODAY = dt.date(2026, 6, 15)
"""The day the tests code on: the filing window ends relative to it, so no test ages."""
OPEN = CodingSettings()


def findings(*, patient_id: str | None = "MRN1", date: dt.date | None = dt.date(2026, 5, 1),
             age: float = 67, spine_t: float = -2.7, impression: str | None = None,
             indications=("on prednisone",)) -> Findings:
    return Findings.model_validate({
        "source": {"path": "x.json", "kind": "findings-json", "sha256": "ab" * 32},
        "patient": {"id": patient_id, "sex": "F", "age_years": age, "menopausal_status": "post"},
        "exam": {"date": date, "study_uid": "1.2.3.4", "scans": ["spine"]},
        "measurements": [{"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
                          "bmd": 0.8, "t_score": spine_t}],
        "indications": list(indications), "impression": impression})


def coded(f: Findings, site: CodingSettings = OPEN, today: dt.date = TODAY) -> ExamResult:
    return result_of(f, site, today)


def kinds(result: ExamResult, billed: ExamResult | None = None) -> list[tuple[str, str]]:
    """(kind, result status or FT1-6) of each HL7 message the result sends."""
    out = []
    for kind, text in hl7_messages(result, billed, ("dft", "oru")):
        segments = [s.split("|") for s in text.split("\r") if s]
        status = {s[0]: s for s in segments}
        out.append((kind, status["OBR"][25] if "OBR" in status else status["FT1"][6]))
    return out


def report_of(result: ExamResult):
    """The DiagnosticReport of the result's FHIR Bundle: its status is the review state."""
    return next(e.resource for e in bundle(result).entry
                if e.resource.get_resource_type() == "DiagnosticReport")


def reasons(result: ExamResult) -> list[str]:
    return [h.reason.value for h in result.billing.holds]


# --- the reported cases ------------------------------------------------------------------------------


def test_a_clean_recent_exam_is_ready_and_bills():
    r = coded(findings())
    assert r.billing.status is BillingStatus.READY and r.billing.holds == []
    assert kinds(r) == [("DFT^P03", "CG"), ("ORU^R01", "F")]
    assert report_of(r).status == "final"


def test_case_1_a_flagged_exam_is_held_not_billed():
    # an impression that disagrees with the numbers: coding.md §6.6, needs_review
    r = coded(findings(spine_t=-1.5, impression="Osteoporosis."))
    assert r.coding.needs_review and [f.code for f in r.coding.flags] == ["impression_disagrees"]
    assert reasons(r) == ["needs_review"] and "impression_disagrees" in r.billing.holds[0].message
    assert kinds(r) == [("ORU^R01", "P")]  # no DFT^P03, preliminary results
    assert "DFT" not in to_hl7([r], False)
    assert report_of(r).status == "preliminary"
    assert {e.resource.status for e in bundle(r).entry
            if e.resource.get_resource_type() == "Observation"} == {"preliminary"}
    [row] = csv.DictReader(io.StringIO(to_csv([r], False)))
    assert (row["billing_status"], row["holds"], row["needs_review"]) == ("held", "needs_review", "1")


def test_case_2_a_missing_date_of_service_is_held_and_never_invented():
    r = coded(findings(date=None))
    assert reasons(r) == ["missing_exam_date"]
    assert not r.coding.needs_review  # a billing question, not a coding one
    text = to_hl7([r], False)
    assert "FT1" not in text and "DFT" not in text
    assert TODAY.strftime("%Y%m%d") not in text.split("\r", 1)[1]  # beyond MSH-7 (message time)
    with pytest.raises(ValueError, match="no charge to post"):
        dft_p03(r)


def test_case_2_a_missing_patient_id_is_held():
    for missing in (None, "", "   "):
        r = coded(findings(patient_id=missing))
        assert reasons(r) == ["missing_patient_id"], missing
        assert kinds(r) == [("ORU^R01", "P")]


@pytest.mark.parametrize(("date", "held"), [
    (dt.date(2025, 6, 15), False),   # exactly 12 months: the last day a claim may be filed
    (dt.date(2025, 6, 14), True),
    (dt.date(2024, 1, 1), True),
    (dt.date(2026, 6, 15), False),
])
def test_the_timely_filing_window_holds_older_exams(date, held):
    r = coded(findings(date=date))
    assert ("outside_filing_window" in reasons(r)) is held
    if held:
        [late] = [h for h in r.billing.holds if h.reason is HoldReason.OUTSIDE_FILING_WINDOW]
        assert f"the exam of {date.isoformat()}" in late.message
    assert not r.coding.needs_review


def test_no_filing_limit_when_the_site_sets_zero():
    r = coded(findings(date=dt.date(2019, 1, 1)), CodingSettings(timely_filing_months=0))
    assert "outside_filing_window" not in reasons(r)


def test_a_site_billing_on_release_holds_ready_exams_too():
    r = coded(findings(), CodingSettings(bill_ready_exams="on-release"))
    assert reasons(r) == ["release_required"]
    # other holds say why already: release_required is only the reason of an otherwise ready exam
    r = coded(findings(patient_id=None), CodingSettings(bill_ready_exams="on-release"))
    assert reasons(r) == ["missing_patient_id"]


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 3, 1), 0) == dt.date(2025, 3, 1)


# --- release -------------------------------------------------------------------------------------------


def test_release_keeps_the_holds_and_records_who_and_when():
    held = coded(findings(spine_t=-1.5, impression="Osteoporosis."))
    at = dt.datetime(2026, 6, 16, 8, 0, tzinfo=dt.UTC)
    released = release(held.billing, "coder1", "confirmed with Dr A", at)
    assert released.status is BillingStatus.RELEASED and released.holds == held.billing.holds
    assert (released.release.by, released.release.at, released.release.note) == ("coder1", at,
                                                                                 "confirmed with Dr A")
    with pytest.raises(ValueError, match="not held"):
        release(released, "coder2")
    with pytest.raises(ValueError, match="not held"):
        release(coded(findings()).billing, "coder2")


def test_an_amended_held_result_neither_credits_nor_charges_until_released():
    first = exam(1)                                   # billed: ready, its charge went out
    coding = first.coding.model_dump()
    coding.update(cpt=coding["cpt"][:1], needs_review=True,  # the charges changed, and need review
                  flags=[{"code": "value_doubt", "message": "the reader is unsure of a value"}])
    amended = exam(2, exam=first.exam.model_dump(), coding=coding)
    amended.billing = decide(amended, amended.coding, OPEN, TODAY)
    assert amended.billing.status is BillingStatus.HELD
    assert kinds(amended, first) == [("ORU^R01", "P")]
    held = amended.billing
    amended.billing = release(held, "coder1")
    assert kinds(amended, first) == [("DFT^P03 credit", "CD"), ("DFT^P03", "CG"), ("ORU^R01", "C")]
    # the final results of the released exam are another message than its preliminary ones
    ids = {text.split("|")[9] for _, text in hl7_messages(amended, first, ("oru",))}
    amended.billing = held
    assert ids.isdisjoint(text.split("|")[9] for _, text in hl7_messages(amended, first, ("oru",)))


def test_a_result_stored_before_billing_states_is_held_as_not_assessed(tmp_path):
    legacy = json.loads(exam(3).model_dump_json())
    del legacy["billing"]
    r = ExamResult.model_validate(legacy)
    assert reasons(r) == ["not_assessed"] and not r.billing.billable
    with Store(tmp_path / "s.sqlite3") as store:
        store.add(r)
        [back] = store.iter_results()
    assert back.billing.status is BillingStatus.HELD


def _stored(tmp_path, *results: ExamResult):
    path = tmp_path / "store.sqlite3"
    with Store(path) as store:
        for r in results:
            store.add(r)
    return path


def test_release_command_bills_a_held_exam_and_records_it(tmp_path, cli):
    held = coded(findings(spine_t=-1.5, impression="Osteoporosis."))
    path = _stored(tmp_path, held)
    out = tmp_path / "out"
    run = cli("release", "--store", str(path), held.source.sha256[:10], "--by", "coder1", "--note", "ok",
              "--out-dir", str(out))
    assert run.code == 0, run.err
    assert f"{held.source.sha256[:12]} released by coder1: DFT^P03, ORU^R01" in run.err
    text = (out / "hl7" / f"{held.source.sha256}.release.hl7").read_bytes().decode()
    messages = [m for m in text.split("\n") if m]
    assert [m.split("|")[8] for m in messages] == ["DFT^P03^DFT_P03", "ORU^R01^ORU_R01"]
    assert "|20260501|" in messages[0]  # FT1-4: the date of service
    with Store(path) as store:
        [back] = store.iter_results()
    assert back.billing.status is BillingStatus.RELEASED and back.billing.release.by == "coder1"
    assert back.billing.release.note == "ok" and back.billing.holds == held.billing.holds


def test_release_command_writes_to_stdout_without_a_destination(tmp_path, cli):
    held = coded(findings(), CodingSettings(bill_ready_exams="on-release"))
    run = cli("release", "--store", str(_stored(tmp_path, held)), held.source.sha256)
    assert run.code == 0, run.err
    assert run.out.count("MSH|") == 2 and "FT1|" in run.out


def test_release_command_refuses_what_cannot_bill(tmp_path, cli):
    no_date = coded(findings(date=None))
    no_id = coded(findings(patient_id=None)).model_copy(deep=True)
    no_id.source.sha256 = "cd" * 32
    ready = coded(findings()).model_copy(deep=True)
    ready.source.sha256 = "ef" * 32
    ready.exam.study_uid = "9.9"
    path = _stored(tmp_path, no_date, no_id, ready)
    cases = {"ab" * 32: "no date of service", "cd" * 8: "no patient identifier",
             "ef" * 32: "ready, not held", "zz-not-hex": "not a content hash", "0123abcd": "no stored exam"}
    for name, reason in cases.items():
        run = cli("release", "--store", str(path), name)
        assert run.code == 2 and reason in run.err, (name, run.err)
    run = cli("release", "--store", str(tmp_path / "none.sqlite3"), "ab" * 32)
    assert run.code == 2 and "no store" in run.err


def test_release_command_refuses_a_superseded_result(tmp_path, cli):
    old = coded(findings(spine_t=-1.5, impression="Osteoporosis."))
    new = coded(findings(spine_t=-1.6, impression="Osteoporosis.")).model_copy(deep=True)
    new.source.sha256 = "99" * 32
    run = cli("release", "--store", str(_stored(tmp_path, old, new)), old.source.sha256)
    assert run.code == 2 and "supersedes it (999999999999)" in run.err


# --- the whole chain, for any findings ----------------------------------------------------------------

_dates = st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2026, 6, 15)))


@settings(max_examples=60, deadline=None)
@given(patient_id=st.one_of(st.none(), st.just(""), st.text("AZ09-", min_size=1, max_size=12)),
       date=_dates, spine_t=st.floats(-4.0, 1.0).map(lambda t: round(t, 1)),
       impression=st.sampled_from([None, "Osteoporosis.", "Normal bone density.", "Osteopenia."]),
       indications=st.sampled_from([(), ("on prednisone",), ("screening",)]),
       site=st.builds(CodingSettings, bill_ready_exams=st.sampled_from(["at-once", "on-release"]),
                      timely_filing_months=st.sampled_from([0, 6, 12])))
def test_no_charge_leaves_unless_billable_and_no_date_is_invented(patient_id, date, spine_t, impression,
                                                                   indications, site):
    r = coded(findings(patient_id=patient_id, date=date, spine_t=spine_t, impression=impression,
                       indications=indications), site)
    billing = r.billing
    # held exactly when there is a hold; every §6 flag holds the charge
    assert (billing.status is BillingStatus.HELD) == bool(billing.holds)
    assert (HoldReason.NEEDS_REVIEW in [h.reason for h in billing.holds]) == r.coding.needs_review
    hl7 = to_hl7([r], False)
    messages = [m for m in hl7.split("\n") if m]
    dfts = [m for m in messages if m.split("|")[8].startswith("DFT")]
    if billing.billable:
        assert patient_id and patient_id.strip() and date is not None
        assert len(dfts) == (1 if r.coding.cpt else 0)
        for dft in dfts:  # every FT1 carries the date of service, and only it
            ft1s = [s.split("|") for s in dft.split("\r") if s.startswith("FT1")]
            assert ft1s and {s[4] for s in ft1s} == {date.strftime("%Y%m%d")}
    else:
        assert dfts == []
    oru = next(m for m in messages if m.split("|")[8].startswith("ORU"))
    obr = next(s.split("|") for s in oru.split("\r") if s.startswith("OBR"))
    assert obr[25] == ("F" if billing.billable else "P")
    assert obr[7] == (date.strftime("%Y%m%d") if date else "")
    assert report_of(r).status == ("final" if billing.billable else "preliminary")
    [row, *_] = csv.DictReader(io.StringIO(to_csv([r], False)))
    assert row["billing_status"] == billing.status.value and row["exam_date"] == (str(date) if date else "")


# --- holds from the code tables and the readers' identity checks ---------------------------------------


def test_an_exam_no_code_table_covers_is_coded_for_the_record_but_held():
    r = coded(findings(date=dt.date(2014, 5, 2)), CodingSettings(timely_filing_months=0))
    assert reasons(r) == ["no_table_for_date"] and "2014-05-02" in r.billing.holds[0].message
    assert [c.code for c in r.coding.cpt] == ["77080"] and not r.coding.needs_review
    assert kinds(r) == [("ORU^R01", "P")]
    # with the default filing window, both reasons are given
    both = coded(findings(date=dt.date(2014, 5, 2)))
    assert reasons(both) == ["no_table_for_date", "outside_filing_window"]


@pytest.mark.parametrize("reason", ["patient_mismatch", "date_mismatch"])
def test_identity_doubts_hold_the_charge_without_flagging_the_coding(reason):
    f = findings()
    f.exam.doubts = [Doubt(field="patient.id", reason=DoubtReason(reason),
                           detail="the DICOM header says patient ID 'A' but the page prints 'B'")]
    r = coded(f)
    assert not r.coding.needs_review and reasons(r) == [reason]
    assert "the page prints 'B'" in r.billing.holds[0].message
    assert kinds(r) == [("ORU^R01", "P")]


def test_every_identity_doubt_has_its_hold():
    assert {HoldReason(r.value) for r in IDENTITY_REASONS} == {HoldReason.PATIENT_MISMATCH,
                                                               HoldReason.DATE_MISMATCH}
