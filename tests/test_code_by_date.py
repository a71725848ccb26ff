"""Code tables by date of service: each exam is coded with the CPT table of its calendar year and the
ICD-10-CM table of its fiscal year; outside the tables' range it is coded with the nearest ones "for the
record" and `in_force(...).covered` is False. The switch at 1 January and at 1 October is tested with a
made-up next year written to a folder of the test's own, never with shipped data."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from pydantic import ValidationError

from dxaparse.about import DATA
from dxaparse.code import CodingSettings, code_findings
from dxaparse.code import tables as tables_module
from dxaparse.code.tables import cpt_tables, icd10_tables, in_force
from dxaparse.models import Findings

DAY = dt.timedelta(days=1)
SPINE_LOW = {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "t_score": -1.6}
AXIAL_LABEL = "DXA bone density, axial skeleton (spine, hip, pelvis)"
SPINE_LABEL = "low bone density, other site (lumbar spine)"
TBS_REPORT = "trabecular bone score, interpretation and report only"
MADE_UP_AXIAL = "made-up 2027 wording of the axial study"
MADE_UP_SPINE = "made-up FY2027 wording of the spine code"


def coded(day: dt.date | None, measurements=(SPINE_LOW,), settings: CodingSettings | None = None, **rest):
    data = {"source": {"path": "t.json", "kind": "findings-json", "sha256": "0"},
            "patient": {"sex": "F", "age_years": 67, "menopausal_status": "post"},
            "exam": {"date": day.isoformat() if day else None}, "measurements": list(measurements), **rest}
    return code_findings(Findings.model_validate(data), settings or CodingSettings())


def edited(name: str, *changes: tuple[str, str]) -> str:
    """A shipped table's text with `changes` made; each must apply, so a reworded table fails here."""
    text = (DATA / name).read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, f"{name} no longer holds {old!r}"
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def next_year(tmp_path, monkeypatch) -> Path:
    """A made-up CPT 2027 (77080 relabelled, 77092 deleted) and ICD-10-CM FY2027 (M85.88 relabelled) in
    a folder the table loader searches besides the shipped one: adding a year is only a new file."""
    (tmp_path / "cpt-2027.toml").write_text(edited(
        "cpt-2026.toml",
        ('edition = "CPT 2026"', 'edition = "CPT 2027"'), ("year = 2026", "year = 2027"),
        ("effective = 2026-01-01", "effective = 2027-01-01"), ("until = 2026-12-31", "until = 2027-12-31"),
        (f'label = "{AXIAL_LABEL}"', f'label = "{MADE_UP_AXIAL}"'),
        (f'label = "{TBS_REPORT}"\nstatus = "active"\nrole = "tbs_part"',
         f'label = "{TBS_REPORT}"\nstatus = "deleted"\ndeleted = 2027-01-01')), encoding="utf-8")
    (tmp_path / "icd10cm-2027.toml").write_text(edited(
        "icd10cm-2026.toml",
        ('edition = "ICD-10-CM FY2026"', 'edition = "ICD-10-CM FY2027"'), ("year = 2026", "year = 2027"),
        ("effective = 2025-10-01", "effective = 2026-10-01"), ("until = 2026-09-30", "until = 2027-09-30"),
        (f'label = "{SPINE_LABEL}"', f'label = "{MADE_UP_SPINE}"')), encoding="utf-8")
    monkeypatch.setattr(tables_module, "TABLE_FOLDERS", (*tables_module.TABLE_FOLDERS, tmp_path))
    return tmp_path


# --- the shipped tables -------------------------------------------------------------------------


def test_cpt_tables_run_by_calendar_year_and_icd_tables_by_fiscal_year():
    for t in cpt_tables():
        year = t.header.effective.year
        assert (t.header.effective, t.header.until) == (dt.date(year, 1, 1), dt.date(year, 12, 31))
        assert t.header.edition == f"CPT {year}"
    for t in icd10_tables():
        year = t.header.until.year
        assert (t.header.effective, t.header.until) == (dt.date(year - 1, 10, 1), dt.date(year, 9, 30))
        assert t.header.edition == f"ICD-10-CM FY{year}"
    assert len(cpt_tables()) >= 2 and len(icd10_tables()) >= 2      # this year's and the prior year's


@pytest.mark.parametrize(("kind", "all_tables"), [("CPT", cpt_tables), ("ICD-10-CM", icd10_tables)])
def test_each_day_is_coded_with_the_table_in_force_on_it(kind, all_tables):
    def chosen(day):
        return (in_force(day).cpt if kind == "CPT" else in_force(day).icd10).header.edition

    for before, after in itertools.pairwise(all_tables()):
        assert chosen(before.header.until) == before.header.edition
        assert chosen(after.header.effective) == after.header.edition


def test_cpt_switches_on_1_january_and_icd_on_1_october_with_the_shipped_tables():
    assert in_force(dt.date(2025, 12, 31)).editions == ("CPT 2025", "ICD-10-CM FY2026")
    assert in_force(dt.date(2026, 1, 1)).editions == ("CPT 2026", "ICD-10-CM FY2026")
    assert in_force(dt.date(2025, 9, 30)).editions == ("CPT 2025", "ICD-10-CM FY2025")
    assert in_force(dt.date(2025, 10, 1)).editions == ("CPT 2025", "ICD-10-CM FY2026")


def test_an_exam_older_than_every_table_is_coded_with_the_oldest_and_not_covered():
    oldest = min(cpt_tables()[0].header.effective, icd10_tables()[0].header.effective)
    found = in_force(oldest - DAY)
    assert (found.cpt, found.icd10) == (cpt_tables()[0], icd10_tables()[0])
    assert not found.covered
    assert [s.split(" table")[0] for s in found.uncovered] == ["no CPT", "no ICD-10-CM"]
    assert f"coded with {cpt_tables()[0].header.edition} for the record" in found.uncovered[0]


def test_one_kind_of_table_missing_is_enough_to_be_not_covered():
    """FY2025 begins on 2024-10-01, CPT 2025 only on 2025-01-01: an exam in between has an ICD-10-CM
    table and no CPT table."""
    found = in_force(dt.date(2024, 11, 20))
    assert found.editions == ("CPT 2025", "ICD-10-CM FY2025")
    assert not found.covered and len(found.uncovered) == 1 and found.uncovered[0].startswith("no CPT table")


def test_an_exam_after_the_newest_table_is_coded_with_the_newest_and_not_covered():
    last = max(cpt_tables()[-1].header.until, icd10_tables()[-1].header.until)
    found = in_force(last + DAY)
    assert (found.cpt, found.icd10) == (cpt_tables()[-1], icd10_tables()[-1])
    assert not found.covered and len(found.uncovered) == 2


def test_no_date_is_coded_with_the_newest_tables_and_counts_as_covered():
    found = in_force(None)
    assert found.editions == (cpt_tables()[-1].header.edition, icd10_tables()[-1].header.edition)
    assert found.covered and found.uncovered == ()


def test_an_old_exam_codes_as_the_oldest_tables_say_with_no_flag_for_the_missing_table():
    """2014 has no table: coded with CPT 2025 / FY2025 for the record. The billing stage holds it
    (`in_force(day).covered`); coding.md §6 has no flag for it, so needs_review is not touched."""
    old, current = coded(dt.date(2014, 5, 2)), coded(dt.date(2026, 2, 3))
    assert old == current
    assert [line.code for line in old.icd10] == ["M85.88"] and not old.needs_review


# --- a made-up next year ------------------------------------------------------------------------


def test_the_cpt_table_switches_on_1_january(next_year):
    dec, jan = coded(dt.date(2026, 12, 31)), coded(dt.date(2027, 1, 1))
    assert [line.code for line in dec.cpt] == [line.code for line in jan.cpt] == ["77080"]
    assert dec.cpt[0].reason.startswith(f"{AXIAL_LABEL}:")
    assert jan.cpt[0].reason.startswith(f"{MADE_UP_AXIAL}:")
    assert in_force(dt.date(2027, 1, 1)).editions == ("CPT 2027", "ICD-10-CM FY2027")
    assert in_force(dt.date(2027, 1, 1)).covered


def test_a_code_deleted_in_the_new_year_is_refused_from_that_day(next_year):
    assert in_force(dt.date(2026, 12, 31)).cpt.require_active("77092").code == "77092"
    with pytest.raises(ValueError, match="77092 was deleted on 2027-01-01: never output"):
        in_force(dt.date(2027, 1, 1)).cpt.require_active("77092")
    # a site cannot configure a TBS split code that some year's table no longer has
    with pytest.raises(ValidationError, match="77092 not among the TBS split codes"):
        CodingSettings(tbs_split=True, tbs_split_codes=["77092"])
    split = CodingSettings(tbs_split=True, tbs_split_codes=["77091"])
    assert [line.code for line in coded(dt.date(2027, 1, 1), settings=split, tbs={"value": 1.2}).cpt] == [
        "77080", "77091"]


def test_the_icd_table_switches_on_1_october(next_year):
    sep, oct_ = coded(dt.date(2026, 9, 30)), coded(dt.date(2026, 10, 1))
    assert [line.code for line in sep.icd10] == [line.code for line in oct_.icd10] == ["M85.88"]
    assert SPINE_LABEL in sep.icd10[0].reason and MADE_UP_SPINE not in sep.icd10[0].reason
    assert MADE_UP_SPINE in oct_.icd10[0].reason
    assert in_force(dt.date(2026, 10, 1)).editions == ("CPT 2026", "ICD-10-CM FY2027")


def test_the_new_year_becomes_the_newest_for_exams_without_a_date_and_moves_the_range(next_year):
    assert in_force(None).editions == ("CPT 2027", "ICD-10-CM FY2027")
    assert in_force(dt.date(2027, 6, 1)).covered
    assert not in_force(dt.date(2028, 1, 1)).covered


@pytest.mark.parametrize("effective", ["2029-01-01", "2027-06-01"], ids=["gap", "overlap"])
def test_tables_that_leave_a_gap_or_overlap_are_refused(next_year, effective):
    (next_year / "cpt-2029.toml").write_text(edited(
        "cpt-2026.toml", ('edition = "CPT 2026"', 'edition = "CPT 2029"'),
        ("effective = 2026-01-01", f"effective = {effective}"), ("until = 2026-12-31", "until = 2029-12-31")),
        encoding="utf-8")
    with pytest.raises(ValueError, match="overlap or leave a gap"):
        in_force(dt.date(2026, 2, 3))


def test_a_folder_without_tables_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables_module, "TABLE_FOLDERS", (tmp_path,))
    with pytest.raises(ValueError, match="no CPT code table in"):
        in_force(None)
