"""Vendor data: label → site resolution and vendor identification, from vendors/*.toml."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dxaparse import vendors
from dxaparse.models import Scan, Site


@pytest.mark.parametrize("label, vert", [
    ("L1-L4", ["L1", "L2", "L3", "L4"]),
    ("L1,L3-L4", ["L1", "L3", "L4"]),
    ("L2 - L4", ["L2", "L3", "L4"]),
    ("L1-L2,L4", ["L1", "L2", "L4"]),
    ("L3", ["L3"]),
    ("L1\u2013L4", ["L1", "L2", "L3", "L4"]),
    ("AP Spine L1-L4", ["L1", "L2", "L3", "L4"]),
])
def test_spine_labels(label, vert):
    assert vendors.spine_vertebrae(label) == vert
    m = vendors.resolve_label("unknown", label)
    assert m.site is Site.LUMBAR_SPINE and list(m.vertebrae) == vert


@pytest.mark.parametrize("label", ["L4-L1", "L1,L1", "L5", "Neck", "T12-L4"])
def test_not_spine_labels(label):
    assert vendors.spine_vertebrae(label) is None


@given(st.integers(1, 4), st.integers(1, 4), st.sampled_from(["-", "\u2212", "\u2013", " - "]))
def test_any_spine_range(a, b, dash):
    lo, hi = min(a, b), max(a, b)
    got = vendors.spine_vertebrae(f"L{lo}{dash}L{hi}" if lo != hi else f"L{lo}")
    assert got == [f"L{v}" for v in range(lo, hi + 1)]


@pytest.mark.parametrize("vendor, label, context, side, want", [
    ("hologic", "Neck", Scan.HIP, "left", (Site.FEMORAL_NECK, "left")),
    ("hologic", "Total", Scan.HIP, None, (Site.TOTAL_HIP, None)),
    ("hologic", "Total", Scan.FOREARM, None, (Site.FOREARM_TOTAL, None)),
    ("hologic", "Radius 1/3", Scan.FOREARM, "left", (Site.RADIUS_33, "left")),
    ("hologic", "Ward\u2019s", Scan.HIP, None, (Site.WARDS, None)),
    ("ge-lunar", "Neck Left", None, None, (Site.FEMORAL_NECK, "left")),
    ("ge-lunar", "Total Mean", Scan.HIP, None, (Site.TOTAL_HIP, "mean")),
    ("ge-lunar", "Radius 33%", None, None, (Site.RADIUS_33, None)),
    ("ge-lunar", "Right Femur Total", None, None, (Site.TOTAL_HIP, "right")),
    ("unknown", "Total Body", None, None, (Site.TOTAL_BODY, None)),
])
def test_labels(vendor, label, context, side, want):
    m = vendors.resolve_label(vendor, label, context, side)
    assert m is not None and (m.site, m.side) == want


def test_unknown_label_is_none():
    assert vendors.resolve_label("hologic", "Skull", Scan.HIP) is None
    assert vendors.resolve_label("hologic", "Total") is None  # ambiguous without a scan context


@pytest.mark.parametrize("texts, want", [
    (("HOLOGIC", "Horizon A"), "hologic"),
    (("GE Healthcare", "Lunar iDXA"), "ge-lunar"),
    (("Norland", None), "norland"),
    (("SIEMENS", "SOMATOM"), "unknown"),
    ((None,), "unknown"),
])
def test_identify(texts, want):
    assert vendors.identify(*texts) == want


def test_every_mapped_site_is_in_the_vocabulary():
    for data in vendors.load_all().values():
        for table in data.get("labels", {}).values():
            for site in table.values():
                Site(site)
