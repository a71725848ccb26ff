"""`dxaparse precision` (issue 18): RMS-SD and LSC per site from repeated same-day scans in the store,
against a precision study worked out by hand below."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from dxaparse.cli import main
from dxaparse.code.settings import load_settings
from dxaparse.emit.store import Store
from dxaparse.history.precision import TooFew, precision_of, rms_sd
from dxaparse.models import ExamResult, Site

from ._exams import exam

SERIAL = "HA-1001"

# The worked example: 30 patients scanned twice on one day (the lumbar spine L1-L4).
#   patients  1-10: 0.800 and 0.810  → difference d = 0.010
#   patients 11-20: 0.900 and 0.920  → d = 0.020
#   patients 21-30: 0.700 and 0.700  → d = 0
# The variance of two values (n − 1 = 1 degree of freedom) is d² / 2:
#   0.010² / 2 = 0.00005,  0.020² / 2 = 0.0002,  0.
# Mean over the 30 patients: (10 × 0.00005 + 10 × 0.0002 + 10 × 0) / 30 = 0.0025 / 30 = 0.0000833333…
# RMS-SD = √0.0000833333 = 0.0091287… → 0.00913 g/cm² (5 decimals)
# LSC = 2.77 × 0.00913 = 0.0252901 → 0.0253 g/cm²
PAIRS = [(0.800, 0.810)] * 10 + [(0.900, 0.920)] * 10 + [(0.700, 0.700)] * 10
RMS_SD, LSC = 0.00913, 0.0253

# The hip of the same study, scanned 3 times for 15 patients (left total hip): 0.700, 0.710, 0.720 each.
# Mean 0.710; squared deviations 0.0001 + 0 + 0.0001 = 0.0002; variance 0.0002 / 2 = 0.0001; SD 0.010.
# RMS-SD = √(15 × 0.0001 / 15) = 0.010; LSC = 2.77 × 0.010 = 0.0277.
TRIPLES = [(0.700, 0.710, 0.720)] * 15


def scan(n: int, patient: int, day: str, spine: float | None, hip: float | None,
         serial: str = SERIAL) -> ExamResult:
    """One scan of a precision study: an exam of its own (its own study), as the scanner stores it."""
    r = exam(n, patient={"sex": "F", "age_years": 60.0, "id": f"P{patient:03d}", "birth_date": "1960-01-01"})
    r.exam.date, r.exam.device_serial = dt.date.fromisoformat(day), serial
    r.measurements = [m for m in r.measurements if (m.label == "L1-L4" and spine is not None)
                      or (m.label == "Total" and hip is not None)]
    for m in r.measurements:
        m.bmd = spine if m.label == "L1-L4" else hip
    return r


def fill(db, studies) -> None:
    n = 0
    with Store(db) as store:
        for patient, values, site in studies:
            for value in values:
                n += 1
                store.add(scan(n, patient, "2026-02-02", value if site == "spine" else None,
                               value if site == "hip" else None))


def test_rms_sd_by_hand():
    assert rms_sd([list(p) for p in PAIRS]) == pytest.approx(math.sqrt(0.0025 / 30))
    assert rms_sd([list(t) for t in TRIPLES]) == pytest.approx(0.010)
    p = precision_of(Site.LUMBAR_SPINE, [list(v) for v in PAIRS])
    assert (p.patients, p.scans, p.rms_sd, p.lsc) == (30, 60, RMS_SD, LSC)


@pytest.mark.parametrize("series", [
    [[0.8, 0.81]] * 29,                         # 29 × 2
    [[0.8, 0.81, 0.82]] * 14,                   # 14 × 3
    [[0.8, 0.81, 0.82]] * 14 + [[0.8, 0.81]] * 15,   # neither design reached
])
def test_fewer_than_15_by_3_or_30_by_2_is_refused(series):
    with pytest.raises(TooFew, match="15 patients scanned 3 times or 30 scanned twice"):
        precision_of(Site.LUMBAR_SPINE, series)


def test_the_command_reproduces_the_worked_example(tmp_path, capsys):
    db = tmp_path / "results.sqlite"
    fill(db, [(i, pair, "spine") for i, pair in enumerate(PAIRS)]
         + [(100 + i, triple, "hip") for i, triple in enumerate(TRIPLES)])
    with Store(db) as store:   # noise the study must not take: another device, another day, a lone scan
        store.add(scan(900, 1, "2026-02-02", 0.5, None, serial="OTHER"))
        store.add(scan(901, 1, "2026-03-02", 0.5, None))
        store.add(scan(902, 500, "2026-02-02", 0.5, 0.5))
    out = tmp_path / "precision.toml"
    out.write_text('[precision."OLD-7"]\nlumbar_spine = 0.012\n', encoding="utf-8")   # another scanner's
    assert main(["precision", "--store", str(db), "--device", SERIAL, "--write", str(out)]) == 0
    table = capsys.readouterr().out
    assert "lumbar_spine" in table and "0.00913" in table and "0.0253" in table
    assert "total_hip" in table and "0.01000" in table and "0.0277" in table

    config = tmp_path / "site.toml"
    config.write_text('precision_file = "precision.toml"\n', encoding="utf-8")
    settings = load_settings(config)
    assert settings.precision == {SERIAL: {Site.LUMBAR_SPINE: RMS_SD, Site.TOTAL_HIP: 0.01},
                                  "OLD-7": {Site.LUMBAR_SPINE: 0.012}}
    assert settings.lsc(SERIAL, Site.LUMBAR_SPINE) == LSC
    # one scan on the other device: no study at all
    assert main(["precision", "--store", str(db), "--device", "OTHER"]) == 2


def test_the_command_refuses_a_small_study(tmp_path, capsys):
    db = tmp_path / "results.sqlite"
    fill(db, [(i, pair, "spine") for i, pair in enumerate(PAIRS[:29])])
    out = tmp_path / "precision.toml"
    assert main(["precision", "--store", str(db), "--device", SERIAL, "--write", str(out)]) == 1
    assert "30 scanned twice" in capsys.readouterr().err
    assert not out.exists()
