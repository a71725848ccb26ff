"""The comparison with the prior exam as exported values: HL7 OBX rows and the parts of a FHIR
Observation, built from one list so both formats name each value the same way.

LOINC has no codes for a BMD change against a facility's LSC, so every value has a local code,
`comparison.<site>[.<side>][.<vertebrae>].<what>` (HL7 coding system 99DXA, FHIR `urn:dxaparse:observation`),
like the local codes of the measurements (`emit/loinc.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ExamResult, Measurement, SiteChange

PARTS: tuple[tuple[str, str, str], ...] = (
    ("prior_bmd", "BMD at the prior exam", "g/cm2"),
    ("current_bmd", "BMD", "g/cm2"),
    ("change_g_cm2", "BMD change", "g/cm2"),
    ("change_percent", "BMD change", "%"),
    ("lsc_g_cm2", "least significant change", "g/cm2"),
)
"""The numbers of a compared region: field, what a person reads, UCUM unit."""


@dataclass(frozen=True)
class Row:
    code: str                 # local code
    text: str
    kind: str                 # HL7 value type: NM, ST or DT
    value: float | str
    unit: str | None
    group: int                # HL7 OBX-4: the region's number after the measurements'; 0 for the exam's


def region_code(change: SiteChange) -> str:
    """`comparison.lumbar_spine.L1L3L4`, `comparison.total_hip.left`."""
    return ".".join(filter(None, ["comparison", change.site.value, change.side, "".join(change.vertebrae)]))


def region_text(change: SiteChange) -> str:
    where = change.label or change.site.value.replace("_", " ")
    return f"{where} ({change.side})" if change.side else where


def measurement_of(change: SiteChange) -> Measurement:
    """The compared region as a measurement (for its body site)."""
    return Measurement(site=change.site, side=change.side, label=change.label, vertebrae=change.vertebrae)


def rows(result: ExamResult, first_group: int) -> list[Row]:
    """The comparison's values, each region's rows sharing one group number from `first_group` on."""
    c = result.comparison
    if c is None:
        return []
    out = [Row("comparison.prior_date", f"Prior exam date ({c.source.value})", "DT",
               c.prior_date.strftime("%Y%m%d"), None, 0)]
    for n, change in enumerate(c.sites, first_group):
        code, text = region_code(change), region_text(change)
        for name, what, unit in PARTS:
            if (value := getattr(change, name)) is not None:
                suffix = "percent" if unit == "%" else name.removesuffix("_g_cm2")
                out.append(Row(f"{code}.{suffix}", f"{text} {what}", "NM", value, unit, n))
        out.append(Row(f"{code}.significance", f"{text} change against the LSC", "ST",
                       change.significance.value, None, n))
    return out
