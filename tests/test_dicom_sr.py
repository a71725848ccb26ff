"""DXA results from SR content trees: every way a site, a quantity and its units can be stated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataelem import DataElement

from dxaparse import vendors
from dxaparse.models import Doubt, Scan, Site
from dxaparse.models import DoubtReason as R
from dxaparse.read.dicom.scan_names import scan_of_name
from dxaparse.read.dicom.sr import read_sr
from dxaparse.read.dicom.sr_terms import sr_terms

from ._dicom import bmd, gen, spine_container, sr_dataset, t_score

local, container, num, coded, ucum, code = gen.local, gen.container, gen.num, gen.coded, gen.ucum, gen.code


def read(content, vendor="hologic"):
    return read_sr(sr_dataset(content, vendor), vendor)


def site_mod(label: str):
    return coded(gen.FINDING_SITE, local(label), "HAS CONCEPT MOD")


def side_mod(side: str):
    return coded(gen.LATERALITY, gen.SIDES[side], "HAS CONCEPT MOD")


def rows(sr):
    return [(m.site, m.side, m.label) for m in sr.measurements]


def test_container_regions_take_their_scan_and_side_from_the_container_around_them():
    sr = read([container(local("Left Forearm"), [container(local("1/3"), [bmd(0.7), t_score(-2.7)]),
                                                  container(local("Total"), [bmd(0.5)])]),
               container(local("Right Femur"), [container(local("Total"), [bmd(0.9)])])])
    assert rows(sr) == [(Site.RADIUS_33, "left", "1/3"), (Site.FOREARM_TOTAL, "left", "Total"),
                        (Site.TOTAL_HIP, "right", "Total")]
    assert sr.measurements[0].t_score == -2.7 and sr.measurements[0].bmd == 0.7
    assert sr.scans == {Scan.FOREARM, Scan.HIP}


def test_finding_site_and_laterality_modifiers_on_the_value():
    value = num(code("24701-5", "LN", "DXA Femur [Mass/Area]"), 0.7, ucum("g/cm2"),
                [site_mod("Femoral Neck"), side_mod("right")])
    mean = num(code("38264-8", "LN", "DXA Hip [T-score]"), -1.2, ucum("{T-Score}"),
               [site_mod("Total Hip"), side_mod("mean")])
    sr = read([container(code("83311-1", "LN", "Bone density panel"), [value, mean])], "ge-lunar")
    assert rows(sr) == [(Site.FEMORAL_NECK, "right", "Femoral Neck"), (Site.TOTAL_HIP, "mean", "Total Hip")]


def test_modifiers_of_a_container_apply_to_the_values_inside():
    mods = [site_mod("Total Hip"), side_mod("left")]
    sr = read([container(local("Results"), [*mods, bmd(0.9), t_score(-1.0)])])
    assert rows(sr) == [(Site.TOTAL_HIP, "left", "Total Hip")]
    assert sr.measurements[0].t_score == -1.0


def test_region_in_the_concept_name():
    values = [bmd(0.81, name="L2-L4 BMD"), t_score(-1.9, name="Right Neck T-score")]
    sr = read([container(local("Results"), values)])
    assert rows(sr) == [(Site.LUMBAR_SPINE, None, "L2-L4"), (Site.FEMORAL_NECK, "right", "Right Neck")]
    assert sr.measurements[0].vertebrae == ["L2", "L3", "L4"]


def test_the_concept_code_names_the_site_when_the_tree_does_not():
    sr = read([num(code("46278-8", "LN", "Hip left BMD"), 0.85, ucum("g/cm2"))], "unknown")
    assert rows(sr) == [(Site.TOTAL_HIP, "left", "total hip")]


def test_units_alone_name_bmd_t_and_z_but_not_grams():
    sr = read([spine_container(bmd(0.8, name="Densité osseuse"), t_score(-1.0, "{T-Score}", name="Score T"),
                               num(code("FAT", "99TEST", "Fat Mass"), 21000, ucum("g")))])
    [m] = sr.measurements
    assert (m.bmd, m.t_score, m.bmc) == (0.8, -1.0, None)


def test_unknown_region_is_other_and_reported_unrecognized():
    sr = read([container(local("Skull Cap"), [bmd(0.9)])])
    assert rows(sr) == [(Site.OTHER, None, "Skull Cap")] and sr.unrecognized == ["Skull Cap"]


def test_difference_containers_are_not_results():
    neck = container(local("Neck"), [site_mod("Neck"), side_mod("left"), bmd(0.7)])
    diff = container(local("Diff."), [container(local("Neck"), [bmd(0.05)])])
    sr = read([container(local("Dual Femur"), [neck, diff])])
    assert [m.bmd for m in sr.measurements] == [0.7]


def test_two_different_values_for_one_region_are_kept_with_a_doubt():
    sr = read([spine_container(bmd(0.81), bmd(0.86))])
    [m] = sr.measurements
    assert m.bmd == 0.81 and "0.81 and 0.86" in m.doubt


def test_excluded_vertebra():
    excl = coded(code("HOL-EXCL", "99HOLOGIC", "Excluded"), gen.YES)
    sr = read([container(local("AP Spine"), [container(local("L1"), [bmd(0.7), excl]),
                                             container(local("L2"), [bmd(0.8)])])])
    assert [(m.label, m.excluded) for m in sr.measurements] == [("L1", True), ("L2", False)]


def test_vfa_fractures_numeric_and_coded_grades_with_acute_flags():
    grade, new = code("G", "99TEST", "Genant Grade"), code("N", "99TEST", "New Fracture")
    vfa = container(local("Vertebral Fracture Assessment"), [
        container(local("T12"), [num(grade, 2, ucum("1")), coded(new, gen.YES)]),
        container(local("L1"), [coded(grade, local("Mild")), coded(code("A", "99TEST", "Acute"),
                                                                    code("373067005", "SCT", "No"))]),
        container(local("T8"), [num(grade, 0, ucum("1"))]),
        container(local("T7"), [gen.text(grade, "Grade 1")]),
        num(grade, 3, ucum("1"), [site_mod("T11")])])
    sr = read([spine_container(bmd()), vfa])
    assert sr.vfa.performed
    assert [(f.vertebra, f.grade, f.acute) for f in sr.vfa.fractures] == [
        ("T12", 2, True), ("L1", 1, False), ("T7", 1, None), ("T11", 3, None)]
    assert Scan.VFA in sr.scans


def test_vfa_container_alone_means_performed_without_fractures():
    sr = read([container(local("IVA"), [])])
    assert sr.vfa.performed and sr.vfa.fractures == [] and sr.has_results


def test_tbs_frax_texts_and_patient_statements():
    sr = read([
        spine_container(bmd()),
        container(local("TBS"), [num(local("Trabecular Bone Score"), 1.31, ucum("1"))]),
        container(local("FRAX"), [num(local("Major Osteoporotic Fracture"), 12.5, ucum("%")),
                                  num(local("Hip Fracture"), 2.2, ucum("%"))]),
        gen.text(gen.IMPRESSION, "Osteopenia."),
        container(local("History"), [gen.text(local("Comment"), "On alendronate.")]),
        gen.text(gen.INDICATIONS, "Postmenopausal."),
        gen.text(local("Reference Database"), "NHANES III"),
        coded(local("Menopausal Status"), local("Post-menopausal"))])
    assert sr.tbs.value == 1.31 and (sr.frax.major, sr.frax.hip) == (12.5, 2.2)
    assert sr.impression == "Osteopenia."
    assert sr.indications == ["On alendronate.", "Postmenopausal."]
    assert (sr.reference, sr.menopausal_status) == ("NHANES III", "post")


def test_a_blank_value_is_no_value():
    blank = num(code("X", "99TEST", "T-score"), 0, ucum("{T-score}"))
    del blank.MeasuredValueSequence
    [m] = read([spine_container(bmd(), blank)]).measurements
    assert m.t_score is None


def test_nothing_dxa_in_the_sr():
    sr = read([gen.text(gen.IMPRESSION, "Normal chest.")])
    assert not sr.has_results


def bad_number(text: str):
    item = t_score()
    elem = DataElement(0x0040A30A, "DS", "1")
    elem._value = text  # what pydicom hands back for an invalid DS read from a file
    item.MeasuredValueSequence[0][0x0040A30A] = elem
    return item


@pytest.mark.parametrize("content, where, why, reason", [
    ([spine_container(bmd(unit=None))], "measurements", R.UNITS_MISSING,
     'SR value without units: "BMD" in "L1-L4"'),
    ([spine_container(bmd(unit="%"))], "measurements", R.UNITS_MISMATCH,
     'SR units do not fit the value: "BMD" in "L1-L4" has units "%"'),
    ([spine_container(t_score(unit="g/cm2"))], "measurements", R.UNITS_MISMATCH,
     'SR units do not fit the value: "T-score" in "L1-L4"'),
    ([spine_container(bad_number("-2,1"))], "measurements", R.UNREADABLE,
     'SR value is not a number: "T-score" in "L1-L4"'),
    ([spine_container(bad_number("NaN"))], "measurements", R.UNREADABLE,
     'SR value is not a number: "T-score" in "L1-L4"'),
    ([spine_container(bmd(25.0))], "measurements", R.IMPLAUSIBLE,
     'SR value out of the plausible range 0.1 to 3: "BMD" in "L1-L4" is 25'),
    ([spine_container(t_score(-25.0))], "measurements", R.IMPLAUSIBLE,
     'SR value out of the plausible range -8 to 8: "T-score" in "L1-L4"'),
    ([bmd()], "measurements", R.SITE_MISSING, 'SR value without a site: "BMD"'),
    ([num(code("38267-1", "LN", "BMD"), 0.8, ucum("g/cm2"))], "measurements", R.CONFLICTING,
     'SR concept code and name disagree: "BMD"'),
    ([container(local("VFA"), [container(local("T12"), [num(local("Genant grade"), 5, ucum("1"))])])],
     "vfa.fractures", R.IMPLAUSIBLE, 'SR value is not a Genant grade (0-3): "Genant grade" in "T12"'),
    ([container(local("VFA"), [container(local("T12"), [coded(local("Genant grade"), local("Crushed"))])])],
     "vfa.fractures", R.UNREADABLE, 'SR value is not a Genant grade (0-3): "Genant grade"'),
    # issue 15: TBS and FRAX out of the coder's plausible ranges (code/data/diagnosis.toml)
    ([container(local("TBS"), [num(local("Trabecular Bone Score"), 2.3, ucum("1"))])], "tbs", R.IMPLAUSIBLE,
     'SR value out of the plausible range 0.5 to 2: "Trabecular Bone Score" in "TBS" is 2.3'),
    ([container(local("FRAX"), [num(local("Major Osteoporotic Fracture"), 250, ucum("%"))])], "frax.major",
     R.IMPLAUSIBLE, 'SR value out of the plausible range 0 to 100: "Major Osteoporotic Fracture"'),
])
def test_values_that_cannot_be_read_surely_are_refused_with_the_reason(content, where, why, reason):
    """Each value is refused alone: never coded, its reason kept for the reviewer; the rest is read."""
    good = container(local("Right Femur"), [container(local("Neck"), [bmd(0.7)])])
    sr = read([*content, good])
    [doubt] = sr.doubts
    assert (doubt.field, doubt.reason) == (where, why) and doubt.detail.startswith(reason)
    assert [(m.site, m.bmd, m.t_score) for m in sr.measurements] == [(Site.FEMORAL_NECK, 0.7, None)]


def test_a_fracture_grade_without_a_vertebra_is_kept_with_a_doubt():
    sr = read([container(local("Vertebral Deformity"), [num(local("Genant grade"), 2, ucum("1"))])])
    assert sr.vfa.performed and sr.has_results
    assert [(f.vertebra, f.grade) for f in sr.vfa.fractures] == [(None, 2)]
    assert sr.doubts == [Doubt(
        field="vfa.fractures", reason=R.SITE_MISSING,
        detail='SR fracture grade without a vertebra: "Genant grade" in "Vertebral Deformity"')]


@pytest.mark.parametrize("unit", ["{SD}", "1", "{T-score}", "{Z-score}", "{score}", "SD", "{s.d.}"])
def test_every_way_of_writing_a_score_unit_is_read(unit):
    sr = read([spine_container(t_score(-2.6, unit))])
    assert sr.measurements[0].t_score == -2.6 and not sr.doubts and not sr.unrecognized


def test_mg_per_cm2_is_converted_to_g_per_cm2():
    [m] = read([spine_container(bmd(812.0, unit="mg/cm2"))]).measurements
    assert m.bmd == 0.812


def test_unknown_units_on_a_known_quantity_are_read_checked_and_noted():
    sr = read([spine_container(bmd(0.812, unit="g/sq.cm"), t_score(-30.0, unit="{stdev}"))])
    [m] = sr.measurements
    assert (m.bmd, m.t_score) == (0.812, None)  # the T-score is out of range: refused
    assert sr.unrecognized == ['units "g/sq.cm" of "BMD" in "L1-L4"']  # the refused value needs no note
    assert len(sr.doubts) == 1 and "-30" in sr.doubts[0].detail


def test_an_unknown_value_in_a_dxa_container_is_noted_not_dropped():
    sr = read([spine_container(bmd(), num(local("Fractal Index"), 3.2, ucum("1")))])
    assert sr.unrecognized == ['"Fractal Index" in "L1-L4" (not a known DXA value)']
    dose = container(local("Dose"), [num(local("Fractal Index"), 3.2, ucum("1"))])
    sr = read([dose, spine_container(bmd())])
    assert sr.unrecognized == []  # outside DXA containers: not ours


def test_missing_units_are_accepted_when_the_concept_code_says_what_it_is():
    value = num(code("24966-4", "LN", "Lumbar spine BMD"), 0.9, ucum("x"), [site_mod("L1-L4")])
    del value.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    [m] = read([container(local("Results"), [value])]).measurements
    assert (m.site, m.bmd, m.vertebrae) == (Site.LUMBAR_SPINE, 0.9, ["L1", "L2", "L3", "L4"])


# ---- variations: any known name, unit spelling, order, and way of stating the site --------------------
REGIONS = [  # site, side, scan container, region as a container, region stated on its own
    (Site.LUMBAR_SPINE, None, "AP Spine", "L1-L4", "L1-L4"),
    (Site.FEMORAL_NECK, "left", "Left Femur", "Neck", "Femoral Neck"),
    (Site.TOTAL_HIP, "right", "Right Femur", "Total", "Total Hip"),
    (Site.TROCHANTER, "right", "Right Femur", "Troch", "Trochanter"),
    (Site.RADIUS_33, "left", "Left Forearm", "1/3", "Radius 33%"),
]
KINDS = ["bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent"]
SPELLINGS = {"{t-score}": ["{T-score}", "{T-Score}", "{t-score}"], "{z-score}": ["{Z-score}", "{Z-Score}"]}


def names_of(vendor: str, kind: str) -> list[str]:
    return sorted(n for n, t in sr_terms(vendor).names.items() if t == kind)


def units_of(vendor: str, kind: str) -> list[str]:
    terms = sr_terms(vendor)
    units = sorted(f for f, u in terms.unit_forms.items() if kind in terms.units[u.unit] and u.factor == 1)
    return [s for u in units for s in SPELLINGS.get(u, [u])]


@st.composite
def sr_variants(draw):
    vendor = draw(st.sampled_from(["unknown", "hologic", "ge-lunar"]))
    site, side, group, in_group, alone = draw(st.sampled_from(REGIONS))
    style = draw(st.sampled_from(["containers", "value modifiers", "container modifiers", "name prefix"]))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4, unique=True))
    values, items = {}, []
    for kind in kinds:
        name = draw(st.sampled_from(names_of(vendor, kind)))
        name = draw(st.sampled_from([name, name.upper(), name.title()]))
        unit = draw(st.sampled_from(units_of(vendor, kind)))
        low, high = sr_terms(vendor).plausible[kind]
        values[kind] = draw(st.floats(low, high, allow_nan=False).map(lambda v: round(v, 2)))
        label = f"{side.title()} {alone}" if side and style == "name prefix" else alone
        mods = [site_mod(alone), *([side_mod(side)] if side else [])] if style == "value modifiers" else []
        concept = local(f"{label} {name}" if style == "name prefix" else name)
        items.append(num(concept, values[kind], ucum(unit), mods))
    items = draw(st.permutations(items))
    if style == "containers":
        content, label = [container(local(group), [container(local(in_group), items)])], in_group
    elif style == "container modifiers":
        mods = [site_mod(alone), *([side_mod(side)] if side else [])]
        content, label = [container(local("Results"), [*mods, *items])], alone
    else:
        content = [container(local("Results"), items)]
        label = f"{side.title()} {alone}" if side and style == "name prefix" else alone
    return vendor, content, (site, side, label), values


@settings(max_examples=150, deadline=None)
@given(sr_variants())
def test_any_way_of_stating_a_region_reads_the_same(variant):
    vendor, content, (site, side, label), values = variant
    [m] = read(content, vendor).measurements
    assert (m.site, m.side, m.label) == (site, side, label)
    assert {k: getattr(m, k) for k in values} == values


# ---- the SR vocabulary data ---------------------------------------------------------------------
def test_vendor_sr_data_is_consistent():
    for vendor in vendors.load_all():
        terms = sr_terms(vendor)  # raises on a name given two meanings or on an unknown term
        for entry in terms.codes.values():
            assert entry.site is None or vendors.resolve_label(vendor, entry.site) is not None
        for name, scan in vendors.load_all()[vendor].get("scans", {}).get("protocol", {}).items():
            assert scan_of_name(vendor, name) is Scan(scan)


def test_a_name_with_two_meanings_is_refused(tmp_path, monkeypatch):
    for path in vendors.vendors_dir().glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    hologic = tmp_path / "hologic.toml"
    hologic.write_text(hologic.read_text().replace('age_matched_percent = ["am", "am (%)", "am %"]',
                                                   'age_matched_percent = ["am", "am (%)", "am %", "BMD"]'))
    monkeypatch.setenv("DXAPARSE_VENDORS", str(tmp_path))
    vendors.load_all.cache_clear()
    sr_terms.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="gives 'BMD' two meanings"):
            sr_terms("hologic")
    finally:
        monkeypatch.delenv("DXAPARSE_VENDORS")
        vendors.load_all.cache_clear()
        sr_terms.cache_clear()
