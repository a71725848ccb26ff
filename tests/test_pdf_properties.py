"""Property: whatever columns a results table prints, wherever, in whatever font, page size, minus sign
and row order, the reader recovers exactly the values drawn."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth

from dxaparse.read.pdf import read_pdf

from ._pdf import draw, generator

g = generator()
SPINE = ["L1", "L2", "L3", "L4", "L1-L2", "L1-L3", "L2-L3", "L2-L4", "L3-L4", "L1,L3", "L1,L3-L4", "L1-L2,L4",
         "L1-L4"]
HIP = {"Neck": "femoral_neck", "Troch": "trochanter", "Inter": "intertrochanter", "Total": "total_hip",
       "Ward's": "wards"}
TWO_LINE = {"area": ("Area", "(cm²)"), "bmc": ("BMC", "(g)"), "bmd": ("BMD", "(g/cm²)"),
            "young_adult_percent": ("PR", "(%)"), "age_matched_percent": ("AM", "(%)")}
RANGES = {"area": (5, 80), "bmc": (2, 70), "bmd": (0.2, 1.6), "t_score": (-6, 4), "z_score": (-5, 4),
          "young_adult_percent": (40, 140), "age_matched_percent": (40, 140)}


@st.composite
def tables(draw_):
    fields = draw_(st.lists(st.sampled_from(g.FIELDS), min_size=1, max_size=7, unique=True))
    fields = tuple(f for f in g.FIELDS if f in fields)                  # printed in the vendor's order
    style = g.Style(font=draw_(st.sampled_from(sorted(g.FONTS))), size=draw_(st.sampled_from([7, 8, 9, 10])),
                    page=draw_(st.sampled_from([A4, LETTER])), bold_twice=draw_(st.booleans()),
                    minus=draw_(st.sampled_from(["-", g.MINUS, "\u2013"])))
    hip = draw_(st.booleans())
    labels = draw_(st.lists(st.sampled_from(list(HIP) if hip else SPINE), min_size=1, max_size=6,
                            unique=True))
    rows = []
    for label in labels:
        values = {f: draw_(st.one_of(st.none(), st.floats(*RANGES[f]))) for f in fields}
        values[fields[0]] = draw_(st.floats(*RANGES[fields[0]]))        # a row always holds a number
        values = {f: g.printed(v, f) for f, v in values.items()}
        site = HIP[label] if hip else "lumbar_spine"
        rows.append(g.Region(label, site, values, side="left" if hip else None,
                             vertebrae=[] if hip else g._vertebrae(label), bold=draw_(st.booleans())))
    two_line = draw_(st.booleans())
    shift = draw_(st.sampled_from(["none", "right", "left"]))
    gaps = draw_(st.lists(st.floats(1.0, 4.0), min_size=len(fields), max_size=len(fields)))
    cols = _columns(fields, rows, style, two_line, shift, [gap * style.size for gap in gaps])
    assume(cols[-1].x + 40 < style.page[0])                             # the table fits on the page
    return style, cols, rows, hip, fields, shift


def _columns(fields, rows, style, two_line, shift, gaps):
    """Columns `gaps` apart (1 to 4 em: printed columns never touch), values shifted off centre."""
    font = g.FONTS[style.font][1]
    width = lambda s: stringWidth(s, font, style.size)  # noqa: E731
    heads = dict(g.HOLOGIC_HEADS)
    cols = [g.Col("label", "Region", 50)]
    right = 50 + max(width(r.label) for r in [*rows, g.Region("Region")])
    for f, gap in zip(fields, gaps, strict=True):
        above, head = TWO_LINE[f] if two_line and f in TWO_LINE else ("", heads[f])
        header = max(width(head), width(above)) / 2
        value = max(width(g.fmt(r.values[f], f, style.minus)) for r in rows) / 2
        x = right + gap + max(header, value * (2 if shift == "left" else 1))
        cols.append(g.Col(f, head, x, above))
        right = x + max(header, value * (2 if shift == "right" else 1))
    return cols


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(tables())
def test_random_tables_read_back_exactly(tmp_path, table):
    style, cols, rows, hip, fields, shift = table
    scan = "a Left Hip" if hip else "a Lumbar Spine"
    path = draw(tmp_path / "random.pdf", lambda c: g.results_page(
        c, style, cols, rows, before=[f"Scan Type: {scan}"], after=["Total BMD CV 1.0%", "Source: NHANES"],
        shift=shift), style)
    found = read_pdf(path)
    assert [m.model_dump(include={"site", "side", "label", "vertebrae", "excluded", *g.FIELDS}, mode="json")
            for m in found.measurements] == [r.measurement(fields) for r in rows]
