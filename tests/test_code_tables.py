"""The coding data tables (dxaparse/code/data/*.toml): every code real and billable, deleted codes
refused, and the docs in step with the tables. CPT and ICD-10-CM checks run on every year's table."""

from __future__ import annotations

from pathlib import Path

import pytest
import simple_icd_10_cm as cm

from dxaparse.code.flags import CHECKS
from dxaparse.code.settings import CodingSettings
from dxaparse.code.tables import cpt_tables, diagnosis, icd10_tables, impression, in_force, indications
from dxaparse.models import Site

ROOT = Path(__file__).resolve().parents[1]


CPT = pytest.mark.parametrize("table", cpt_tables(), ids=lambda t: t.header.edition)
ICD = pytest.mark.parametrize("table", icd10_tables(), ids=lambda t: t.header.edition)


def emittable_icd_codes(table) -> set[str]:
    return ({*table.finding.values(), *(c for sides in table.low_density.values() for c in sides.values())}
            | {e.code for e in indications().entries})


# simple-icd-10-cm holds one release (April 2026, FY2026): the newest table is checked against it. The
# FY2025 table was compared with the April 2025 release by hand (its header says how and what).
@pytest.mark.parametrize("code", sorted(icd10_tables()[-1].codes))
def test_every_listed_icd_code_is_valid_and_billable(code):
    assert cm.is_valid_item(code), code
    assert cm.is_leaf(code), f"{code} is a category, not a billable leaf"


@ICD
def test_every_code_the_coder_can_emit_is_listed(table):
    assert emittable_icd_codes(table) <= set(table.codes)


@ICD
def test_m85_80_is_never_emitted(table):
    assert "M85.80" in table.never
    assert "M85.80" not in emittable_icd_codes(table)
    assert "M85.80" not in table.codes


@ICD
def test_icd_table_matches_coding_md(table):
    assert table.finding == {"osteoporosis": "M81.0", "osteoporosis_other": "M81.8",
                             "current_vertebral_fracture": "M80.08XA", "fracture_history": "Z87.310",
                             "screening": "Z13.820", "multiple_regions": "M85.89"}
    assert table.low_density == {"spine": {"any": "M85.88"},
                                 "hip": {"right": "M85.851", "left": "M85.852", "unknown": "M85.859"},
                                 "forearm": {"right": "M85.831", "left": "M85.832", "unknown": "M85.839"}}
    assert {e.key: e.code for e in indications().entries} == {
        "history_fragility_fracture": "Z87.310", "postmenopausal": "Z78.0", "glucocorticoids": "Z79.52",
        "inhaled_steroids": "Z79.51", "bisphosphonate": "Z79.83", "aromatase_inhibitor": "Z79.811",
        "serm": "Z79.810", "other_estrogen_agent": "Z79.818", "family_history_osteoporosis": "Z82.62",
        "primary_hyperparathyroidism": "E21.0", "screening": "Z13.820"}
    assert indications().entries[-1].key == "screening"


@CPT
@pytest.mark.parametrize(("code", "deleted"), [("77082", "2015-01-01"), ("77083", None), ("77079", None)])
def test_deleted_cpt_codes_are_listed_as_deleted(table, code, deleted):
    entry = table.codes[code]
    assert entry.status == "deleted" and entry.role is None
    assert (entry.deleted.isoformat() if entry.deleted else None) == deleted
    with pytest.raises(ValueError, match="deleted"):
        table.require_active(code)


@CPT
def test_cpt_roles_answer_the_dxa_codes(table):
    assert {r: table.for_role(r).code for r in ("axial", "peripheral", "axial_with_vfa", "vfa_alone",
                                                "tbs_global")} == {
        "axial": "77080", "peripheral": "77081", "axial_with_vfa": "77085", "vfa_alone": "77086",
        "tbs_global": "77089"}
    assert sorted(c.code for c in table.with_role("tbs_part")) == ["77090", "77091", "77092"]
    assert all(c.units_per_day == 1 for c in table.codes.values() if c.status == "active")
    assert table.distinct_modifier == {"medicare": "XU", "commercial": "59"}


@CPT
def test_cpt_labels_are_our_own_short_words(table):
    for entry in table.codes.values():
        assert entry.label and len(entry.label) <= 90
        assert "(eg," not in entry.label and "1 or more sites" not in entry.label  # AMA descriptor style


def test_no_exam_date_codes_with_the_newest_tables():
    tables = in_force(None)
    assert (tables.cpt, tables.icd10) == (cpt_tables()[-1], icd10_tables()[-1]) and tables.covered


def test_who_thresholds_and_sites():
    rules = diagnosis()
    assert (rules.normal_from, rules.osteoporosis_at, rules.below_expected_at) == (-1.0, -2.5, -2.0)
    assert rules.diagnostic_sites == [Site.LUMBAR_SPINE, Site.TOTAL_HIP, Site.FEMORAL_NECK, Site.RADIUS_33]
    assert set(rules.sites) == set(Site)


@pytest.mark.parametrize("vendor", ["unknown", "hologic", "ge-lunar", "norland"])
def test_readers_doubt_values_in_the_coders_plausible_ranges(vendor):
    """A value the reader passes as plausible is never flagged implausible by the coder, and the reverse:
    the reader's and the coder's ranges are one."""
    from dxaparse.read.dicom.sr_terms import sr_terms
    from dxaparse.read.layout.layouts import plausible

    rules, sr = diagnosis(), sr_terms(vendor).plausible
    assert sr["bmd"] == rules.bmd_range and sr["t_score"] == sr["z_score"] == rules.score_range
    assert sr["tbs"] == plausible()["tbs"] == rules.tbs_range
    for kind in ("frax_major", "frax_hip"):
        assert sr[kind] == plausible()[kind] == rules.frax_range


def test_patterns_compile():
    assert impression().categories and impression().other_osteoporosis
    assert all(e.patterns for e in indications().entries)


def test_docs_list_every_indication_key_flag_and_setting():
    coding_md = (ROOT / "docs" / "coding.md").read_text(encoding="utf-8")
    config_md = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for e in indications().entries:
        assert f"`{e.key}`" in coding_md, e.key
    for key in CHECKS:
        assert f"`{key}`" in coding_md, key
    for name in CodingSettings.model_fields:
        assert f"`{name}`" in config_md, name
