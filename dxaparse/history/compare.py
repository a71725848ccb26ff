"""This exam against the patient's prior one: per region, the change of BMD and whether it is more than
the facility's least significant change (ISCD Official Positions).

Only BMD is compared, never T-scores (their reference data differ between scanners and software
versions), and only the same region: the same site and side, and for the spine the same vertebrae — if
L2 is excluded now, the prior's L1, L3, L4 too, from the prior's own range or from its vertebrae's BMC
and area. Two scanners are compared only when the site has cross-calibrated them; a change is called
an increase or decrease only when it reaches the LSC of this scanner and site (2.77 × RMS-SD of the
facility's precision study), and is `unknown` without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from ..code.settings import CodingSettings
from ..models import (
    Comparison,
    Findings,
    Measurement,
    PriorSource,
    Significance,
    Site,
    SiteChange,
    TrendPoint,
)
from .prior import History

MONITORED = (Site.LUMBAR_SPINE, Site.TOTAL_HIP, Site.FEMORAL_NECK, Site.RADIUS_33)
"""The regions ISCD monitors BMD at (the spine by two or more vertebrae, never one)."""

PRECISION_ADVICE = ("run a precision study on this scanner (15 patients × 3 scans or 30 × 2, "
                    "`dxaparse precision`) to know the least significant change")


def compare(findings: Findings, history: History, settings: CodingSettings) -> Comparison | None:
    """The comparison with the prior exam: the latest earlier exam of the patient in the store, else the
    latest earlier row of the trend table the scanner printed; None without either."""
    date = findings.exam.date
    regions = [m for m in findings.measurements if _monitored(m)]
    if date is None or not regions:
        return None
    serial = findings.exam.device_serial
    if (prior := history.prior) is not None:
        refusal = _other_device(findings, prior.exam.device, prior.exam.device_serial, settings)
        result = Comparison(source=PriorSource.STORE, prior_date=prior.exam.date,
                            prior_device=prior.exam.device, prior_device_serial=prior.exam.device_serial,
                            prior_sha256=prior.source.sha256, prior_study_uid=prior.exam.study_uid)
        bmd_then = partial(_prior_bmd, prior.measurements)
    else:
        dates = [p.measured for p in findings.history if p.measured < date]
        if not dates:
            return None
        when = max(dates)
        refusal = None   # the scanner printed the table from its own records
        result = Comparison(source=PriorSource.TREND_TABLE, prior_date=when,
                            prior_device=findings.exam.device, prior_device_serial=serial)
        bmd_then = partial(_trend_bmd, [p for p in findings.history if p.measured == when])
    result.sites = [_change(m, bmd_then(m), refusal, settings.lsc(serial, m.site)) for m in regions]
    return result


def _monitored(m: Measurement) -> bool:
    return (m.site in MONITORED and m.bmd is not None and not m.excluded
            and (m.site is not Site.LUMBAR_SPINE or len(m.vertebrae) >= 2))


def _other_device(findings: Findings, device: str | None, serial: str | None,
                  settings: CodingSettings) -> str | None:
    """Why the prior's scanner is not comparable with this one; None when it is."""
    now, now_name = findings.exam.device_serial, findings.exam.device
    if now and serial:
        if now == serial or settings.cross_calibration.get(serial) == now:
            return None
        return (f"the prior exam was measured on another scanner (S/N {serial}; now S/N {now}) and no "
                "cross-calibration of the two is configured (cross_calibration): BMD of two scanners "
                "is not compared")
    if now_name and device and now_name != device:
        return (f"the prior exam was measured on another device ({device}; now {now_name}) and the serial "
                "numbers that would show a cross-calibration are not known")
    return None


def _prior_bmd(then: list[Measurement], m: Measurement) -> tuple[float | None, str]:
    """The prior's BMD of `m`'s region, and where it came from."""
    for p in then:
        if _same_region(p, m) and p.bmd is not None:
            return p.bmd, f"prior {p.label or p.site.value}"
    if m.site is Site.LUMBAR_SPINE:
        single = {p.vertebrae[0]: p for p in then if p.site is m.site and len(p.vertebrae) == 1}
        parts = [single.get(v) for v in m.vertebrae]
        if all(p is not None and p.bmc and p.area for p in parts):
            bmd = round(sum(p.bmc for p in parts) / sum(p.area for p in parts), 3)
            return bmd, f"prior {_span(m)} from its vertebrae's BMC and area"
    return None, f"the prior exam gives no BMD of the same region ({_region(m)})"


def _trend_bmd(rows: Iterable[TrendPoint], m: Measurement) -> tuple[float | None, str]:
    for p in rows:
        if _same_region(p, m) and p.bmd is not None:
            return p.bmd, f"prior {p.label or p.site.value} of the printed trend table"
    return None, f"the printed trend table gives no BMD of the same region ({_region(m)})"


def _change(m: Measurement, prior: tuple[float | None, str], refusal: str | None,
            lsc: float | None) -> SiteChange:
    bmd, where = prior
    change = SiteChange(site=m.site, side=m.side, label=m.label, vertebrae=m.vertebrae, prior_bmd=bmd,
                        current_bmd=m.bmd, lsc_g_cm2=lsc, significance=Significance.NOT_COMPARABLE,
                        reason=where)
    if bmd is None:
        return change
    delta = round(m.bmd - bmd, 4)
    change.change_g_cm2 = delta
    change.change_percent = round(100 * delta / bmd, 1) if bmd else None
    moved = f"BMD {m.bmd:.3f} against {bmd:.3f} g/cm² ({where}): {delta:+.3f} g/cm²"
    if refusal:
        change.reason = f"{moved}; {refusal}"
    elif lsc is None:
        change.significance = Significance.UNKNOWN
        change.reason = f"{moved}; no least significant change is configured for this scanner and site: " \
                        f"{PRECISION_ADVICE}"
    elif abs(delta) >= lsc:
        change.significance = Significance.INCREASE if delta > 0 else Significance.DECREASE
        change.reason = f"{moved}, at least the LSC of {lsc:.4f} g/cm²"
    else:
        change.significance = Significance.STABLE
        change.reason = f"{moved}, less than the LSC of {lsc:.4f} g/cm²"
    return change


def _same_region(p: Measurement | TrendPoint, m: Measurement) -> bool:
    return p.site is m.site and p.side == m.side and set(p.vertebrae) == set(m.vertebrae)


def _span(m: Measurement) -> str:
    return ",".join(m.vertebrae)


def _region(m: Measurement) -> str:
    side = f" {m.side}" if m.side else ""
    return f"{m.site.value}{side} {_span(m)}".strip()
