"""The values an exam reports, each with its LOINC code or a local one.

HL7 OBX segments and FHIR Observations are built from this one list so both formats code the same value
the same way. The site × side × quantity → LOINC table is data (`data/loinc.toml`), not code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files

from ..models import ExamResult, Measurement

_TABLE: dict = tomllib.loads(files(__package__).joinpath("data/loinc.toml").read_text(encoding="utf-8"))

REPORT_CODE: str = _TABLE["report"]["code"]
"""LOINC of the whole DXA study report (FHIR DiagnosticReport.code, HL7 OBR-4)."""

QUANTITIES: dict[str, tuple[str, str]] = {
    "bmd": ("BMD", "g/cm2"),
    "bmc": ("BMC", "g"),
    "area": ("Area", "cm2"),
    "t_score": ("T-score", "{T-score}"),
    "z_score": ("Z-score", "{Z-score}"),
}
"""Measurement fields exported, with their display name and UCUM unit."""


@dataclass(frozen=True)
class Value:
    code: str        # LOINC, or local `site[.side][.L1L2…].quantity` / `tbs` / `frax.major` / `frax.hip`
    loinc: bool
    text: str        # what a person reads: "L1-L4 BMD", "Neck (left) T-score"
    value: float
    unit: str        # UCUM
    group: int       # 1-based measurement number shared by its values (HL7 OBX-4); 0 for exam-level values
    measurement: Measurement | None = None


def loinc(site: str, side: str | None, quantity: str) -> str | None:
    entry = _TABLE.get(site, {})
    return entry.get(side or "", {}).get(quantity) or entry.get(quantity)


def values(result: ExamResult) -> list[Value]:
    """Every number of the exam. A LOINC code is given once per (code, side): a spine report lists L1,
    L2, …, L1-L4 and only the widest non-excluded range is the lumbar spine result receivers chart."""
    ms = result.measurements
    coded: dict[tuple[int, str], str] = {}
    taken: set[tuple[str, str | None]] = set()
    for i in sorted(range(len(ms)), key=lambda i: (ms[i].excluded, -len(ms[i].vertebrae), i)):
        for q in QUANTITIES:
            code = loinc(ms[i].site, ms[i].side, q) if getattr(ms[i], q) is not None else None
            if code and (code, ms[i].side) not in taken:
                taken.add((code, ms[i].side))
                coded[i, q] = code
    out = []
    for i, m in enumerate(ms):
        for q, (name, unit) in QUANTITIES.items():
            if (v := getattr(m, q)) is not None:
                code = coded.get((i, q))
                out.append(Value(code or _local(m, q), code is not None, f"{_describe(m)} {name}", v, unit,
                                 i + 1, m))
    if result.tbs:
        out.append(Value("tbs", False, "Trabecular bone score", result.tbs.value, "1", 0))
    if result.frax:
        for part, what in (("major", "major osteoporotic"), ("hip", "hip")):
            if (v := getattr(result.frax, part)) is not None:
                text = f"FRAX 10-year {what} fracture probability"
                out.append(Value(f"frax.{part}", False, text, v, "%", 0))
    return out


def _local(m: Measurement, quantity: str) -> str:
    return ".".join(filter(None, [m.site.value, m.side, "".join(m.vertebrae), quantity]))


def _describe(m: Measurement) -> str:
    where = m.label or m.site.value.replace("_", " ")
    return f"{where} ({m.side})" if m.side else where
