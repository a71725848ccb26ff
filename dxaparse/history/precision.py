"""The facility's precision study, from repeated same-day scans of patients in the store (ISCD).

Each patient of the study is scanned two or three times on one day, repositioned between scans. Per
patient and site, the standard deviation of the BMDs (n − 1 degrees of freedom); over the patients, the
root mean square of those SDs: RMS-SD = √(mean of the per-patient variances), the precision error in
g/cm². The least significant change at 95 % confidence is 2.77 × RMS-SD. ISCD asks for at least 15
patients scanned 3 times or 30 patients scanned twice (30 degrees of freedom): fewer is refused.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..code.settings import lsc_of
from ..models import ExamResult, Measurement, Site, Vertebra
from .compare import MONITORED
from .identity import PatientKey

DESIGNS = ((15, 3), (30, 2))
"""The smallest studies ISCD accepts: (patients, scans of each)."""

SIDES = ("left", "right", "mean", None)
"""The side a patient's site is taken on when several were scanned: one series per patient and site."""


class TooFew(ValueError):
    """A study smaller than 15 patients × 3 scans and 30 × 2."""


@dataclass(frozen=True)
class SitePrecision:
    site: Site
    patients: int
    scans: int
    rms_sd: float          # g/cm², to 5 decimals
    lsc: float             # g/cm², 2.77 × rms_sd, to 4 decimals


def rms_sd(series: Iterable[list[float]]) -> float:
    """√(mean over patients of the variance of each patient's BMDs, with n − 1 degrees of freedom)."""
    variances = [statistics.variance(values) for values in series]
    return math.sqrt(sum(variances) / len(variances))


def enough(series: list[list[float]]) -> bool:
    """Does the study reach 15 patients × 3 scans or 30 × 2?"""
    return any(sum(len(s) >= scans for s in series) >= patients for patients, scans in DESIGNS)


def precision_of(site: Site, series: list[list[float]]) -> SitePrecision:
    """The precision of one site; raises `TooFew` under the ISCD minimum."""
    if not enough(series):
        raise TooFew(f"{site.value}: {len(series)} patients with repeated scans "
                     f"({sum(len(s) >= 3 for s in series)} with 3 or more); a precision study needs 15 "
                     "patients scanned 3 times or 30 scanned twice")
    sd = round(rms_sd(series), 5)
    return SitePrecision(site, len(series), sum(map(len, series)), sd, lsc_of(sd))


def repeated_scans(results: Iterable[ExamResult], serial: str) -> dict[Site, list[list[float]]]:
    """Per site, each patient's BMDs of one day's repeated scans on the device `serial`: exams of one
    patient (ID, issuer, birth date, sex) and one date, two or more of them."""
    days: dict[tuple, list[ExamResult]] = defaultdict(list)
    for r in results:
        key = PatientKey.of(r.patient)
        if r.exam.device_serial == serial and key is not None and r.exam.date is not None:
            days[(key, r.exam.date)].append(r)
    out: dict[Site, list[list[float]]] = defaultdict(list)
    for scans in days.values():
        if len(scans) < 2:
            continue
        for site in MONITORED:
            for side in SIDES:
                values = [bmd for r in scans if (bmd := _bmd(r.measurements, site, side)) is not None]
                if len(values) >= 2:
                    out[site].append(values)
                    break
    return dict(out)


FULL_SPINE = {Vertebra.L1, Vertebra.L2, Vertebra.L3, Vertebra.L4}


def _bmd(measurements: list[Measurement], site: Site, side: str | None) -> float | None:
    """The BMD of the site's region as a precision study measures it (the spine: L1-L4)."""
    for m in measurements:
        if m.site is site and m.side == side and m.bmd is not None and (
                site is not Site.LUMBAR_SPINE or set(m.vertebrae) == FULL_SPINE):
            return m.bmd
    return None


def settings_text(serial: str, sites: list[SitePrecision], existing: dict[str, dict] | None = None) -> str:
    """A precision file (`precision_file` of the site settings): `[precision."SERIAL"]` tables, this
    device's replaced by `sites`, other devices' kept from `existing`."""
    tables = dict(existing or {})
    tables[serial] = {p.site.value: p.rms_sd for p in sites}
    lines = ["# RMS-SD (g/cm²) per device serial and site, from `dxaparse precision` (docs/history.md).",
             "# LSC = 2.77 × RMS-SD."]
    for name in sorted(tables):
        lines += ["", f"[precision.{_quoted(name)}]"]
        lines += [f"{site} = {value!r}" for site, value in tables[name].items()]
    return "\n".join(lines) + "\n"


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
