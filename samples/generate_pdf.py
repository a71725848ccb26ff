"""Synthetic DXA PDF reports, each with the JSON `dxaparse code` must give for it.

    .venv/bin/python samples/generate_pdf.py [OUT_DIR]      (default samples/pdf; run from the repo root)

Every sample is drawn from a ground-truth spec; its findings and the coding reasoned from docs/coding.md
per case in `CODING` below (not taken from the coder) are the truth that `<name>.expected.json`, the full
output of `dxaparse code`, must agree with before it is written (samples/expected_output.py).
Synthetic data only: no real patient is in any sample.
Output is deterministic (reportlab invariant mode): re-running it changes no bytes.

The drawing helpers (`Style`, `Col`, `Region`, `draw_table`, `results_page`) are also used by the
property tests, which draw random tables with them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONTS = {   # family → (regular, bold)
    "Helvetica": ("Helvetica", "Helvetica-Bold"),
    "Times": ("Times-Roman", "Times-Bold"),
    "Courier": ("Courier", "Courier-Bold"),
    "Vera": ("Vera", "VeraBd"),   # TrueType, embedded: the unicode minus is its own glyph
}
_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
pdfmetrics.registerFont(TTFont("Vera", str(_FONT_DIR / "Vera.ttf")))
pdfmetrics.registerFont(TTFont("VeraBd", str(_FONT_DIR / "VeraBd.ttf")))

MINUS = "\u2212"
FIELDS = ("area", "bmc", "bmd", "t_score", "young_adult_percent", "z_score", "age_matched_percent")
_FORMATS = {"area": "{:.2f}", "bmc": "{:.2f}", "bmd": "{:.3f}", "t_score": "{:.1f}", "z_score": "{:.1f}",
            "young_adult_percent": "{:.0f}", "age_matched_percent": "{:.0f}"}


# --- drawing --------------------------------------------------------------------------------------------


@dataclass
class Style:
    font: str = "Helvetica"
    size: float = 9.0
    page: tuple[float, float] = LETTER
    minus: str = "-"              # "-" or MINUS
    bold_twice: bool = False      # fake bold: bold rows drawn a second time, 0.3 pt to the right
    leading: float = 13.0


@dataclass
class Col:
    field: str           # a Measurement field, "label", or "" (printed, not read)
    head: str            # bottom header line
    x: float             # centre of the column (the label column: its left edge)
    above: str = ""      # header word(s) printed over this column alone


@dataclass
class Region:
    """One results row: what is printed and what the reader must report for it."""

    label: str
    site: str | None = None       # None: a group line ("Left", "Neck") or a row that is no measurement
    values: dict[str, float | None] = field(default_factory=dict)
    side: str | None = None
    vertebrae: list[str] = field(default_factory=list)
    excluded: bool = False
    bold: bool = False
    reported_label: str | None = None   # the label the reader reports, when not the printed one
    texts: dict[str, str] = field(default_factory=dict)   # cells printed otherwise ("812mg/cm²", "-1.25")

    def measurement(self, fields: tuple[str, ...]) -> dict:
        out = {"site": self.site, "side": self.side, "label": self.reported_label or self.label,
               "vertebrae": self.vertebrae, "excluded": self.excluded}
        out.update({f: (self.values.get(f) if f in fields else None) for f in FIELDS})
        return out


def fmt(value: float | None, name: str, minus: str) -> str:
    """A value as the report prints it; None as a blank cell."""
    return "" if value is None else _FORMATS[name].format(value).replace("-", minus)


def printed(value: float | None, name: str) -> float | None:
    """The value a reader can recover from the printed text (rounded as printed)."""
    return None if value is None else float(fmt(value, name, "-"))


def text(c: Canvas, x: float, y: float, s: str, style: Style, bold: bool = False, align: str = "left",
         size: float | None = None) -> None:
    """Draw a string; bold text drawn twice when the style fakes bold that way."""
    c.setFont(FONTS[style.font][bold and not style.bold_twice], size or style.size)
    draw = {"left": c.drawString, "center": c.drawCentredString, "right": c.drawRightString}[align]
    draw(x, y, s)
    if bold and style.bold_twice:
        draw(x + 0.3, y, s)


def draw_table(c: Canvas, y: float, cols: list[Col], rows: list[Region], style: Style,
               spans: tuple[tuple[str, int, int], ...] = (), shift: str = "none") -> float:
    """A results table without ruling lines; returns the y below it. `spans` are group headers
    centred over columns i..j (GE's "Young-Adult" over "(%)  T-Score"). Values are centred under their
    header, or `shift`ed "right" (starting at its centre) or "left" (ending there)."""
    if spans or any(col.above for col in cols):
        for col in cols:
            if col.above:
                text(c, col.x, y, col.above, style, align="left" if col.field == "label" else "center")
        for label, i, j in spans:
            text(c, (cols[i].x + cols[j].x) / 2, y, label, style, align="center")
        y -= style.leading * 0.9
    for col in cols:
        text(c, col.x, y, col.head, style, align="left" if col.field == "label" else "center")
    y -= style.leading * 1.1
    for row in rows:
        text(c, cols[0].x, y, row.label, style, bold=row.bold)
        for col in cols[1:]:
            s = row.texts.get(col.field) or (fmt(row.values.get(col.field), col.field, style.minus)
                                             if col.field else "")
            s = s.replace("-", style.minus) if col.field in row.texts else s
            if s:
                half = pdfmetrics.stringWidth(s, FONTS[style.font][0], style.size) / 2
                x = col.x + {"none": 0, "right": half, "left": -half}[shift]
                text(c, x, y, s, style, bold=row.bold, align="center")
        y -= style.leading
    return y


def lines(c: Canvas, x: float, y: float, items: list[str], style: Style, **kw) -> float:
    for s in items:
        text(c, x, y, s, style, **kw)
        y -= style.leading
    return y


def fields_box(c: Canvas, y: float, rows: list[list[str]], xs: list[float], style: Style) -> float:
    """Header fields side by side: each row a list of "Label: value" strings at the x positions."""
    for row in rows:
        for s, x in zip(row, xs, strict=False):
            text(c, x, y, s, style)
        y -= style.leading
    return y


def new_canvas(path: Path, style: Style, encrypt: str | None = None) -> Canvas:
    c = Canvas(str(path), pagesize=style.page, invariant=1, encrypt=encrypt)
    c.setAuthor("dxaparse sample generator")
    c.setTitle(path.stem)
    return c


def results_page(c: Canvas, style: Style, cols: list[Col], rows: list[Region], *, before: list[str] = (),
                 after: list[str] = (), shift: str = "none") -> None:
    """A page of text lines, "DXA Results Summary:", one table and footnotes (for the property tests)."""
    y = lines(c, 50, style.page[1] - 60, list(before), style)
    y = lines(c, 50, y - 6, ["DXA Results Summary:"], style, bold=True)
    y = draw_table(c, y - 4, cols, rows, style, shift=shift)
    lines(c, 50, y - 8, list(after), style)
    c.showPage()


# --- ground-truth specs ------------------------------------------------------------------------------------


def region(label: str, site: str | None = None, bmd: float | None = None, t: float | None = None,
           z: float | None = None, area: float | None = None, **kw) -> Region:
    """A row with plausible derived values: BMC from BMD × area, PR/AM (%) from the scores."""
    values = {"bmd": bmd, "t_score": t, "z_score": z, "area": area,
              "bmc": None if area is None or bmd is None else bmd * area,
              "young_adult_percent": None if t is None else 100 + 11 * t,
              "age_matched_percent": None if z is None else 100 + 11 * z}
    return Region(label, site, {k: printed(v, k) for k, v in values.items()}, **kw)


def spine(label: str, bmd: float, t: float | None, z: float, area: float | None = None, **kw) -> Region:
    return region(label, "lumbar_spine", bmd, t, z, area, vertebrae=_vertebrae(label), **kw)


def _vertebrae(label: str) -> list[str]:
    """L1,L3-L4 → L1 L3 L4 (written apart from the reader's own parser, on purpose)."""
    out = []
    for part in label.replace(" ", "").split(","):
        ends = [int(p.lstrip("L")) for p in part.split("-")]
        out += [f"L{n}" for n in range(ends[0], ends[-1] + 1)]
    return out


def _exam(date: str, device: str | None, scans: list[str], reference: str | None = None,
          accession: str | None = None, serial: str | None = None) -> dict:
    return {"date": date, "study_uid": None, "device": device, "accession": accession, "scans": scans,
            "completion": "complete", "reference": reference, "unrecognized": [], "doubts": [],
            "device_serial": serial}


def _patient(sex: str, age: float, pid: str, menopausal: str | None = None, dob: str | None = None) -> dict:
    """`dob`: the printed birth date, as YYYY-MM-DD."""
    return {"sex": sex, "age_years": age, "menopausal_status": menopausal, "id": pid, "birth_date": dob}


@dataclass
class Sample:
    style: Style
    draw: Callable[[Canvas], None]
    patient: dict
    exam: dict
    vendor: str
    tables: list[list[Region]]         # rows per printed table, in printed order
    fields: tuple[str, ...] = FIELDS   # the value columns the tables print
    vfa: dict = field(default_factory=lambda: {"performed": False, "fractures": []})
    tbs: dict | None = None
    frax: dict | None = None
    indications: list[str] = field(default_factory=list)
    impression: str | None = None
    history: list[dict] = field(default_factory=list)   # the trend tables' rows, as TrendPoint objects

    def findings(self, path: str, sha256: str) -> dict:
        measurements, seen = [], set()
        for row in (r for table in self.tables for r in table if r.site):
            m = row.measurement(self.fields)
            key = (m["site"], m["side"], tuple(m["vertebrae"]), m["label"].lower())
            if key not in seen:        # a region printed again (ancillary table) is one measurement
                seen.add(key)
                measurements.append(m)
        return {"source": {"path": path, "kind": "pdf", "vendor": self.vendor, "sha256": sha256},
                "patient": self.patient, "exam": self.exam, "measurements": measurements, "vfa": self.vfa,
                "tbs": self.tbs, "frax": self.frax, "indications": self.indications,
                "impression": self.impression, "history": self.history}


# Hologic APEX ---------------------------------------------------------------------------------------------

HOLOGIC_HEADS = [("label", "Region"), ("area", "Area (cm²)"), ("bmc", "BMC (g)"), ("bmd", "BMD (g/cm²)"),
                 ("t_score", "T-score"), ("young_adult_percent", "PR (%)"), ("z_score", "Z-score"),
                 ("age_matched_percent", "AM (%)")]
HOLOGIC_FOOT = ["Total BMD CV 1.0%, ACF = 1.028, BCF = 1.002, TH = 5.474", "WHO Classification: Osteopenia",
                "Fracture Risk: Increased", "", "Reference curve and scores matched to White Female",
                "Source: 2008 NHANES"]
_NO_PR_AM = ("area", "bmc", "bmd", "t_score", "z_score")


def hologic_cols(xs: list[float], fields: tuple[str, ...] = FIELDS) -> list[Col]:
    heads = [h for h in HOLOGIC_HEADS if h[0] == "label" or h[0] in fields]
    return [Col(f, h, x) for (f, h), x in zip(heads, xs, strict=True)]


def hologic_who(name: str, pid: str, dob: str, sex: str, age: str) -> list[list[str]]:
    return [[f"Name: {name}", f"Patient ID: {pid}", f"DOB: {dob}"],
            [f"Sex: {sex}", "Height: 162.0 cm", "Ethnicity: White"],
            ["Referring Physician: SYNTHETIC, REFERRER", "Weight: 61.2 kg", f"Age: {age}"]]


def hologic_page(c: Canvas, s: Style, *, who: list[list[str]], scan_type: str, scan_date: str, model: str,
                 cols: list[Col] | None = None, rows: list[Region] = (), after: list[str] = (),
                 body: list[str] = ()) -> None:
    width, height = s.page
    y = height - 50
    text(c, 50, y, "SYNTHETIC BONE HEALTH CENTER", s, bold=True, size=s.size + 3)
    y = fields_box(c, y - 24, who, [50, 50 + (width - 100) * 0.38, 50 + (width - 100) * 0.7], s)
    y = lines(c, 50, y - 10, ["Scan Information:"], s, bold=True)
    y = fields_box(c, y, [[f"Scan Date: {scan_date}", "ID: A0000001"], [f"Scan Type: {scan_type}"],
                          [f"Analysis: {scan_date} 10:42", "Version 13.6.0.5"], ["Operator: XX"],
                          [f"Model: {model}"], ["Comment:"]], [50, 50 + (width - 100) * 0.5], s)
    if cols:
        y = lines(c, 50, y - 12, ["DXA Results Summary:"], s, bold=True)
        y = draw_table(c, y - 4, cols, list(rows), s)
    y = lines(c, 50, y - 10, list(after), s)
    lines(c, 50, y - 10, list(body), s)
    text(c, 50, 40, "Hologic APEX 13.6.0.5", s, size=s.size - 1)
    c.showPage()


def hologic_spine_hip() -> Sample:
    st = Style("Helvetica", 9, LETTER, "-", bold_twice=True)
    spine_rows = [spine(*r) for r in [
        ("L1", 0.801, -1.9, -0.6, 13.52), ("L2", 0.845, -1.7, -0.4, 14.71), ("L3", 0.872, -1.8, -0.5, 16.02),
        ("L4", 0.889, -1.8, -0.5, 17.88), ("L1-L2", 0.824, -1.8, -0.5, 28.23),
        ("L1-L3", 0.842, -1.8, -0.5, 44.25),
        ("L2-L3", 0.859, -1.8, -0.5, 30.73), ("L2-L4", 0.871, -1.8, -0.5, 48.61),
        ("L3-L4", 0.881, -1.8, -0.5, 33.90)]]
    spine_rows.append(spine("L1-L4", 0.856, -1.8, -0.5, 62.13, bold=True))
    hip_rows = [region(*r, side="left", bold=r[0] == "Total") for r in [
        ("Neck", "femoral_neck", 0.641, -2.0, -0.5, 4.98), ("Troch", "trochanter", 0.588, -1.6, -0.4, 10.21),
        ("Inter", "intertrochanter", 0.912, -1.2, -0.1, 17.30),
        ("Total", "total_hip", 0.781, -1.4, -0.3, 32.49),
        ("Ward's", "wards", 0.412, -2.6, -0.6, 1.10)]]
    page = {"who": hologic_who("SYNTHETIC, PATIENT A", "SYN-0001", "March 4, 1957", "Female", "67"),
            "scan_date": "March 12, 2024", "model": "Horizon A (S/N 200001)",
            "cols": hologic_cols([50, 120, 180, 245, 310, 365, 420, 475])}

    def draw(c: Canvas) -> None:
        hologic_page(c, st, scan_type="a Lumbar Spine", rows=spine_rows, **page,
                     after=[*HOLOGIC_FOOT[:3], "TBS iNsight: L1-L4 TBS 1.262", *HOLOGIC_FOOT[3:]])
        hologic_page(c, st, scan_type="a Left Hip", rows=hip_rows, **page, after=[
            *HOLOGIC_FOOT[:2], "10-year Fracture Risk: Major Osteoporotic Fracture 12%   Hip Fracture 1.8%",
            *HOLOGIC_FOOT[3:]])

    return Sample(st, draw, _patient("F", 67.0, "SYN-0001", dob="1957-03-04"),
                  _exam("2024-03-12", "Horizon A", ["spine", "hip"], "2008 NHANES", serial="200001"),
                  "hologic",
                  [spine_rows, hip_rows], tbs={"value": 1.262}, frax={"major": 12.0, "hip": 1.8})


def hologic_young_no_pr_am() -> Sample:
    """T-score cells blank (a young patient), no PR/AM columns, unicode minus, A4."""
    st = Style("Times", 10, A4, MINUS)
    rows = [spine(label, bmd, None, z, area) for label, bmd, z, area in [
        ("L1", 0.991, -0.9, 13.10), ("L2", 1.032, -0.7, 14.20), ("L3", 1.061, -0.8, 15.40),
        ("L4", 1.072, -0.8, 16.90), ("L1-L4", 1.043, -0.8, 59.60)]]

    def draw(c: Canvas) -> None:
        hologic_page(c, st, who=hologic_who("SYNTHETIC, PATIENT B", "SYN-0002", "06/21/1989", "Female", "34"),
                     scan_type="a Lumbar Spine", scan_date="05/02/2024", model="Discovery W (S/N 80123)",
                     cols=hologic_cols([60, 150, 220, 300, 380, 450], _NO_PR_AM), rows=rows,
                     after=["Total BMD CV 1.0%", "Source: 2008 NHANES"])

    return Sample(st, draw, _patient("F", 34.0, "SYN-0002", dob="1989-06-21"),
                  _exam("2024-05-02", "Discovery W", ["spine"], "2008 NHANES", serial="80123"), "hologic",
                  [rows], _NO_PR_AM)


def hologic_dual_hip() -> Sample:
    """Left / Right / Mean / |Diff.| row groups; the differences are no measurements."""
    st = Style("Courier", 8, LETTER)

    def side_rows(side: str, values: list[tuple]) -> list[Region]:
        names = [("Neck", "femoral_neck"), ("Troch", "trochanter"), ("Inter", "intertrochanter"),
                 ("Total", "total_hip"), ("Ward's", "wards")]
        return [Region(side.capitalize()), *(region(label, site, *v, side=side)
                                             for (label, site), v in zip(names, values, strict=False))]

    rows = [*side_rows("left", [(0.571, -2.7, -1.2, 5.02), (0.540, -2.0, -0.9, 10.80),
                                (0.820, -1.9, -0.8, 18.10),
                                (0.701, -2.2, -1.0, 33.92), (0.351, -3.1, -1.4, 1.12)]),
            *side_rows("right", [(0.598, -2.4, -1.0, 5.11), (0.561, -1.8, -0.8, 11.02),
                                 (0.846, -1.7, -0.7, 18.30),
                                 (0.728, -2.0, -0.9, 34.43), (0.372, -2.9, -1.3, 1.09)]),
            Region("Mean"), region("Neck", "femoral_neck", 0.585, -2.6, -1.1, 5.07, side="mean"),
            region("Total", "total_hip", 0.715, -2.1, -1.0, 34.18, side="mean"),
            Region("|Diff.|"), region("Neck", None, 0.027), region("Total", None, 0.027)]

    def draw(c: Canvas) -> None:
        hologic_page(c, st, who=hologic_who("SYNTHETIC, PATIENT C", "SYN-0003", "September 30, 1952",
                                            "Male", "71"),
                     scan_type="a Dual Femur", scan_date="January 15, 2024", model="Horizon W (S/N 300417)",
                     cols=hologic_cols([60, 125, 185, 250, 315, 370, 425, 480]), rows=rows,
                     after=["Total BMD CV 1.0%", "Source: 2008 NHANES Male"])

    return Sample(st, draw, _patient("M", 71.0, "SYN-0003", dob="1952-09-30"),
                  _exam("2024-01-15", "Horizon W", ["hip"], "2008 NHANES Male", serial="300417"),
                  "hologic", [rows])


def hologic_forearm() -> Sample:
    st = Style("Helvetica", 9, A4)
    rows = [region(*r, side="left", bold=r[0] == "Radius 1/3") for r in [
        ("Radius UD", "radius_ud", 0.351, -1.9, -0.6, 3.81),
        ("Radius MID", "radius_mid", 0.552, -1.6, -0.4, 8.12),
        ("Radius 1/3", "radius_33", 0.612, -2.2, -0.7, 3.02),
        ("Radius Total", "radius_total", 0.498, -1.9, -0.5, 14.95),
        ("Ulna UD", "ulna_ud", 0.281, -1.2, -0.2, 2.70),
        ("Ulna MID", "other", 0.470, -1.0, -0.1, 6.02), ("Ulna 1/3", "ulna_33", 0.610, -1.1, -0.2, 2.51),
        ("Ulna Total", "other", 0.441, -1.0, -0.1, 11.23),
        ("Both Total", "forearm_total", 0.472, -1.6, -0.4, 26.18)]]

    def draw(c: Canvas) -> None:
        hologic_page(c, st, who=hologic_who("SYNTHETIC, PATIENT D", "SYN-0004", "February 11, 1962",
                                            "Female", "62"),
                     scan_type="a Left Forearm", scan_date="April 8, 2024", model="Horizon A (S/N 200001)",
                     cols=hologic_cols([55, 135, 195, 260, 330, 390, 450, 505]), rows=rows,
                     after=["Total BMD CV 1.0%", "Source: 2008 NHANES"])

    return Sample(st, draw, _patient("F", 62.0, "SYN-0004", dob="1962-02-11"),
                  _exam("2024-04-08", "Horizon A", ["forearm"], "2008 NHANES", serial="200001"), "hologic",
                  [rows])


def hologic_iva() -> Sample:
    """Spine, hip and an IVA page whose T12 deformity is not called acute; three pages."""
    st = Style("Helvetica", 9, LETTER)
    spine_rows = [spine(*r) for r in [("L1", 0.861, -1.4, 0.1, 13.91), ("L2", 0.872, -1.6, -0.1, 14.80),
                                      ("L3", 0.905, -1.5, 0.0, 15.98), ("L4", 0.918, -1.5, 0.0, 17.21),
                                      ("L1-L4", 0.892, -1.5, 0.0, 61.90)]]
    hip_rows = [region("Neck", "femoral_neck", 0.718, -1.2, 0.3, 5.01, side="right"),
                region("Total", "total_hip", 0.861, -0.8, 0.5, 33.40, side="right")]
    page = {"who": hologic_who("SYNTHETIC, PATIENT E", "SYN-0005", "July 19, 1953", "Female", "70"),
            "scan_date": "October 2, 2023", "model": "Horizon A (S/N 200001)"}
    cols = hologic_cols([50, 120, 180, 245, 310, 365, 420, 475])

    def draw(c: Canvas) -> None:
        hologic_page(c, st, scan_type="a Lumbar Spine", cols=cols, rows=spine_rows,
                     after=HOLOGIC_FOOT, **page)
        hologic_page(c, st, scan_type="a Right Hip", cols=cols, rows=hip_rows, after=HOLOGIC_FOOT, **page)
        hologic_page(c, st, scan_type="IVA Lateral", body=[
            "Vertebral Assessment (Genant semi-quantitative):", "T4 - T11\tNormal",
            "T12\tMild (Grade 1) wedge deformity", "L1 - L4\tNormal"], **page)

    return Sample(st, draw, _patient("F", 70.0, "SYN-0005", dob="1953-07-19"),
                  _exam("2023-10-02", "Horizon A", ["spine", "hip", "vfa"], "2008 NHANES",
                        serial="200001"), "hologic",
                  [spine_rows, hip_rows],
                  vfa={"performed": True, "fractures": [{"vertebra": "T12", "grade": 1, "acute": None}]})


def hologic_excluded_vertebra() -> Sample:
    """L1 jumps by more than 1.0; the printed L2-L4 leaves it out. Non-contiguous ranges, bold L1-L4."""
    st = Style("Times", 9, A4, MINUS, bold_twice=True)
    rows = [spine(*r) for r in [
        ("L1", 0.962, -0.4, 0.7, 13.40), ("L2", 0.823, -1.8, -0.7, 14.42), ("L3", 0.826, -1.9, -0.8, 15.61),
        ("L4", 0.829, -2.0, -0.9, 17.05), ("L1-L2", 0.889, -1.1, 0.0, 27.82),
        ("L1,L3", 0.890, -1.2, -0.1, 29.01),
        ("L1-L3", 0.867, -1.4, -0.3, 43.43), ("L2-L4", 0.826, -1.9, -0.8, 47.08),
        ("L1,L3-L4", 0.869, -1.5, -0.4, 46.06), ("L1-L2,L4", 0.868, -1.5, -0.4, 44.87)]]
    rows.append(spine("L1-L4", 0.856, -1.5, -0.4, 60.48, bold=True))

    def draw(c: Canvas) -> None:
        hologic_page(c, st, who=hologic_who("SYNTHETIC, PATIENT F", "SYN-0006", "November 23, 1957",
                                            "Female", "66"),
                     scan_type="a Lumbar Spine", scan_date="June 3, 2024", model="Horizon Ci (S/N 500210)",
                     cols=hologic_cols([70, 145, 200, 265, 335, 390, 445, 500]), rows=rows,
                         after=HOLOGIC_FOOT)

    return Sample(st, draw, _patient("F", 66.0, "SYN-0006", dob="1957-11-23"),
                  _exam("2024-06-03", "Horizon Ci", ["spine"], "2008 NHANES", serial="500210"), "hologic",
                  [rows])


# GE Lunar enCORE ------------------------------------------------------------------------------------------

GE_WHO = ["World Health Organization - Definition of Osteoporosis and Osteopenia for Caucasian Women:",
          f"Normal: T-score at or above {MINUS}1.0 SD",
          f"Osteopenia: T-score between {MINUS}1.0 and {MINUS}2.5 SD",
          f"Osteoporosis: T-score at or below {MINUS}2.5 SD"]
GE_REFERENCE = "USA (Combined NHANES/Lunar)"
GE_FIELDS = ("bmd", "t_score", "young_adult_percent", "z_score", "age_matched_percent")


def ge_cols(xs: list[float]) -> list[Col]:
    """enCORE 16-18 headers, one line each."""
    heads = [("label", "Region"), ("bmd", "BMD (g/cm²)"), ("young_adult_percent", "YA (%)"),
             ("t_score", "YA T-score"), ("age_matched_percent", "AM (%)"), ("z_score", "AM Z-score")]
    return [Col(f, h, x) for (f, h), x in zip(heads, xs, strict=True)]


def ge_cols_v12(xs: list[float]) -> tuple[list[Col], tuple]:
    """enCORE 12 two-line headers: "Young-Adult" and "Age-Matched" over "(%)  T-Score" / "(%)  Z-Score"."""
    cols = [Col("label", "Region", xs[0]), Col("bmd", "(g/cm²)", xs[1], above="BMD"),
            Col("young_adult_percent", "(%)", xs[2]), Col("t_score", "T-Score", xs[3]),
            Col("age_matched_percent", "(%)", xs[4]), Col("z_score", "Z-Score", xs[5])]
    return cols, (("Young-Adult", 2, 3), ("Age-Matched", 4, 5))


def ge_header(name: str, pid: str, dob: str, sex: str, age: str, measured: str) -> list[list[str]]:
    return [[f"Patient: {name}", "Facility: SYNTHETIC HOSPITAL"],
            [f"Birth Date: {dob}", "Referring Physician: DR. SYNTH"],
            ["Height: 165.0 cm", f"Measured: {measured} 9:41:22 AM (16)"],
            [f"Sex: {sex}", f"Analyzed: {measured} 9:42:10 AM (16)"], [f"Age: {age}", f"Patient ID: {pid}"],
            ["Weight: 70.0 kg", "Ethnicity: White"]]


def ge_page(c: Canvas, s: Style, *, header: list[list[str]], title: str, device: str,
            tables: list[tuple] = (), body: list[str] = (), who_footer: bool = True) -> None:
    """tables: (anchor, cols, rows, spans) each."""
    width, height = s.page
    y = height - 46
    text(c, 50, y, "GE Healthcare", s, bold=True, size=s.size + 2)
    text(c, width - 50, y, "SYNTHETIC HOSPITAL", s, align="right")
    y = fields_box(c, y - 22, header, [50, width / 2], s)
    y = lines(c, 50, y - 12, [title], s, bold=True, size=s.size + 2)
    for anchor, cols, rows, spans in tables:
        y = lines(c, 50, y - 8, [anchor], s, bold=True)
        y = draw_table(c, y - 2, cols, rows, s, spans=spans) - 6
    lines(c, 50, y - 8, list(body), s)
    if who_footer:
        lines(c, 50, 130, GE_WHO, s, size=s.size - 1.5)
    text(c, 50, 50, "GE Healthcare", s, size=s.size - 1)
    text(c, width / 2, 50, device, s, size=s.size - 1, align="center")
    text(c, width - 50, 50, "Page: 1 of 1", s, size=s.size - 1, align="right")
    c.showPage()


def ge_v16() -> Sample:
    """enCORE 16 header; the total printed first (row order varies by version); WHO footer."""
    st = Style("Helvetica", 9, LETTER)
    rows = [spine(*r) for r in [
        ("L1-L4", 1.014, -1.2, -0.4), ("L1", 0.951, -1.0, -0.3), ("L2", 0.992, -1.2, -0.4),
        ("L3", 1.031, -1.3, -0.5),
        ("L4", 1.062, -1.1, -0.3), ("L1-L2", 0.972, -1.1, -0.4), ("L1-L3", 0.993, -1.2, -0.4),
        ("L2-L3", 1.012, -1.3, -0.5), ("L2-L4", 1.030, -1.2, -0.4), ("L3-L4", 1.047, -1.2, -0.4)]]

    def draw(c: Canvas) -> None:
        ge_page(c, st, header=ge_header("SYNTHETIC, PATIENT G", "SYN-0007", "07/14/1965", "Female", "58.6",
                                        "02/20/2024"),
                title="AP Spine Bone Density", device="Lunar Prodigy Advance PA+301234",
                tables=[(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 150, 230, 300, 380, 450]), rows, ())])

    return Sample(st, draw, _patient("F", 58.6, "SYN-0007", dob="1965-07-14"),
                  _exam("2024-02-20", "Lunar Prodigy Advance", ["spine"], GE_REFERENCE,
                        serial="PA+301234"), "ge-lunar", [rows],
                  GE_FIELDS)


def ge_v12() -> Sample:
    """enCORE 12: two-line column headers, "Height / Weight" and "Sex / Ethnic" fields, no Age field."""
    st = Style("Times", 9.5, A4)
    rows = [spine(*r) for r in [
        ("L1", 0.871, -2.5, -1.6), ("L2", 0.902, -2.7, -1.8), ("L3", 0.931, -2.6, -1.7),
        ("L4", 0.948, -2.6, -1.7),
        ("L1-L2", 0.887, -2.6, -1.7), ("L2-L4", 0.928, -2.6, -1.7), ("L1-L4", 0.915, -2.6, -1.7)]]
    header = [["Patient: SYNTHETIC, PATIENT H", "Facility: SYNTHETIC HOSPITAL"],
              ["Birth Date: 11/02/1957", "Referring Physician: DR. SYNTH"],
              ["Height / Weight: 178.0 cm 82.0 kg", "Measured: 02/20/2024 10:02:51 AM (12.0)"],
              ["Sex / Ethnic: Male White", "Analyzed: 02/20/2024 10:03:30 AM (12.0)"],
              ["Patient ID: SYN-0008"]]
    cols, spans = ge_cols_v12([60, 160, 250, 310, 390, 450])

    def draw(c: Canvas) -> None:
        ge_page(c, st, header=header, title="AP Spine Bone Density", device="Lunar DPX-NT 72345",
                tables=[(f"Densitometry: {GE_REFERENCE}", cols, rows, spans)])

    return Sample(st, draw, _patient("M", 66.0, "SYN-0008", dob="1957-11-02"),
                  _exam("2024-02-20", "Lunar DPX-NT 72345", ["spine"], GE_REFERENCE), "ge-lunar", [rows],
                  GE_FIELDS)


def ge_dualfemur() -> Sample:
    """Region groups (Neck, Wards, Troch, Shaft, Total) over Left / Right / Mean / Diff. rows."""
    st = Style("Helvetica", 8.5, LETTER, MINUS)

    def block(printed_label: str, site: str, *values: tuple, diff: float) -> list[Region]:
        return [Region(printed_label),
                *(region(side.capitalize(), site, *v, side=side,
                         reported_label=f"{printed_label} {side.capitalize()}")
                  for side, v in zip(("left", "right", "mean"), values, strict=True)),
                region("Diff.", None, diff)]

    rows = [*block("Neck", "femoral_neck", (0.851, -1.3, -0.1), (0.812, -1.6, -0.4), (0.832, -1.5, -0.2),
                   diff=0.039),
            *block("Wards", "wards", (0.701, -1.8, 0.1), (0.680, -2.0, 0.0), (0.691, -1.9, 0.0), diff=0.021),
            *block("Troch", "trochanter", (0.712, -1.0, -0.1), (0.698, -1.1, -0.2), (0.705, -1.1, -0.2),
                   diff=0.014),
            *block("Shaft", "femoral_shaft", (1.021,), (1.004,), (1.013,), diff=0.017),
            *block("Total", "total_hip", (0.881, -0.9, 0.1), (0.862, -1.1, -0.1), (0.872, -1.0, 0.0),
                   diff=0.019)]

    def draw(c: Canvas) -> None:
        ge_page(c, st, header=ge_header("SYNTHETIC, PATIENT J", "SYN-0009", "01/05/1947", "Female", "77.2",
                                        "03/18/2024"),
                title="DualFemur Bone Density", device="Lunar iDXA ME+200457",
                tables=[(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 160, 240, 310, 390, 460]), rows, ())])

    return Sample(st, draw, _patient("F", 77.2, "SYN-0009", dob="1947-01-05"),
                  _exam("2024-03-18", "Lunar iDXA", ["hip"], GE_REFERENCE, serial="ME+200457"), "ge-lunar",
                  [rows], GE_FIELDS)


def ge_forearm() -> Sample:
    """Radius 33% / UD / Total; "Radius + Ulna Total" is a long label; Courier, A4."""
    st = Style("Courier", 8.5, A4)
    rows = [region(*r, side="left") for r in [
        ("Radius UD", "radius_ud", 0.322, -1.8, -0.9), ("Radius 33%", "radius_33", 0.591, -2.7, -1.6),
        ("Radius Total", "radius_total", 0.461, -2.1, -1.1), ("Ulna UD", "ulna_ud", 0.271, -1.5, -0.7),
        ("Ulna 33%", "ulna_33", 0.601, -2.0, -1.0), ("Radius + Ulna Total",
                                                     "forearm_total", 0.447, -2.2, -1.2)]]

    def draw(c: Canvas) -> None:
        ge_page(c, st, header=ge_header("SYNTHETIC, PATIENT K", "SYN-0010", "05/30/1968", "Female", "55.8",
                                        "03/25/2024"),
                title="Left Forearm Bone Density", device="Lunar Prodigy Advance PA+301234",
                tables=[(f"Densitometry: {GE_REFERENCE}", ge_cols([55, 205, 285, 355, 430, 495]), rows, ())])

    return Sample(st, draw, _patient("F", 55.8, "SYN-0010", dob="1968-05-30"),
                  _exam("2024-03-25", "Lunar Prodigy Advance", ["forearm"], GE_REFERENCE,
                        serial="PA+301234"), "ge-lunar", [rows],
                  GE_FIELDS)


def ge_lva_ancillary() -> Sample:
    """AP Spine with an ANCILLARY RESULTS table (BMC, area) and FRAX, then an LVA page; TrueType font."""
    st = Style("Vera", 8.5, LETTER, MINUS)
    rows = [spine(*r) for r in [("L1", 0.901, -2.1, -0.8, 13.80), ("L2", 0.951, -1.9, -0.6, 14.51),
                                ("L3", 0.968, -2.0, -0.7, 15.92), ("L4", 0.979, -2.0, -0.7, 17.10),
                                ("L1-L4", 0.952, -2.0, -0.7, 61.33)]]
    ancillary = [Col("label", "Region", 60), Col("bmd", "BMD (g/cm²)", 170), Col("bmc", "BMC (g)", 260),
                 Col("area", "Area (cm²)", 350)]
    header = ge_header("SYNTHETIC, PATIENT L", "SYN-0011", "08/08/1955", "Female", "68.6", "03/01/2024")

    def draw(c: Canvas) -> None:
        ge_page(c, st, header=header, title="AP Spine Bone Density", device="Lunar iDXA ME+200457",
                tables=[(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 160, 240, 310, 390, 460]), rows, ()),
                        ("ANCILLARY RESULTS", ancillary, rows, ())],
                body=["FRAX\u00ae 10-year probability: Major Osteoporotic Fracture 14%   Hip Fracture 2.1%"])
        ge_page(c, st, header=header, title="Lateral Vertebral Assessment (LVA)",
                device="Lunar iDXA ME+200457",
                who_footer=False,
                    body=["Vertebral levels T4 - L4 evaluated (Genant semi-quantitative method).",
                                        "No vertebral fracture identified."])

    return Sample(st, draw, _patient("F", 68.6, "SYN-0011", dob="1955-08-08"),
                  _exam("2024-03-01", "Lunar iDXA", ["spine", "vfa"], GE_REFERENCE, serial="ME+200457"),
                  "ge-lunar", [rows],
                  vfa={"performed": True, "fractures": []}, frax={"major": 14.0, "hip": 2.1})


# Norland Illuminatus --------------------------------------------------------------------------------------


def norland_spine_hip() -> Sample:
    """Columns a reader does not use (Length, Width), values shifted off their headers, L1 "(excl.)"."""
    st = Style("Helvetica", 8, A4)
    cols = [Col("label", "Region", 50), Col("bmd", "BMD (g/cm²)", 135), Col("bmc", "BMC (g)", 190),
            Col("area", "Area (cm²)", 240), Col("", "Length (cm)", 290), Col("", "Width (cm)", 340),
            Col("t_score", "T-Score", 390), Col("young_adult_percent", "Young Ref. (%)", 445),
            Col("z_score", "Z-Score", 500), Col("age_matched_percent", "Age Match (%)", 550)]
    l1 = spine("L1", 0.921, -0.6, 0.4, 13.22, excluded=True, reported_label="L1")
    l1.label = "L1 (excl.)"
    spine_rows = [l1, *(spine(*r) for r in [("L2", 0.781, -2.5, -1.4, 14.02),
                                            ("L3", 0.772, -2.7, -1.6, 15.31),
                                            ("L4", 0.780, -2.6, -1.5, 16.40),
                                            ("L2 - L4", 0.778, -2.6, -1.5, 45.73)])]
    hip_rows = [region(*r, side="left") for r in [
        ("Neck", "femoral_neck", 0.691, -1.8, -0.7, 4.90), ("Ward's", "wards", 0.521, -2.4, -0.9, 1.12),
        ("Troch", "trochanter", 0.612, -1.5, -0.6, 10.40), ("Total", "total_hip", 0.812, -1.2, -0.4, 31.92)]]

    def page(c: Canvas, scan: str, rows: list[Region]) -> None:
        y = st.page[1] - 50
        text(c, 50, y, "Norland Illuminatus DXA Report", st, bold=True, size=12)
        y = fields_box(c, y - 22, [["Patient Name: SYNTHETIC, PATIENT M", "Patient ID: SYN-0012"],
                                   ["Birth Date: 12.05.1963", "Sex: F", "Age: 60"],
                                   ["Scan Date: 02.04.2024", f"Scan: {scan}", "Scanner: Norland XR-800"],
                                   ["Reference: Norland USA Female"]], [50, 250, 400], st)
        y = lines(c, 50, y - 12, ["Bone Density Results"], st, bold=True)
        y = draw_table(c, y - 4, cols, rows, st, shift="right")
        lines(c, 50, y - 10, ["Precision: BMD CV 0.8%",
                              "Notes: (excl.) = region excluded from the analysis"], st)
        c.showPage()

    def draw(c: Canvas) -> None:
        page(c, "AP Spine", spine_rows)
        page(c, "Left Hip", hip_rows)

    return Sample(st, draw, _patient("F", 60.0, "SYN-0012", dob="1963-05-12"),
                  _exam("2024-04-02", "Norland XR-800", ["spine", "hip"], "Norland USA Female"), "norland",
                  [spine_rows, hip_rows])


# Radiologist narratives -----------------------------------------------------------------------------------


@dataclass
class Narrative:
    title: str
    header: list[list[str]]
    sections: list[tuple[str, list[str]]]     # heading, sentences


def narrative_pages(c: Canvas, s: Style, doc: Narrative) -> None:
    width, height = s.page
    y = height - 56
    text(c, 50, y, doc.title, s, bold=True, size=s.size + 2)
    y = fields_box(c, y - 24, doc.header, [50, 50 + (width - 100) * 0.4, 50 + (width - 100) * 0.72], s)
    for heading, sentences in doc.sections:
        y -= 8
        for line in simpleSplit(f"{heading}: {' '.join(sentences)}", FONTS[s.font][0], s.size, width - 100):
            text(c, 50, y, line, s)
            y -= s.leading
    text(c, 50, y - 16, "Electronically signed by: SYNTHETIC, RADIOLOGIST MD", s)
    c.showPage()


def narrative(st: Style, doc: Narrative, *, patient: dict, exam: dict, vendor: str,
              measurements: list[Region], vfa: dict | None = None) -> Sample:
    """Expected indications: the history sentences verbatim (the coder recognises them); the impression
    verbatim."""
    sections = dict(doc.sections)
    history = next(sections[h] for h in ("CLINICAL HISTORY", "INDICATION", "HISTORY") if h in sections)
    return Sample(st, lambda c: narrative_pages(c, st, doc), patient, exam, vendor, [measurements],
                  ("bmd", "t_score", "z_score"), indications=history,
                  impression=" ".join(sections["IMPRESSION"]),
                  vfa=vfa or {"performed": False, "fractures": []})


def _l1_l4(values: dict) -> Region:
    return Region("L1-L4", "lumbar_spine", values, vertebrae=["L1", "L2", "L3", "L4"])


def narrative_osteoporosis_steroids() -> Sample:
    header = [["Patient: SYNTHETIC, PATIENT N", "MRN: SYN-0013"], ["DOB: 01/12/1957", "Sex: F"],
              ["Exam Date: 03/05/2024", "Accession: ACC-0013"]]
    doc = Narrative("DXA BONE DENSITOMETRY REPORT", header, [
        ("CLINICAL HISTORY", ["67-year-old postmenopausal woman with rheumatoid arthritis on long-term "
                              "prednisone 7.5 mg daily.", "No prior fractures."]),
        ("TECHNIQUE", ["Bone mineral density of the lumbar spine and left hip was measured on a Hologic "
                       "Horizon A densitometer."]),
        ("COMPARISON", ["None."]),
        ("FINDINGS", ["Lumbar spine (L1-L4): BMD 0.781 g/cm², T-score -2.8, Z-score -1.1.",
                      "Left femoral neck: BMD 0.602 g/cm², T-score -2.6, Z-score -0.9.",
                      "Left total hip: BMD 0.741 g/cm², T-score -2.0, Z-score -0.6."]),
        ("IMPRESSION", ["Osteoporosis.", "The lowest T-score is -2.8 at the lumbar spine.",
                        "Fracture risk is high; pharmacologic therapy is recommended."])])
    ms = [_l1_l4({"bmd": 0.781, "t_score": -2.8, "z_score": -1.1}),
          Region("femoral neck", "femoral_neck", {"bmd": 0.602, "t_score": -2.6, "z_score": -0.9},
                 side="left"),
          Region("total hip", "total_hip", {"bmd": 0.741, "t_score": -2.0, "z_score": -0.6}, side="left")]
    return narrative(Style("Times", 10, LETTER), doc, patient=_patient("F", 67.0, "SYN-0013", "post",
                                                                       dob="1957-01-12"),
                     exam=_exam("2024-03-05", "Hologic Horizon A", ["spine", "hip"], accession="ACC-0013"),
                     vendor="hologic", measurements=ms)


def narrative_osteopenia_vfa() -> Sample:
    m = MINUS
    header = [["Patient: SYNTHETIC, PATIENT P", "MRN: SYN-0014"],
              ["DOB: 09/14/1965", "Sex: F", "Exam Date: 04/22/2024"]]
    doc = Narrative("DXA BONE DENSITY AND VERTEBRAL FRACTURE ASSESSMENT", header, [
        ("INDICATION", ["58-year-old postmenopausal woman with a family history of osteoporosis (mother with "
                        "hip fracture).", "Not on bisphosphonate therapy."]),
        ("TECHNIQUE", ["DXA of the lumbar spine and left hip and vertebral fracture assessment (VFA) were "
                       "performed on a GE Lunar Prodigy scanner."]),
        ("FINDINGS", [
            f"The lumbar spine (L1-L4) BMD is 0.912 g/cm² with a T-score of {m}1.8 and a Z-score of {m}0.6.",
            f"The left femoral neck and left total hip T-scores are {m}2.1 and {m}1.3, respectively.",
            "VFA: there is a moderate (Genant grade 2) compression fracture of T12 with features of an acute "
            "fracture.", "No other vertebral deformity."]),
        ("IMPRESSION", ["Low bone mass (osteopenia).",
                        "Acute moderate compression fracture of T12 on VFA."])])
    ms = [_l1_l4({"bmd": 0.912, "t_score": -1.8, "z_score": -0.6}),
          Region("femoral neck", "femoral_neck", {"t_score": -2.1}, side="left"),
          Region("total hip", "total_hip", {"t_score": -1.3}, side="left")]
    return narrative(Style("Helvetica", 9.5, A4), doc, patient=_patient("F", 58.0, "SYN-0014", "post",
                                                                        dob="1965-09-14"),
                     exam=_exam("2024-04-22", "GE Lunar Prodigy", ["spine", "hip", "vfa"]), vendor="ge-lunar",
                     measurements=ms,
                     vfa={"performed": True, "fractures": [{"vertebra": "T12", "grade": 2, "acute": True}]})


def narrative_normal_screening() -> Sample:
    header = [["Name: SYNTHETIC, PATIENT Q", "Patient ID: SYN-0015"],
              ["Date of Birth: 02/02/1972", "Sex: Female", "Date of Exam: 05/10/2024"]]
    doc = Narrative("BONE DENSITY (DXA) REPORT", header, [
        ("HISTORY", ["Screening.", "52-year-old postmenopausal woman.",
                     "No history of steroid use or fracture."]),
        ("TECHNIQUE", ["DXA of the lumbar spine and left hip on a Norland XR-800 system."]),
        ("FINDINGS", ["T-scores: lumbar spine (L1-L4) -0.6, left femoral neck -0.9, left total hip -0.4."]),
        ("IMPRESSION", ["Normal bone mineral density."])])
    ms = [_l1_l4({"t_score": -0.6}), Region("femoral neck", "femoral_neck", {"t_score": -0.9}, side="left"),
          Region("total hip", "total_hip", {"t_score": -0.4}, side="left")]
    return narrative(Style("Courier", 9, LETTER), doc, patient=_patient("F", 52.0, "SYN-0015", "post",
                                                                        dob="1972-02-02"),
                     exam=_exam("2024-05-10", "Norland XR-800", ["spine", "hip"]), vendor="norland",
                     measurements=ms)


# Layout look-alikes: structures of real printouts, values and text synthetic ------------------------------


def _row_y(y: float, style: Style, above: bool) -> float:
    """The baseline of the first row `draw_table` prints when its header starts at `y`."""
    return y - (style.leading * 0.9 if above else 0) - style.leading * 1.1


def hologic_apex_two_line_young() -> Sample:
    """APEX headers over two lines (`T -` over `score`), the T-score column printed and left blank for a
    young patient (Z only, no PR/AM), and a dual hip in region groups (`Neck`, `Total` over `Left`,
    `Right`, `Mean`, `|Diff.|`)."""
    st = Style("Helvetica", 8.5, LETTER, MINUS)
    fields = ("area", "bmc", "bmd", "t_score", "z_score")
    cols = [Col("label", "Region", 60), Col("area", "(cm²)", 140, above="Area"),
            Col("bmc", "(g)", 200, above="BMC"),
            Col("bmd", "(g/cm²)", 265, above="BMD"), Col("t_score", "score", 330, above="T -"),
            Col("z_score", "score", 390, above="Z -")]
    spine_rows = [spine(label, bmd, None, z, area) for label, bmd, z, area in [
        ("L1", 0.912, -1.1, 13.61), ("L2", 0.958, -1.0, 14.45), ("L3", 1.004, -0.8, 15.72),
        ("L4", 1.021, -0.9, 16.93), ("L1-L4", 0.979, -0.9, 60.71)]]
    spine_rows[-1].bold = True

    def block(label: str, site: str, values: list[tuple], diff: float) -> list[Region]:
        return [Region(label), *(region(side.capitalize(), site, bmd, None, z, area, side=side,
                                        reported_label=f"{label} {side.capitalize()}")
                                 for side, (bmd, z, area) in zip(("left", "right", "mean"), values,
                                                                 strict=True)),
                region("|Diff.|", None, diff)]

    hip_rows = [*block("Neck", "femoral_neck",
                       [(0.742, -1.3, 4.91), (0.768, -1.1, 4.88), (0.755, -1.2, 4.90)],
                       0.026),
                *block("Total", "total_hip",
                       [(0.861, -1.0, 31.20), (0.884, -0.8, 31.64), (0.873, -0.9, 31.42)],
                       0.023)]
    who = hologic_who("SYNTHETIC, PATIENT R", "SYN-0016", "August 9, 1987", "Female", "36")
    page = {"who": who, "scan_date": "May 21, 2024", "model": "Horizon A (S/N 200001)", "cols": cols,
            "after": ["Total BMD CV 1.0%", "Source: 2008 NHANES"]}

    def draw(c: Canvas) -> None:
        hologic_page(c, st, scan_type="a Lumbar Spine", rows=spine_rows, **page)
        hologic_page(c, st, scan_type="a Dual Femur", rows=hip_rows, **page)

    return Sample(st, draw, _patient("F", 36.0, "SYN-0016", dob="1987-08-09"),
                  _exam("2024-05-21", "Horizon A", ["spine", "hip"], "2008 NHANES", serial="200001"),
                  "hologic",
                  [spine_rows, hip_rows], fields)


def ge_encore12_ancillary_forearm() -> Sample:
    """enCORE 12 forearm: footnote digits over a two-level header, numbered footnotes under the table,
    an `ANCILLARY RESULTS [Left Forearm]` table (BMC, area) and a caption block printed beside its rows."""
    st = Style("Times", 9, A4)
    rows = [region(*r, side="left") for r in [
        ("Radius UD", "radius_ud", 0.334, -1.9, -0.8, 3.42),
        ("Radius 33%", "radius_33", 0.612, -2.3, -1.1, 2.95),
        ("Radius Total", "radius_total", 0.487, -2.0, -0.9, 12.60)]]
    cols, spans = ge_cols_v12([60, 170, 255, 315, 395, 455])
    ancillary = [Col("label", "Region", 210), Col("bmd", "BMD (g/cm²)", 320), Col("bmc", "BMC (g)", 400),
                 Col("area", "Area (cm²)", 475)]
    header = [["Patient: SYNTHETIC, PATIENT S", "Facility: SYNTHETIC HOSPITAL"],
              ["Birth Date: 04/17/1961", "Referring Physician: DR. SYNTH"],
              ["Height / Weight: 160.0 cm 58.0 kg", "Measured: 06/11/2024 11:15:40 AM (12.0)"],
              ["Sex / Ethnic: Female White", "Analyzed: 06/11/2024 11:16:02 AM (12.0)"],
              ["Patient ID: SYN-0017"]]

    def draw(c: Canvas) -> None:
        width, height = st.page
        y = height - 46
        text(c, 50, y, "GE Healthcare", st, bold=True, size=st.size + 2)
        y = fields_box(c, y - 22, header, [50, width / 2], st)
        y = lines(c, 50, y - 12, ["Left Forearm Bone Density"], st, bold=True, size=st.size + 2)
        y = lines(c, 50, y - 8, [f"Densitometry: {GE_REFERENCE}"], st, bold=True)
        marks = ((cols[1].x, "1"), ((cols[2].x + cols[3].x) / 2, "2"), ((cols[4].x + cols[5].x) / 2, "3"))
        for x, mark in marks:
            text(c, x, y - 2, mark, st, align="center", size=st.size - 2)
        y = draw_table(c, y - 2 - st.leading * 0.8, cols, rows, st, spans=spans)
        y = lines(c, 50, y - 6, ["1 - USA reference data for the synthetic forearm (sample text)",
                                 "2 - Statistically a synthetic note: young adult comparison",
                                 "3 - Matched for age and sex; synthetic sample text"],
                  st, size=st.size - 1.5)
        y = lines(c, 50, y - 10, ["ANCILLARY RESULTS [Left Forearm]"], st, bold=True)
        first = _row_y(y - 2, st, above=False)
        lines(c, 50, first, ["Image not", "for diagnosis"], st)
        draw_table(c, y - 2, ancillary, rows, st)
        lines(c, 50, 130, GE_WHO, st, size=st.size - 1.5)
        text(c, 50, 50, "GE Healthcare", st, size=st.size - 1)
        text(c, width / 2, 50, "Lunar DPX-NT 72345", st, size=st.size - 1, align="center")
        c.showPage()

    return Sample(st, draw, _patient("F", 63.0, "SYN-0017", dob="1961-04-17"),
                  _exam("2024-06-11", "Lunar DPX-NT 72345", ["forearm"], GE_REFERENCE), "ge-lunar", [rows])


def norland_fourteen_columns() -> Sample:
    """Illuminatus-like page of 14 columns (change columns blank at a first visit), T/Z with two
    decimals, `Fem` over `Neck` and `Total` over `sBMD` (printed in mg/cm²), `Left Hip on: …` titles."""
    st = Style("Helvetica", 7, landscape(A4))
    heads = [("label", "Region"), ("bmd", "BMD (g/cm²)"), ("bmc", "BMC (g)"), ("area", "Area (cm²)"),
             ("", "Length (cm)"), ("", "Width (cm)"), ("t_score", "T-Score"),
             ("young_adult_percent", "Young Ref. (%)"),
             ("z_score", "Z-Score"), ("age_matched_percent", "Age Match (%)"), ("", "ST Change (%)"),
             ("", "ST Change (%/yr)"), ("", "LT Change (%)"), ("", "LT Change (%/yr)")]
    cols = [Col(f, h, x) for (f, h), x in zip(heads, [40, 110, 165, 215, 265, 315, 360, 410, 460, 510, 565,
                                                       625, 690, 755], strict=True)]

    def row(label: str, site: str | None, bmd: float, t: float, z: float, area: float, **kw) -> Region:
        r = region(label, site, bmd, t, z, area, **kw)
        r.values["t_score"], r.values["z_score"] = t, z          # two decimals as printed
        r.texts = {"t_score": f"{t:.2f}", "z_score": f"{z:.2f}"}
        return r

    spine_rows = [spine(label, bmd, None, None, area) for label, bmd, area in [
        ("L2", 0.902, 14.10), ("L3", 0.931, 15.02), ("L4", 0.948, 16.25)]]
    spine_rows = [row(r.label, "lumbar_spine", r.values["bmd"], t, z, r.values["area"], vertebrae=r.vertebrae)
                  for r, (t, z) in zip(spine_rows, [(-1.72, -0.41), (-1.55, -0.27), (-1.44, -0.16)],
                                       strict=True)]
    spine_rows.append(row("L2 - L4", "lumbar_spine", 0.928, -1.56, -0.28, 45.37,
                          vertebrae=["L2", "L3", "L4"]))
    neck = row("Neck", "femoral_neck", 0.701, -1.83, -0.52, 4.95, side="left", reported_label="Fem Neck")
    total = row("sBMD", "total_hip", 0.812, -1.31, -0.22, 30.80, side="left", reported_label="Total sBMD")
    total.texts["bmd"] = "812mg/cm²"
    hip_rows = [Region("Fem"), neck, row("Ward's", "wards", 0.538, -2.21, -0.64, 1.10, side="left"),
                row("Troch", "trochanter", 0.633, -1.40, -0.35, 10.62, side="left"), Region("Total"), total]

    def page(c: Canvas, title: str, rows: list[Region]) -> None:
        y = st.page[1] - 45
        text(c, 40, y, "Norland Illuminatus DXA Report", st, bold=True, size=11)
        y = fields_box(c, y - 20, [["Patient Name: SYNTHETIC, PATIENT T", "Patient ID: SYN-0018"],
                                   ["Birth Date: 07.09.1958", "Sex: F", "Age: 62"],
                                   ["Scanner: Norland XR-46", "Reference: Norland USA Female"]],
                       [40, 300, 520], st)
        y = lines(c, 40, y - 10, [title], st, bold=True)
        y = draw_table(c, y - 4, cols, rows, st)
        lines(c, 40, y - 10, ["Precision: BMD CV 0.9%"], st)
        c.showPage()

    def draw(c: Canvas) -> None:
        page(c, "AP Spine on: 3/14/2021 8:55 AM", spine_rows)
        page(c, "Left Hip on: 3/14/2021 9:02 AM", hip_rows)

    return Sample(st, draw, _patient("F", 62.0, "SYN-0018", dob="1958-09-07"),
                  _exam("2021-03-14", "Norland XR-46", ["spine", "hip"], "Norland USA Female"), "norland",
                  [spine_rows, hip_rows])


def ge_total_body_spine() -> Sample:
    """A whole-body page (subregions with BMD only, which are no results; the total with its scores)
    and an AP spine page in one PDF."""
    st = Style("Helvetica", 8.5, LETTER)
    body = [region(label, None, bmd) for label, bmd in [
        ("Head", 2.012), ("Arms", 0.781), ("Legs", 1.092), ("Trunk", 0.802), ("Ribs", 0.641),
        ("Pelvis", 0.922),
        ("Spine", 0.951)]]
    body.append(region("Total", "total_body", 1.031, -1.1, -0.2))
    rows = [spine(*r) for r in [("L1", 0.958, -1.8, -0.9), ("L2", 1.001, -1.7, -0.8),
                                ("L3", 1.035, -1.6, -0.7),
                                ("L4", 1.049, -1.6, -0.7), ("L1-L4", 1.013, -1.7, -0.8)]]
    header = ge_header("SYNTHETIC, PATIENT U", "SYN-0019", "10/02/1955", "Female", "68.9", "08/27/2024")
    device = "Lunar iDXA ME+200457"

    def draw(c: Canvas) -> None:
        ge_page(c, st, header=header, title="Total Body Bone Density", device=device,
                tables=[(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 160, 240, 310, 390, 460]), body, ())])
        ge_page(c, st, header=header, title="AP Spine Bone Density", device=device,
                tables=[(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 160, 240, 310, 390, 460]), rows, ())])

    return Sample(st, draw, _patient("F", 68.9, "SYN-0019", dob="1955-10-02"),
                  _exam("2024-08-27", "Lunar iDXA", ["total_body", "spine"], GE_REFERENCE,
                        serial="ME+200457"), "ge-lunar",
                  [body, rows], GE_FIELDS)


# GE iDXA with trend tables ---------------------------------------------------------------------------------

TREND_FIELDS = ("age_years", "bmd", "change_vs_previous_g_cm2", "change_vs_previous_percent",
                "change_vs_baseline_g_cm2", "change_vs_baseline_percent")
_TREND_FORMATS = {"age_years": "{:.1f}", "bmd": "{:.3f}", "change_vs_previous_g_cm2": "{:.3f}",
                  "change_vs_previous_percent": "{:.1f}", "change_vs_baseline_g_cm2": "{:.3f}",
                  "change_vs_baseline_percent": "{:.1f}"}


@dataclass
class TrendRow:
    """One printed row of a trend table: the date as printed, the ISO date a reader reports, the values
    (None: printed as "-"), and the change fields printed with a significance mark ("-0.026*")."""

    printed_date: str
    measured: str
    values: dict[str, float | None]
    marked: tuple[str, ...] = ()


def trend_table(c: Canvas, y: float, caption: str, heads: list[list[str]], xs: list[float],
                rows: list[TrendRow], style: Style, spans: tuple[tuple[str, int, int], ...] = ()) -> float:
    """A "Densitometry Trend:" block: its caption, a header band whose columns print one to three lines
    (bottom-aligned, as the scanner splits "Change vs" / "Previous" / "(g/cm²)"; `spans` are headers
    centred over columns i..j, "Change vs Previous" over "(g/cm²)  (%)"), and rows of a date and its
    values ("-" when there is none); returns the y below it."""
    y = lines(c, xs[0], y, [caption], style, bold=True)
    depth = max(len(h) for h in heads) + bool(spans)
    for k in range(depth):
        if spans and k == 0:
            for label, i, j in spans:
                text(c, (xs[i] + xs[j]) / 2, y, label, style, align="center")
        for (i, head), x in zip(enumerate(heads), xs, strict=True):
            at = k - (depth - len(head))
            if at >= 0:
                text(c, x, y, head[at], style, align="left" if i == 0 else "center")
        y -= style.leading * 0.9
    y -= style.leading * 0.2
    for row in rows:
        text(c, xs[0], y, row.printed_date, style)
        for f, x in zip(TREND_FIELDS, xs[1:], strict=True):
            v = row.values.get(f)
            s = "-" if v is None else _TREND_FORMATS[f].format(v).replace("-", style.minus)
            text(c, x, y, s + ("*" if f in row.marked else ""), style, align="center")
        y -= style.leading
    return y - style.leading * 0.5


def trend_points(rows: list[TrendRow], site: str, side: str | None, label: str,
                 vertebrae: list[str] = ()) -> list[dict]:
    return [{"site": site, "side": side, "label": label, "vertebrae": list(vertebrae), "measured": r.measured,
             **{f: r.values.get(f) for f in TREND_FIELDS}} for r in rows]


def _trend_rows(printed_dates: list[str], measured: list[str], ages: list[float],
                bmds: list[float], marked: tuple[str, ...] = ()) -> list[TrendRow]:
    """Rows with the changes a scanner derives: against the row before and the first (none on the first)."""
    out = []
    for i, (shown, on, age, bmd) in enumerate(zip(printed_dates, measured, ages, bmds, strict=True)):
        values: dict[str, float | None] = {"age_years": age, "bmd": bmd}
        for name, ref in (("previous", bmds[i - 1] if i else None), ("baseline", bmds[0] if i else None)):
            values[f"change_vs_{name}_g_cm2"] = None if ref is None else round(bmd - ref, 3)
            values[f"change_vs_{name}_percent"] = None if ref is None else round(100 * (bmd - ref) / ref, 1)
        out.append(TrendRow(shown, on, values, marked if i == len(bmds) - 1 else ()))
    return out


def ge_idxa_trend() -> Sample:
    """iDXA spine and dual femur pages, each with "Densitometry Trend:" blocks of three exams (this one
    last): headers split over three lines (spine) or two (hip), dates as 03/02/2020 and as Mar 2, 2020,
    a significance mark after changes, the unicode minus on the hip page. The trend rows are history,
    never measurements of this exam."""
    st = Style("Helvetica", 8.5, LETTER)
    hip_style = Style("Helvetica", 8.5, LETTER, MINUS)
    spine_rows = [spine(*r) for r in [
        ("L1", 0.861, -2.1, -0.6), ("L2", 0.902, -2.0, -0.5), ("L3", 0.934, -1.9, -0.4),
        ("L4", 0.951, -1.8, -0.3), ("L1-L4", 0.915, -1.9, -0.4)]]

    def block(printed_label: str, site: str, *values: tuple) -> list[Region]:
        return [Region(printed_label),
                *(region(side.capitalize(), site, *v, side=side,
                         reported_label=f"{printed_label} {side.capitalize()}")
                  for side, v in zip(("left", "right", "mean"), values, strict=True))]

    hip_rows = [*block("Neck", "femoral_neck", (0.752, -2.1, -0.7), (0.771, -1.9, -0.6), (0.762, -2.0, -0.6)),
                *block("Total", "total_hip", (0.812, -1.4, -0.2), (0.823, -1.3, -0.1), (0.818, -1.4, -0.2))]
    measured = ["2020-03-02", "2022-04-11", "2024-05-14"]
    spine_trend = _trend_rows(["03/02/2020", "04/11/2022", "05/14/2024"], measured, [63.7, 65.9, 67.9],
                              [0.962, 0.941, 0.915], marked=("change_vs_baseline_g_cm2",))
    named = ["Mar 2, 2020", "Apr 11, 2022", "May 14, 2024"]
    neck_trend = _trend_rows(named, measured, [63.7, 65.9, 67.9], [0.790, 0.781, 0.762])
    total_trend = _trend_rows(named, measured, [63.7, 65.9, 67.9], [0.829, 0.826, 0.818])
    header = ge_header("SYNTHETIC, PATIENT V", "SYN-0020", "06/03/1956", "Female", "67.9", "05/14/2024")
    device = "Lunar iDXA ME+200911"
    xs = [60, 150, 205, 265, 330, 395, 460]
    three = [["Measured Date"], ["Age", "(years)"], ["BMD", "(g/cm²)"], ["Change vs", "Previous", "(g/cm²)"],
             ["Change vs", "Previous (%)"], ["Change vs", "Baseline", "(g/cm²)"],
             ["Change vs", "Baseline (%)"]]
    two = [["Measured Date"], ["Age (years)"], ["BMD (g/cm²)"], ["(g/cm²)"], ["(%)"], ["(g/cm²)"], ["(%)"]]
    spans = (("Change vs Previous", 3, 4), ("Change vs Baseline", 5, 6))
    two_xs = [60, 150, 210, 290, 340, 430, 480]

    def page(c: Canvas, s: Style, title: str, results: list[tuple], trends: list[tuple]) -> None:
        width, height = s.page
        y = fields_box(c, height - 68, header, [50, width / 2], s)
        text(c, 50, height - 46, "GE Healthcare", s, bold=True, size=s.size + 2)
        y = lines(c, 50, y - 12, [title], s, bold=True, size=s.size + 2)
        for anchor, cols, rows in results:
            y = lines(c, 50, y - 8, [anchor], s, bold=True)
            y = draw_table(c, y - 2, cols, rows, s) - 6
        for caption, heads, at, rows, over in trends:
            y = trend_table(c, y - 10, caption, heads, at, rows, s, over)
        lines(c, 50, y - 4, ["(*) Indicates significant change based on 95% confidence interval."], s,
              size=s.size - 1.5)
        lines(c, 50, 130, GE_WHO, s, size=s.size - 1.5)
        text(c, width / 2, 50, device, s, size=s.size - 1, align="center")
        text(c, width - 50, 50, "Page: 1 of 1", s, size=s.size - 1, align="right")
        c.showPage()

    def draw(c: Canvas) -> None:
        page(c, st, "AP Spine Bone Density",
             [(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 150, 230, 300, 380, 450]), spine_rows)],
             [("Densitometry Trend: L1-L4", three, xs, spine_trend, ())])
        page(c, hip_style, "DualFemur Bone Density",
             [(f"Densitometry: {GE_REFERENCE}", ge_cols([60, 160, 240, 310, 390, 460]), hip_rows)],
             [("Densitometry Trend: DualFemur Neck Mean", two, two_xs, neck_trend, spans),
              ("Densitometry Trend: DualFemur Total Mean", two, two_xs, total_trend, spans)])

    return Sample(st, draw, _patient("F", 67.9, "SYN-0020", dob="1956-06-03"),
                  _exam("2024-05-14", "Lunar iDXA", ["spine", "hip"], GE_REFERENCE, serial="ME+200911"),
                  "ge-lunar", [spine_rows, hip_rows], GE_FIELDS,
                  history=[*trend_points(spine_trend, "lumbar_spine", None, "L1-L4", _vertebrae("L1-L4")),
                           *trend_points(neck_trend, "femoral_neck", "mean", "Neck Mean"),
                           *trend_points(total_trend, "total_hip", "mean", "Total Mean")])


SAMPLES: dict[str, Callable[[], Sample]] = {
    "hologic-spine-hip-pram": hologic_spine_hip,
    "hologic-spine-young-no-pram": hologic_young_no_pr_am,
    "hologic-dual-hip": hologic_dual_hip,
    "hologic-forearm": hologic_forearm,
    "hologic-iva": hologic_iva,
    "hologic-excluded-vertebra": hologic_excluded_vertebra,
    "ge-encore-v16": ge_v16,
    "ge-encore-v12": ge_v12,
    "ge-dualfemur": ge_dualfemur,
    "ge-forearm": ge_forearm,
    "ge-lva-ancillary": ge_lva_ancillary,
    "norland-spine-hip": norland_spine_hip,
    "narrative-osteoporosis-steroids": narrative_osteoporosis_steroids,
    "narrative-osteopenia-vfa": narrative_osteopenia_vfa,
    "narrative-normal-screening": narrative_normal_screening,
    "hologic-apex-two-line-young": hologic_apex_two_line_young,
    "ge-encore12-ancillary-forearm": ge_encore12_ancillary_forearm,
    "norland-fourteen-columns": norland_fourteen_columns,
    "ge-total-body-spine": ge_total_body_spine,
    "ge-idxa-trend": ge_idxa_trend,
}


# --- expected coding, reasoned from docs/coding.md (not taken from the coder) -----------------

CODING: dict[str, dict] = {
    # F 67, menopausal status unknown: ≥ 50 is treated as postmenopausal (T). Lowest diagnostic T is the
    # left femoral neck −2.0 (Ward's −2.6 never counts) → low bone mass; spine (−1.8) and hip both low
    # → M85.89. TBS printed → 77089 after 77080.
    "hologic-spine-hip-pram": {
        "cpt": [("77080", "axial DXA study (hip, spine)"), ("77089", "TBS 1.262 reported")],
        "category": "low_bone_mass", "basis": ("t", "femoral_neck", "left", "Neck", -2.0),
        "icd10": [("M85.89", "low bone mass in more than one region (spine, hip)")], "flags": []},
    # F 34, T-scores blank: < 40 with unknown status is treated as premenopausal (Z). L1-L4 Z −0.8 →
    # within the expected range: no finding code, no indication → Z13.820 alone, flagged (§6.4).
    "hologic-spine-young-no-pram": {
        "cpt": [("77080", "axial DXA study (spine)")],
        "category": "within_expected_range_for_age", "basis": ("z", "lumbar_spine", None, "L1-L4", -0.8),
        "icd10": [("Z13.820", "no finding and no indication: screening code")],
        "flags": ["screening_code_alone"]},
    # M 71 → T. Left femoral neck −2.7 ≤ −2.5 → osteoporosis, M81.0 (the mean hip never diagnoses).
    "hologic-dual-hip": {
        "cpt": [("77080", "axial DXA study (hip)")],
        "category": "osteoporosis", "basis": ("t", "femoral_neck", "left", "Neck", -2.7),
        "icd10": [("M81.0", "osteoporosis without a current fracture")], "flags": []},
    # F 62 → T. Forearm only: the 33% radius (−2.2) is the only diagnostic site → low bone mass of the
    # left forearm, M85.832; a peripheral study → 77081. Ulna MID / Ulna Total are known regions with no
    # contract site (site other): not "a site label that is not known" (§6.2), so no flag.
    "hologic-forearm": {
        "cpt": [("77081", "peripheral DXA study (forearm)")],
        "category": "low_bone_mass", "basis": ("t", "radius_33", "left", "Radius 1/3", -2.2),
        "icd10": [("M85.832", "low bone mass, left forearm (33% radius)")], "flags": []},
    # F 70 → T. Spine L1-L4 −1.5 and femoral neck −1.2 both low → M85.89. IVA with the axial study →
    # 77085 alone. T12 grade 1 not documented as acute → Z87.310 and a review flag (§6.3).
    "hologic-iva": {
        "cpt": [("77085", "axial DXA study and VFA the same day")],
        "category": "low_bone_mass", "basis": ("t", "lumbar_spine", None, "L1-L4", -1.5),
        "icd10": [("M85.89", "low bone mass in more than one region (spine, hip)"),
                  ("Z87.310", "VFA fracture not documented as acute: history of osteoporotic fracture")],
        "flags": ["vfa_fracture_not_acute"]},
    # F 66 → T. L1 (−0.4) differs from L2 (−1.8) by > 1.0 → excluded; the printed L2-L4 (−1.9) is the
    # widest range without it → low bone mass of the spine only, M85.88; no flag, the range exists (§6.7).
    "hologic-excluded-vertebra": {
        "cpt": [("77080", "axial DXA study (spine)")],
        "category": "low_bone_mass", "basis": ("t", "lumbar_spine", None, "L2-L4", -1.9),
        "icd10": [("M85.88", "low bone mass, lumbar spine")], "flags": []},
    # F 58.6 → T. L1-L4 −1.2 → low bone mass, spine → M85.88. The WHO footer's −1.0/−2.5 are no results.
    "ge-encore-v16": {
        "cpt": [("77080", "axial DXA study (spine)")],
        "category": "low_bone_mass", "basis": ("t", "lumbar_spine", None, "L1-L4", -1.2),
        "icd10": [("M85.88", "low bone mass, lumbar spine")], "flags": []},
    # M, 66 from birth date and measured date → T. L1-L4 −2.6 → osteoporosis, M81.0.
    "ge-encore-v12": {
        "cpt": [("77080", "axial DXA study (spine)")],
        "category": "osteoporosis", "basis": ("t", "lumbar_spine", None, "L1-L4", -2.6),
        "icd10": [("M81.0", "osteoporosis without a current fracture")], "flags": []},
    # F 77.2 → T. Lowest diagnostic: right femoral neck −1.6 (Wards −2.0 never counts) → low bone mass,
    # hip only, right → M85.851.
    "ge-dualfemur": {
        "cpt": [("77080", "axial DXA study (hip)")],
        "category": "low_bone_mass", "basis": ("t", "femoral_neck", "right", "Neck Right", -1.6),
        "icd10": [("M85.851", "low bone mass, right hip")], "flags": []},
    # F 55.8 → T. Radius 33% −2.7 → osteoporosis, M81.0; forearm only → 77081.
    "ge-forearm": {
        "cpt": [("77081", "peripheral DXA study (forearm)")],
        "category": "osteoporosis", "basis": ("t", "radius_33", "left", "Radius 33%", -2.7),
        "icd10": [("M81.0", "osteoporosis without a current fracture")], "flags": []},
    # F 68.6 → T. L1-L4 −2.0 → low bone mass, spine → M85.88; LVA with the axial study → 77085; LVA
    # found no fracture. FRAX is reported but bills nothing.
    "ge-lva-ancillary": {
        "cpt": [("77085", "axial DXA study and VFA the same day")],
        "category": "low_bone_mass", "basis": ("t", "lumbar_spine", None, "L1-L4", -2.0),
        "icd10": [("M85.88", "low bone mass, lumbar spine")], "flags": []},
    # F 60 → T. L1 printed as excluded; L2 - L4 (−2.6) is the spine result → osteoporosis, M81.0.
    "norland-spine-hip": {
        "cpt": [("77080", "axial DXA study (hip, spine)")],
        "category": "osteoporosis", "basis": ("t", "lumbar_spine", None, "L2 - L4", -2.6),
        "icd10": [("M81.0", "osteoporosis without a current fracture")], "flags": []},
    # Postmenopausal; L1-L4 −2.8 → osteoporosis, as the impression says. Indications in claim order:
    # postmenopausal Z78.0, long-term prednisone Z79.52.
    "narrative-osteoporosis-steroids": {
        "cpt": [("77080", "axial DXA study (hip, spine)")],
        "category": "osteoporosis", "basis": ("t", "lumbar_spine", None, "L1-L4", -2.8),
        "icd10": [("M81.0", "osteoporosis without a current fracture"), ("Z78.0", "postmenopausal"),
                  ("Z79.52", "long-term glucocorticoid use")], "flags": []},
    # Postmenopausal; lowest T is the left femoral neck −2.1 → low bone mass, as the impression says. The
    # acute T12 fracture on VFA → M80.08XA first, in place of the low bone mass code (§3 [J]); axial +
    # VFA → 77085. Indications: Z78.0, family history Z82.62 ("not on bisphosphonate" is negated).
    "narrative-osteopenia-vfa": {
        "cpt": [("77085", "axial DXA study and VFA the same day")],
        "category": "low_bone_mass", "basis": ("t", "femoral_neck", "left", "femoral neck", -2.1),
        "icd10": [("M80.08XA", "acute vertebral fracture on VFA"), ("Z78.0", "postmenopausal"),
                  ("Z82.62", "family history of osteoporosis")], "flags": []},
    # Postmenopausal, every T ≥ −1.0 → normal: no finding code; Z78.0, then screening Z13.820 (never
    # first; not alone, so no flag). "No history of steroid use" is negated.
    "narrative-normal-screening": {
        "cpt": [("77080", "axial DXA study (hip, spine)")],
        "category": "normal", "basis": ("t", "femoral_neck", "left", "femoral neck", -0.9),
        "icd10": [("Z78.0", "postmenopausal"), ("Z13.820", "screening")], "flags": []},
    # F 36, T-scores printed blank: < 40 with unknown status → Z. Lowest Z among the diagnostic sites is
    # the left femoral neck −1.3 (the mean hip never diagnoses) > −2.0 → within the expected range: no
    # finding code, no indication → Z13.820 alone, flagged (§6.4), as hologic-spine-young-no-pram.
    "hologic-apex-two-line-young": {
        "cpt": [("77080", "axial DXA study (hip, spine)")],
        "category": "within_expected_range_for_age",
        "basis": ("z", "femoral_neck", "left", "Neck Left", -1.3),
        "icd10": [("Z13.820", "no finding and no indication: screening code")],
        "flags": ["screening_code_alone"]},
    # F 63 (birth and measured dates) → T. Forearm only: 33% radius −2.3 → low bone mass of the left
    # forearm, M85.832; peripheral → 77081. The ancillary table repeats the regions (one measurement each).
    "ge-encore12-ancillary-forearm": {
        "cpt": [("77081", "peripheral DXA study (forearm)")],
        "category": "low_bone_mass", "basis": ("t", "radius_33", "left", "Radius 33%", -2.3),
        "icd10": [("M85.832", "low bone mass, left forearm (33% radius)")], "flags": []},
    # F 62 → T. Left femoral neck −1.83 lowest diagnostic (Ward's −2.21 never counts); spine L2 - L4 −1.56
    # and total hip (sBMD row) −1.31 also low → both regions → M85.89.
    "norland-fourteen-columns": {
        "cpt": [("77080", "axial DXA study (hip, spine)")],
        "category": "low_bone_mass", "basis": ("t", "femoral_neck", "left", "Fem Neck", -1.83),
        "icd10": [("M85.89", "low bone mass in more than one region (spine, hip)")], "flags": []},
    # F 68.9 → T. The total body is no bone density study to bill or diagnose by; its subregions are no
    # results. Spine L1-L4 −1.7 → low bone mass, spine → M85.88; 77080 for the spine.
    "ge-total-body-spine": {
        "cpt": [("77080", "axial DXA study (spine)")],
        "category": "low_bone_mass", "basis": ("t", "lumbar_spine", None, "L1-L4", -1.7),
        "icd10": [("M85.88", "low bone mass, lumbar spine")], "flags": []},
    # F 67.9 → T. Lowest diagnostic T the left femoral neck −2.1 (the mean hip never diagnoses), spine −1.9:
    # both low → M85.89. The trend rows are no results: they change nothing of the coding.
    "ge-idxa-trend": {
        "cpt": [("77080", "axial DXA study (spine, hip)")],
        "category": "low_bone_mass", "basis": ("t", "femoral_neck", "left", "Neck Left", -2.1),
        "icd10": [("M85.89", "low bone mass in more than one region (spine, hip)")], "flags": []},
}


def coding_of(name: str) -> dict:
    spec = CODING[name]
    basis = spec["basis"]
    return {
        "cpt": [{"code": code, "modifiers": [], "units": 1, "reason": why} for code, why in spec["cpt"]],
        "category": spec["category"],
        "basis": basis and dict(zip(("score", "site", "side", "label", "value"), basis, strict=True)),
        "icd10": [{"code": code, "reason": why} for code, why in spec["icd10"]],
        "flags": [{"code": key, "message": f"expected by the sample spec: {key}"} for key in spec["flags"]],
        "needs_review": bool(spec["flags"]),
    }


# --- output ---------------------------------------------------------------------------------------------


def write_sample(name: str, out: Path, path_text: str | None = None) -> tuple[Path, dict]:
    """Draw one sample into `out`; its PDF path and expected JSON object (source path `path_text`)."""
    from dxaparse.models import ExamResult
    from samples.expected_output import checked_output

    sample = SAMPLES[name]()
    pdf = out / f"{name}.pdf"
    c = new_canvas(pdf, sample.style)
    sample.draw(c)
    c.save()
    rel = path_text or str(pdf)
    findings = sample.findings(rel, hashlib.sha256(pdf.read_bytes()).hexdigest())
    hand = ExamResult(**findings, coding=coding_of(name)).to_json_dict()
    return pdf, checked_output(pdf, rel, hand)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("samples/pdf")
    out.mkdir(parents=True, exist_ok=True)
    for name in SAMPLES:
        pdf, expected = write_sample(name, out)
        (out / f"{name}.expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
        print(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
