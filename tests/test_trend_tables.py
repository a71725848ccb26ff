"""Printed trend tables are read into `history`, never into the measurements; the patient's identity
across exams (birth date, issuer of the ID) and the scanner's serial are kept from DICOM, printed
reports and findings JSON, and a birth date is never logged nor written into a doubt (issue 18)."""

from __future__ import annotations

import datetime as dt
import json
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import LETTER, landscape

from dxaparse.code import CodingSettings
from dxaparse.models import Findings, Source
from dxaparse.pipeline import process
from dxaparse.read.dicom import read_dicom
from dxaparse.read.findings_json import read_findings_json
from dxaparse.read.layout.layouts import layout_for
from dxaparse.read.layout.report import read_report
from dxaparse.read.ocr.verify import _header
from dxaparse.read.pdf import read_pdf

from ._pdf import draw, generator, lines_of
from .conftest import ROOT
from .test_dicom_identity import epdf, only

g = generator()
SAMPLE = ROOT / "samples" / "pdf" / "ge-idxa-trend.pdf"
BORN = dt.date(1956, 6, 3)   # the sample's printed birth date


def _points(f: Findings) -> list[dict]:
    return [p.model_dump(mode="json") for p in f.history]


# ---- the sample: a GE iDXA spine and dual femur report with three trend blocks --------------------------
def test_every_trend_row_of_the_sample_is_a_point_of_history():
    f = read_pdf(SAMPLE)
    spec = g.ge_idxa_trend()
    assert _points(f) == spec.history
    spine = [p for p in f.history if p.site == "lumbar_spine"]
    assert [p.measured for p in spine] == [dt.date(2020, 3, 2), dt.date(2022, 4, 11), dt.date(2024, 5, 14)]
    first, _, last = spine
    assert (first.change_vs_previous_g_cm2, first.change_vs_baseline_percent) == (None, None)
    assert (last.bmd, last.age_years, last.change_vs_baseline_g_cm2, last.change_vs_baseline_percent) == \
        (0.915, 67.9, -0.047, -4.9)     # printed "-0.047*": the significance mark is no part of the value
    assert last.vertebrae == ["L1", "L2", "L3", "L4"]
    assert {(p.site, p.side, p.label) for p in f.history if p.site != "lumbar_spine"} == \
        {("femoral_neck", "mean", "Neck Mean"), ("total_hip", "mean", "Total Mean")}


def test_trend_rows_are_never_measurements_of_the_exam():
    f = read_pdf(SAMPLE)
    assert [(m.site, m.side, m.label) for m in f.measurements] == [
        ("lumbar_spine", None, label) for label in ("L1", "L2", "L3", "L4", "L1-L4")] + [
        (site, side, f"{name} {side.capitalize()}") for site, name in (("femoral_neck", "Neck"),
                                                                     ("total_hip", "Total"))
        for side in ("left", "right", "mean")]
    earlier = {p.bmd for p in f.history if p.measured < f.exam.date}
    assert not earlier & {m.bmd for m in f.measurements}
    assert f.exam.unrecognized == [] and f.exam.doubts == []
    assert all(m.doubt is None for m in f.measurements)


# ---- any header split, date form, minus sign and caption ----------------------------------------------
LAYOUTS = {
    # header lines per column (top to bottom), column centres, spans over columns, page size
    "three lines": ([["Measured Date"], ["Age", "(years)"], ["BMD", "(g/cm²)"],
                     ["Change vs", "Previous", "(g/cm²)"], ["Change vs", "Previous (%)"],
                     ["Change vs", "Baseline", "(g/cm²)"], ["Change vs", "Baseline (%)"]],
                    [60, 150, 205, 265, 330, 395, 460], (), LETTER),
    "spans": ([["Measured Date"], ["Age (years)"], ["BMD (g/cm²)"], ["(g/cm²)"], ["(%)"], ["(g/cm²)"],
               ["(%)"]],
              [60, 150, 210, 290, 340, 430, 480],
              (("Change vs Previous", 3, 4), ("Change vs Baseline", 5, 6)), LETTER),
    "one line": ([["Measured Date"], ["Age (years)"], ["BMD (g/cm²)"], ["Change vs Previous (g/cm²)"],
                  ["Change vs Previous (%)"], ["Change vs Baseline (g/cm²)"], ["Change vs Baseline (%)"]],
                 [40, 135, 205, 300, 420, 540, 660], (), landscape(LETTER)),
}
DATE_FORMS = {"slashes": "%m/%d/%Y", "named": "%b %d, %Y", "iso": "%Y-%m-%d", "dots": "%d.%m.%Y"}
CAPTIONS = {  # printed caption → (site, side, label, vertebrae)
    "L1-L4": ("lumbar_spine", None, "L1-L4", ["L1", "L2", "L3", "L4"]),
    "L2-L4": ("lumbar_spine", None, "L2-L4", ["L2", "L3", "L4"]),
    "DualFemur Neck Mean": ("femoral_neck", "mean", "Neck Mean", []),
    "DualFemur Total Mean": ("total_hip", "mean", "Total Mean", []),
}


@st.composite
def trend_blocks(draw_):
    layout = draw_(st.sampled_from(sorted(LAYOUTS)))
    form = draw_(st.sampled_from(sorted(DATE_FORMS)))
    caption = draw_(st.sampled_from(sorted(CAPTIONS)))
    n = draw_(st.integers(1, 4))
    start = draw_(st.dates(dt.date(2005, 1, 1), dt.date(2015, 12, 31)))
    gaps = draw_(st.lists(st.integers(300, 1200), min_size=n - 1, max_size=n - 1))
    days = [start]
    for gap in gaps:
        days.append(days[-1] + dt.timedelta(days=gap))
    bmds = draw_(st.lists(st.integers(600, 1300), min_size=n, max_size=n))
    minus = draw_(st.sampled_from(["-", g.MINUS]))
    marked = draw_(st.sets(st.sampled_from(g.TREND_FIELDS[2:])))
    return layout, form, caption, days, [b / 1000 for b in bmds], minus, tuple(marked)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=trend_blocks())
def test_a_trend_block_is_read_whatever_its_header_split_date_form_and_caption(tmp_path, block):
    layout, form, caption, days, bmds, minus, marked = block
    heads, xs, spans, page = LAYOUTS[layout]
    ages = [round(50 + (d - days[0]).days / 365.25, 1) for d in days]
    rows = g._trend_rows([d.strftime(DATE_FORMS[form]) for d in days], [d.isoformat() for d in days],
                         ages, bmds, marked)
    style = g.Style("Helvetica", 7.5 if layout == "one line" else 8.5, page, minus)
    spine_rows = [g.spine("L1-L4", bmds[-1], -1.2, -0.3)]

    def pages(c):
        y = g.fields_box(c, page[1] - 60, [["Patient ID: SYN-T01", f"Measured: {days[-1]:%m/%d/%Y}"]],
                         [50, page[0] / 2], style)
        y = g.lines(c, 50, y - 10, ["AP Spine Bone Density"], style, bold=True)
        y = g.lines(c, 50, y - 6, [f"Densitometry: {g.GE_REFERENCE}"], style, bold=True)
        y = g.draw_table(c, y - 2, g.ge_cols([60, 150, 230, 300, 380, 450]), spine_rows, style)
        y = g.trend_table(c, y - 16, f"Densitometry Trend: {caption}", heads, xs, rows, style, spans)
        g.lines(c, 50, y - 4, ["(*) Indicates significant change based on 95% confidence interval."], style)
        g.text(c, 50, 50, "GE Healthcare", style)
        g.text(c, page[0] / 2, 50, "Lunar iDXA ME+200911", style)
        c.showPage()

    f = read_pdf(draw(tmp_path / "trend.pdf", pages, style))
    site, side, label, vertebrae = CAPTIONS[caption]
    assert _points(f) == g.trend_points(rows, site, side, label, vertebrae)
    assert [(m.label, m.bmd, m.t_score) for m in f.measurements] == [("L1-L4", bmds[-1], -1.2)]
    assert f.exam.device_serial == "ME+200911"


def test_a_caption_naming_no_known_region_keeps_its_rows_under_other():
    lines = lines_of(
        (100, [("Densitometry", 50), ("Trend:", 120), ("Shoulder", 155)]),
        (120, [("Measured", 50), ("Date", 95), ("Age", 150), ("(years)", 170), ("BMD", 230),
               ("(g/cm²)", 250)]),
        (135, [("01/22/2020", 50), ("60.4", 160), ("1.285", 235)]))
    f = read_report(lines, Source(path="x.pdf", kind="pdf", vendor="ge-lunar", sha256="0"))
    [point] = f.history
    assert (point.site, point.label, point.measured, point.bmd, point.age_years) == \
        ("other", "Shoulder", dt.date(2020, 1, 22), 1.285, 60.4)
    assert f.measurements == [] and f.patient.age_years == 60.4   # the age the trend printed last


# ---- identity across exams ---------------------------------------------------------------------------
def test_printed_reports_keep_the_birth_date_and_the_scanners_serial():
    hologic = read_pdf(ROOT / "samples" / "pdf" / "hologic-spine-hip-pram.pdf")
    assert (hologic.patient.birth_date, hologic.exam.device_serial) == (dt.date(1957, 3, 4), "200001")
    assert hologic.exam.device == "Horizon A"            # the serial is no part of the model
    ge = read_pdf(ROOT / "samples" / "pdf" / "ge-encore-v16.pdf")
    assert (ge.patient.birth_date, ge.exam.device_serial) == (dt.date(1965, 7, 14), "PA+301234")
    assert ge.exam.device == "Lunar Prodigy Advance"
    assert ge.patient.id_issuer is None                 # no report prints the issuer


def test_a_serial_number_field_is_read_by_every_vendors_vocabulary():
    for vendor in ("hologic", "ge-lunar", "norland", "unknown"):
        patterns = layout_for(vendor).lines
        assert patterns.value("device_serial", "Scanner: XR-46\tSerial Number: 4601234") == "4601234"
        assert patterns.value("device_serial", "Model: Horizon W (S/N 301234M)") == "301234M"
        assert patterns.value("device_serial", "Serial bone density") is None


def test_dicom_headers_give_birth_date_issuer_and_serial(tmp_path):
    [f] = list(read_dicom([ROOT / "samples" / "dicom" / "ge-sr-dual-hip.dcm"]))
    assert (f.patient.birth_date, f.patient.id_issuer, f.exam.device_serial) == \
        (dt.date(1966, 2, 10), "SYNTHETIC HOSPITAL", "ME+200457")
    page = only([epdf(tmp_path / "epdf.dcm", PatientID="SYN-0001", IssuerOfPatientID="SYN-HOSP",
                      DeviceSerialNumber="H-0042")])
    # the header fills what the page does not print; the page's serial stands beside the header's
    assert (page.patient.id_issuer, page.patient.birth_date) == ("SYN-HOSP", dt.date(1957, 3, 4))
    assert page.exam.device_serial == "200001"
    other = only([epdf(tmp_path / "other.dcm", PatientID="SYN-0001", PatientBirthDate="19570403")])
    assert other.patient.birth_date == dt.date(1957, 4, 3)   # the header's, as its patient ID
    assert not any("1957" in d.detail for d in other.exam.doubts)


def test_findings_json_keeps_identity_and_history(tmp_path):
    doc = {"patient": {"id": "SYN-J1", "id_issuer": "SYN-HOSP", "birth_date": "1950-01-31", "sex": "F"},
           "exam": {"date": "2024-05-14", "device_serial": "ME+1"},
           "measurements": [{"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
                             "bmd": 0.9, "t_score": -1.5}],
           "history": [{"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"],
                        "measured": "2022-05-01", "bmd": 0.93, "age_years": 72.3}]}
    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc))
    f = read_findings_json(path)
    assert (f.patient.birth_date, f.patient.id_issuer, f.exam.device_serial) == \
        (dt.date(1950, 1, 31), "SYN-HOSP", "ME+1")
    assert [(p.measured, p.bmd) for p in f.history] == [(dt.date(2022, 5, 1), 0.93)]
    [result] = process(path, CodingSettings())
    assert result.to_json_dict()["history"][0]["measured"] == "2022-05-01"


def test_no_birth_date_is_logged(tmp_path, caplog):
    with caplog.at_level(logging.DEBUG):
        for path in (SAMPLE, ROOT / "samples" / "dicom" / "ge-sr-dual-hip.dcm"):
            [result] = process(path, CodingSettings())
            assert result.patient.birth_date is not None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for born in (BORN, dt.date(1966, 2, 10)):
        assert not any(s in logged for s in (born.isoformat(), f"{born:%m/%d/%Y}", f"{born:%Y%m%d}"))


def test_an_unsure_ocr_reading_of_a_birth_date_is_not_quoted_in_its_doubt():
    lines = lines_of((100, [("DOB:", 50), ("03/04/1957", 80), ("Patient", 250), ("ID:", 290),
                            ("SYN-0001", 310)]))
    words = {w.text: w for line in lines for w in line.words}
    notes = {words["03/04/1957"]: "unsure reading '03/04/1957' (confidence 41%)",
             words["SYN-0001"]: "unsure reading 'SYN-0001' (confidence 52%)"}
    f = Findings(source=Source(path="x.pdf", kind="pdf", vendor="hologic", sha256="0"))
    _header(f, lines, notes)
    details = {d.field: d.detail for d in f.exam.doubts}
    assert details["patient.age_years"] == "birth date read by OCR: unsure reading, not repeated here"
    assert "SYN-0001" in details["patient.id"]            # an ID may be quoted: the result carries it
