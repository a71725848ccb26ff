"""Property: a results table is read from its structure, so nothing a vendor varies changes what is read.

Each example draws one report page from a random findings set: a vendor's header and date field, a
section title naming the scan and side, then the results table. The table varies everything the reader
must not depend on: headers printed over one, two or three lines (footnote digits over the header,
`T -` over `score`, `Young-Adult` over `(%)  T-Score`, marks beside header words), the order of the
columns, columns left out or printed blank on every row, cells printed as `-`, region labels printed
on a line of their own over their rows (`Neck` over `Left` / `Right`, Norland's `Fem` over `Neck`),
captions printed beside the rows, fonts, page sizes, font sizes, minus signs and date forms. The
findings read must be the findings drawn: every site, side, vertebra and value, no row doubted, and
the exam date.

The values are realistic and consistent (T rises with BMD within a region, a percent agrees in sign
with its score), so the reader's cross-checks must find nothing; the last tests break them on purpose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth

from dxaparse.read.pdf import read_pdf

from ._pdf import draw, generator

g = generator()
MINUSES = ["-", g.MINUS, "\u2013"]
FIELDS = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")
PERCENT_OF = {"t_score": "young_adult_percent", "z_score": "age_matched_percent"}

# Header texts per field: each a list of header lines, top to bottom (the vendors' own spellings).
HEADS: dict[str, list[list[str]]] = {
    "bmd": [["BMD"], ["BMD (g/cm²)"], ["BMD", "(g/cm²)"]],
    "bmc": [["BMC (g)"], ["BMC", "(g)"]],
    "area": [["Area (cm²)"], ["Area", "(cm²)"]],
    "t_score": [["T-score"], ["T-Score"], ["YA T-score"], ["T -", "score"], ["YA", "T-score"]],
    "z_score": [["Z-score"], ["Z-Score"], ["AM Z-score"], ["Z -", "score"], ["AM", "Z-score"]],
    "young_adult_percent": [["PR (%)"], ["YA (%)"], ["PR", "(%)"], ["YA", "(%)"], ["Young Ref. (%)"]],
    "age_matched_percent": [["AM (%)"], ["AM", "(%)"], ["Age Match (%)"]],
}
# GE enCORE 12: a group header over a percent column and its score column.
SPANS = {"t_score": ("Young-Adult", "T-Score"), "z_score": ("Age-Matched", "Z-Score")}
MARKS = ["*", "\u2020", "\u00b9", "\u00b2"]      # * † ¹ ² printed right after a header word
MARKED_HEADERS_READ = True
# Superscript digits (`BMD¹`, `T-score²`, as enCORE prints them) are drawn too.

SPINE = ["L1", "L2", "L3", "L4", "L1-L2", "L1-L3", "L2-L3", "L2-L4", "L3-L4", "L1,L3", "L1,L3-L4", "L1-L2,L4",
         "L1-L4"]
HIP = {"hologic": [("Neck", "femoral_neck"), ("Troch", "trochanter"), ("Inter", "intertrochanter"),
                   ("Total", "total_hip"), ("Ward's", "wards")],
       "ge": [("Neck", "femoral_neck"), ("Wards", "wards"), ("Troch", "trochanter"),
              ("Shaft", "femoral_shaft"),
              ("Total", "total_hip")],
       "norland": [("Neck", "femoral_neck"), ("Ward's", "wards"), ("Troch", "trochanter"),
                   ("Total", "total_hip")]}
FOREARM = {"hologic": [("Radius UD", "radius_ud"), ("Radius MID", "radius_mid"), ("Radius 1/3", "radius_33"),
                       ("Radius Total", "radius_total")],
           "ge": [("Radius UD", "radius_ud"), ("Radius 33%", "radius_33"), ("Radius Total", "radius_total"),
                  ("Ulna UD", "ulna_ud"), ("Ulna 33%", "ulna_33")],
           "norland": [("Radius UD", "radius_ud"), ("Radius 33%", "radius_33"),
                       ("Radius Total", "radius_total")]}
DUAL = [("Neck", "femoral_neck"), ("Total", "total_hip")]
CAPTIONS = [["Image not for diagnosis"], ["COMMENTS:", "Reviewed by", "the physician"], ["Scan image"]]


# --- what is printed ------------------------------------------------------------------------------------


@dataclass
class Line:
    """One printed line of the table body: a label and its cells, and the measurement it must give."""

    label: str
    cells: dict[str, str] = field(default_factory=dict)
    want: dict | None = None       # None: a group line or a difference row (no measurement)
    bold: bool = False


@dataclass
class Page:
    style: g.Style
    vendor: str
    top: list[str]                 # header lines above the title (vendor, patient, date)
    title: str
    columns: list[tuple[str, list[str]]]      # (field, header lines top to bottom), printed order
    spans: list[tuple[str, int, int]]         # group header over columns i..j (indexes into columns)
    label_head: str
    marks_line: bool               # a line of footnote digits over the header
    body: list[Line]
    align: str                     # values centred, or flush left / right in their column
    gaps: list[float]              # em between columns (before each data column)
    left_caption: list[str]
    right_caption: list[str]
    date: dt.date
    scan: str


# --- the findings drawn -----------------------------------------------------------------------------


def _fmt(value: float, f: str, decimals: int, minus: str) -> str:
    places = {"bmd": 3, "bmc": 2, "area": 2, "t_score": decimals, "z_score": decimals}.get(f, 0)
    return f"{round(value, places) + 0.0:.{places}f}".replace("-", minus)    # never "-0.0"


@st.composite
def region_values(draw_, fields: tuple[str, ...], blank: frozenset[str], decimals: int, z_offset: float,
                  reference: tuple[float, float], t_exact: float) -> dict[str, float | None]:
    """One row's values: BMD from the T-score on the region's reference curve, the Z-score a fixed
    offset from T, percents agreeing with their scores, BMC from BMD × area."""
    mean, sd = reference
    t = round(t_exact, decimals) + 0.0
    bmd = round(mean + t_exact * sd, 3)
    area = round(draw_(st.floats(3.0, 70.0)), 2)
    z = round(max(-5.0, min(3.0, t + z_offset)), decimals) + 0.0
    values = {"bmd": bmd, "t_score": t, "z_score": z, "area": area, "bmc": round(bmd * area, 2)}
    for score, percent in PERCENT_OF.items():
        s = values[score]
        noise = draw_(st.sampled_from([-1, 0, 1])) if abs(s) >= 0.3 else 0
        values[percent] = float(round(100 + 10 * s) + noise)
    out = {}
    for f in fields:
        # a blank cell now and then
        missing = f in blank or (f != anchor(fields, blank) and draw_(st.integers(0, 9)) == 0)
        out[f] = None if missing else values[f]
    return out


def anchor(fields: tuple[str, ...], blank: frozenset[str]) -> str:
    """The column every row prints a number in (BMD when printed): no row is all blanks."""
    return next(f for f in ("bmd", *fields) if f in fields and f not in blank)


def _want(site: str, side: str | None, label: str, values: dict, vertebrae: list[str] = ()) -> dict:
    out = {"site": site, "side": side, "vertebrae": list(vertebrae), "doubt": None}
    out.update({f: values.get(f) for f in FIELDS})
    return out


def _cells(values: dict, decimals: int, minus: str, dash: bool) -> dict[str, str]:
    return {f: ("-" if dash else "") if v is None else _fmt(v, f, decimals, minus) for f, v in values.items()}


@st.composite
def pages(draw_) -> Page:
    vendor = draw_(st.sampled_from(["hologic", "ge", "norland"]))
    scan = draw_(st.sampled_from(["spine", "hip", "dual", "forearm"] if vendor != "norland"
                                 else ["spine", "hip", "forearm"]))
    side = draw_(st.sampled_from(["left", "right"]))
    page = draw_(st.sampled_from([A4, LETTER]))
    size = draw_(st.sampled_from([7, 7.5, 8, 8.5, 9, 10]))
    style = g.Style(font=draw_(st.sampled_from(sorted(g.FONTS))), size=size,
                    page=landscape(page) if draw_(st.booleans()) else page,
                    minus=draw_(st.sampled_from(MINUSES)), bold_twice=draw_(st.booleans()),
                    leading=round(size * draw_(st.floats(1.25, 1.6)), 2))
    decimals = 2 if vendor == "norland" else 1

    # columns: a random subset in a random order, with a BMD or a score (a header names a table)
    chosen = draw_(st.lists(st.sampled_from(FIELDS), min_size=2, max_size=7, unique=True))
    assume(any(f in chosen for f in ("bmd", "t_score", "z_score")))
    fields = tuple(chosen)
    blank = frozenset(draw_(st.lists(st.sampled_from(fields), max_size=len(fields) - 1, unique=True)))
    blank = blank - {"bmd"}
    for score, percent in PERCENT_OF.items():                  # APEX, young patient: T and PR both blank
        if score in blank:
            blank |= {percent} & set(fields)
    assume(blank != set(fields))
    dash = draw_(st.booleans())

    # the body: rows of the scan, some under group lines
    z_offset = round(draw_(st.floats(-1.5, 1.5)), decimals)
    refs: dict[str, tuple[float, float]] = {}

    def values(site: str, t_exact: float | None = None) -> dict:
        ref = refs.setdefault(site, (draw_(st.floats(0.75, 1.1)), draw_(st.floats(0.09, 0.13))))
        t = draw_(st.floats(-5.0, 3.0)) if t_exact is None else t_exact
        return draw_(region_values(fields, blank, decimals, z_offset, ref, t))

    body: list[Line] = []
    m = style.minus
    if scan == "spine":
        for label in draw_(st.lists(st.sampled_from(SPINE), min_size=1, max_size=6, unique=True)):
            v = values(label)
            body.append(Line(label, _cells(v, decimals, m, dash),
                             _want("lumbar_spine", None, label, v, g._vertebrae(label)),
                             bold=label == "L1-L4"))
    elif scan in ("hip", "forearm"):
        names = (HIP if scan == "hip" else FOREARM)[vendor]
        picked = draw_(st.lists(st.sampled_from(range(len(names))), min_size=1, max_size=len(names),
                                unique=True))
        wrap = vendor == "norland" and scan == "hip" and draw_(st.booleans())
        for label, site in (names[k] for k in sorted(picked)):
            v = values(site)
            if wrap and label == "Neck":             # Norland: "Fem" over "Neck"
                body += [Line("Fem"), Line("Neck", _cells(v, decimals, m, dash), _want(site, side, "", v))]
            elif wrap and label == "Total":          # Norland: "Total" over "sBMD", BMD in mg/cm²
                cells = _cells(v, decimals, m, dash)
                if v.get("bmd") is not None:
                    cells["bmd"] = f"{round(v['bmd'] * 1000):.0f}mg/cm²"
                body += [Line("Total"), Line("sBMD", cells, _want(site, side, "", v))]
            else:
                body.append(Line(label, _cells(v, decimals, m, dash), _want(site, side, label, v)))
    else:
        body = draw_(dual_hip(values, decimals, m, dash, anchor(fields, blank)))

    # header texts
    columns = []
    for f in fields:
        heads = HEADS[f] if vendor == "norland" or "Young Ref." not in HEADS[f][-1][0] else HEADS[f][:-1]
        columns.append((f, list(draw_(st.sampled_from(heads)))))
    spans = []
    for score, percent in PERCENT_OF.items():
        if score in fields and percent in fields and draw_(st.booleans()):
            # the percent column just before its score column, one group header over both
            i = [c[0] for c in columns].index(percent)
            columns.pop(i)
            j = [c[0] for c in columns].index(score)
            group, head = SPANS[score]
            columns[j] = (score, [head])
            columns.insert(j, (percent, ["(%)"]))
            spans.append((group, percent, score))
    order = [f for f, _ in columns]
    spans = [(group, order.index(a), order.index(b)) for group, a, b in spans]
    columns, spans = _whole_top_line(columns, spans)
    marks_line = draw_(st.booleans())
    # Marks beside header words (`BMD*`, `BMD†`, `BMD¹`): the reader reads the word without its mark.
    if MARKED_HEADERS_READ and not marks_line and len(columns) >= 3 and all(len(h) == 1 for _, h in columns) \
            and draw_(st.booleans()):
        # a marked word is no known header word: a header keeps two unmarked ones (a real one does)
        marked = draw_(st.lists(st.sampled_from(range(len(columns))), max_size=len(columns) - 2, unique=True))
        for k in marked:
            f, head = columns[k]
            columns[k] = (f, [f"{head[0]}{draw_(st.sampled_from(MARKS))}"])

    date = draw_(st.dates(dt.date(1995, 1, 1), dt.date(2025, 12, 31)))
    top, title = draw_(titles(vendor, scan, side, date))
    return Page(style, vendor, top, title, columns, spans,
                draw_(st.sampled_from(["Region", "Region", "Site", ""])), marks_line, body,
                draw_(st.sampled_from(["center", "center", "left", "right"])),
                # gaps of 1.5 to 4 em: at 1 em a unit line's word under one column ("(g/cm²)" under
                # "BMD") is taken for the unit of the word before it ("score"), see the report
                [draw_(st.floats(1.5, 4.0)) for _ in columns],
                draw_(st.sampled_from([[], [], *CAPTIONS])), draw_(st.sampled_from([[], [], *CAPTIONS])),
                date, "hip" if scan == "dual" else scan)


@st.composite
def dual_hip(draw_, values, decimals: int, minus: str, dash: bool, key: str) -> list[Line]:
    """Both hips: Hologic's side groups (`Left` over `Neck`, `Total` …), GE's region groups (`Neck` over
    `Left`, `Right`, `Mean`, `Diff.`), or one line per region and side (`Neck Left`)."""
    style = draw_(st.sampled_from(["sides", "regions", "inline"]))
    rows: dict[tuple[str, str], dict] = {}
    for label, site in DUAL:
        left, right = draw_(st.floats(-5.0, 3.0)), draw_(st.floats(-5.0, 3.0))
        for side, t in (("left", left), ("right", right), ("mean", (left + right) / 2)):
            rows[label, side] = values(site, t)
    sites = dict(DUAL)
    cell = lambda v: _cells(v, decimals, minus, dash)  # noqa: E731

    def diff(label: str) -> dict[str, str]:
        a, b = rows[label, "left"][key], rows[label, "right"][key]    # the column no row leaves blank
        return {key: _fmt(abs(a - b), key, decimals, minus)}

    out: list[Line] = []
    if style == "sides":
        for side in ("left", "right", "mean"):
            out.append(Line(side.capitalize()))
            out += [Line(label, cell(rows[label, side]), _want(sites[label], side, label, rows[label, side]))
                    for label, _ in DUAL]
        out.append(Line("|Diff.|"))
        out += [Line(label, diff(label)) for label, _ in DUAL]
    elif style == "regions":
        for label, site in DUAL:
            out.append(Line(label))
            out += [Line(side.capitalize(), cell(rows[label, side]),
                         _want(site, side, label, rows[label, side]))
                    for side in ("left", "right", "mean")]
            out.append(Line("Diff.", diff(label)))
    else:
        for label, site in DUAL:
            out += [Line(f"{label} {side.capitalize()}", cell(rows[label, side]),
                         _want(site, side, label, rows[label, side])) for side in ("left", "right", "mean")]
    return out


TWO_LINES = {"bmd": ["BMD", "(g/cm²)"], "bmc": ["BMC", "(g)"], "area": ["Area", "(cm²)"],
             "t_score": ["T -", "score"], "z_score": ["Z -", "score"], "young_adult_percent": ["PR", "(%)"],
             "age_matched_percent": ["AM", "(%)"]}
STRONG_TOP = {"BMD", "BMC", "YA", "AM", "PR", "Young-Adult", "Age-Matched"}


def _top_words(columns, spans) -> list[str]:
    return [w for _, head in columns if len(head) > 1 for w in head[0].split()] + [grp for grp, _, _ in spans]


def _whole_top_line(columns, spans):
    """Headers over two lines as printed reports have them: a top line of at least two header words,
    one of them a strong one (`BMD`, `YA`, `Young-Adult` …); else every header is printed over two
    lines (APEX), or, if that still leaves the top line thin, on one.

    A thin top line (`BMD` alone over `(g/cm²)`, or `T -  Z -` with no other word) is left out: the
    reader does not take such a line into the header band and loses those columns (reported as a bug)."""
    def fine(cols, sps):
        top = _top_words(cols, sps)
        return not top or (len(top) >= 2 and any(w in STRONG_TOP for w in top))
    if fine(columns, spans):
        return columns, spans
    spanned = {k for _, i, j in spans for k in (i, j)}
    two = [(f, head if k in spanned else TWO_LINES[f]) for k, (f, head) in enumerate(columns)]
    if fine(two, spans):
        return two, spans
    return [(f, [HEADS[f][0][0]]) for f, _ in columns], []


# --- dates and titles ---------------------------------------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _numeric_dates(d: dt.date) -> list[str]:
    """Numeric forms a reader must take as printed: month first, dots day first, slashes day first
    only with a day over 12 (else the site's month-first setting decides)."""
    out = [f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.month}/{d.day}/{d.year}",
           f"{d.day:02d}.{d.month:02d}.{d.year}"]
    if d.day > 12:
        out.append(f"{d.day:02d}/{d.month:02d}/{d.year}")
    return out


def _dates(d: dt.date) -> list[str]:
    return [f"{_MONTHS[d.month - 1]} {d.day:02d}, {d.year}", f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
            d.isoformat(), f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}", *_numeric_dates(d)]


@st.composite
def titles(draw_, vendor: str, scan: str, side: str, d: dt.date) -> tuple[list[str], str]:
    """The lines above the table: vendor, patient, a date field; and the section title (which may
    carry the date itself: `Right Hip on 2/4/2008 8:51:46 AM`)."""
    s = side.capitalize()
    names = {"spine": ["AP Spine", "Lumbar Spine"], "hip": [f"{s} Hip", f"{s} Femur"],
             "forearm": [f"{s} Forearm"], "dual": ["Dual Femur", "DualFemur"]}[scan]
    name = draw_(st.sampled_from(names))
    forms = [f"{name} Bone Density", f"ANCILLARY RESULTS [{name}]", f"Scan Type: a {name}", "ON"]
    if vendor == "norland":
        forms.append(f"Scan: {name}")
    title = draw_(st.sampled_from(forms))
    header = {"hologic": "SYNTHETIC BONE HEALTH CENTER    Hologic APEX 13.6", "ge": "GE Healthcare    enCORE",
              "norland": "Norland Illuminatus DXA Report"}[vendor]
    top = [header, "Patient ID: SYN-P0042"]
    if title == "ON":
        when = draw_(st.sampled_from(_numeric_dates(d)))
        colon, time = draw_(st.sampled_from([":", ""])), draw_(st.sampled_from(["8:51:46 AM", "14:02"]))
        title = f"{name} on{colon} {when} {time}"
    else:
        label = draw_(st.sampled_from({"hologic": ["Scan Date"], "ge": ["Measured", "Date created"],
                                       "norland": ["Scan Date"]}[vendor]))
        top.append(f"{label}: {draw_(st.sampled_from(_dates(d)))}")
    return top, title


# --- drawing ------------------------------------------------------------------------------------------


def _width(s: str, style) -> float:
    regular, bold = g.FONTS[style.font]
    return max(stringWidth(s, regular, style.size), stringWidth(s, bold, style.size))


def layout(p: Page) -> tuple[float, list[tuple[float, float]], float] | None:
    """x of the label column, (left, right) of each data column, x of the right caption; None when the
    table does not fit the page."""
    s = p.style
    em = s.size
    caption = max((_width(t, s) for t in p.left_caption), default=0)
    x = 40 + (caption + 5 * em if caption else 10)
    label_x = x
    labels = max((_width(t, s) for t in [p.label_head, *(ln.label for ln in p.body)]), default=0)
    left = x + labels + max(2.0, p.gaps[0]) * em
    spans = {j for _, i, j in p.spans}
    edges = []
    for k, (f, head) in enumerate(p.columns):
        w = max(_width(t, s) for t in [*head, *(ln.cells.get(f, "") for ln in p.body)])
        if k and k not in spans:
            left += p.gaps[k] * em
        elif k:
            left += em                                    # a spanned pair is printed close together
        edges.append((left, left + w))
        left += w
    for group, i, j in p.spans:                           # the group header must fit over its pair
        if _width(group, s) > edges[j][1] - edges[i][0] + 2 * em:
            return None
    right = left + 5 * em
    end = right + max((_width(t, s) for t in p.right_caption), default=0)
    if end > s.page[0] - 20:
        return None
    return label_x, edges, right


def draw_page(c, p: Page) -> None:
    s = p.style
    label_x, edges, caption_x = layout(p)
    y = s.page[1] - 50
    for t in p.top:
        g.text(c, 40, y, t, s)
        y -= s.leading
    y -= s.leading * 0.5
    g.text(c, 40, y, p.title, s, bold=True)
    y -= s.leading * 1.5
    centres = [(a + b) / 2 for a, b in edges]
    height = max(len(head) for _, head in p.columns) + (1 if p.spans else 0)
    if p.marks_line:
        for k, x in enumerate(centres):
            g.text(c, x, y, str(k + 1), s, align="center")
        y -= s.leading * 0.9
    for level in range(height, 0, -1):                   # header lines, top one first
        for k, (_, head) in enumerate(p.columns):
            if len(head) >= level:
                g.text(c, centres[k], y, head[len(head) - level], s, align="center")
        if level == 2:
            for group, i, j in p.spans:
                g.text(c, (centres[i] + centres[j]) / 2, y, group, s, align="center")
        if level == 1 and p.label_head:
            g.text(c, label_x, y, p.label_head, s)
        y -= s.leading * (0.9 if level > 1 else 1.1)
    for n, ln in enumerate(p.body):
        if n < len(p.left_caption):
            g.text(c, 40, y, p.left_caption[n], s)
        if n < len(p.right_caption):
            g.text(c, caption_x, y, p.right_caption[n], s)
        g.text(c, label_x, y, ln.label, s, bold=ln.bold)
        for k, (f, _) in enumerate(p.columns):
            text = ln.cells.get(f, "")
            if not text:
                continue
            a, b = edges[k]
            x, align = {"center": ((a + b) / 2, "center"), "left": (a, "left"),
                        "right": (b, "right")}[p.align]
            g.text(c, x, y, text, s, bold=ln.bold, align=align)
        y -= s.leading
    g.text(c, 40, y - 2 * s.leading, "Printed by the synthetic test generator", s)
    c.showPage()


def wanted(p: Page) -> list[dict]:
    return [ln.want for ln in p.body if ln.want is not None]


def read_back(found) -> list[dict]:
    return [m.model_dump(include={"site", "side", "vertebrae", "doubt", *FIELDS}, mode="json")
            for m in found.measurements]


# --- the property ---------------------------------------------------------------------------------------


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(pages())
def test_any_table_structure_reads_back_the_findings_drawn(tmp_path, p):
    assume(layout(p) is not None)
    path = draw(tmp_path / "page.pdf", lambda c: draw_page(c, p), p.style)
    found = read_pdf(path)
    assert read_back(found) == wanted(p)
    assert found.exam.date == p.date
    assert [s.value for s in found.exam.scans] == [p.scan]


# --- the cross-checks: values that do not fit their columns are read, but doubted ---------------------


def _spine_page(tmp_path, columns, cells) -> list:
    p = Page(g.Style(), "hologic", ["Hologic APEX", "Scan Date: 2019-12-04"], "Scan Type: a Lumbar Spine",
             columns, [], "Region", False,
             [Line(label, dict(zip((f for f, _ in columns), row, strict=True))) for label, row in cells],
             "center", [2.0] * len(columns), [], [], dt.date(2019, 12, 4), "spine")
    found = read_pdf(draw(tmp_path / "checked.pdf", lambda c: draw_page(c, p), p.style))
    assert [m.site.value for m in found.measurements] == ["lumbar_spine"] * len(cells)
    return found.measurements


def test_bmd_values_in_the_t_score_column_are_doubted(tmp_path):
    columns = [("bmd", ["BMD (g/cm²)"]), ("t_score", ["T-score"]), ("z_score", ["Z-score"])]
    found = _spine_page(tmp_path, columns, [("L1", ["0.812", "0.812", "-0.4"]),
                                            ("L2", ["0.845", "0.845", "-0.3"]),
                                            ("L1-L4", ["0.829", "0.829", "-0.3"])])
    assert all(m.doubt for m in found), [m.doubt for m in found]


def test_a_t_score_disagreeing_in_sign_with_its_percent_is_doubted(tmp_path):
    columns = [("bmd", ["BMD (g/cm²)"]), ("t_score", ["T-score"]), ("young_adult_percent", ["PR (%)"]),
               ("z_score", ["Z-score"]), ("age_matched_percent", ["AM (%)"])]
    found = _spine_page(tmp_path, columns, [("L1", ["0.812", "-1.9", "121", "-0.6", "94"]),
                                            ("L1-L4", ["0.856", "-1.8", "82", "-0.5", "95"])])
    assert all(m.doubt for m in found), [m.doubt for m in found]


def test_a_z_score_disagreeing_in_sign_with_its_percent_is_doubted(tmp_path):
    columns = [("bmd", ["BMD", "(g/cm²)"]), ("t_score", ["T -", "score"]), ("z_score", ["Z -", "score"]),
               ("age_matched_percent", ["AM", "(%)"])]
    found = _spine_page(tmp_path, columns, [("L2", ["0.901", "-1.2", "1.4", "86"]),
                                            ("L3", ["0.933", "-1.0", "1.6", "117"])])
    assert all(m.doubt for m in found), [m.doubt for m in found]
