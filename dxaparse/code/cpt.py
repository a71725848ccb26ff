"""CPT lines for one DXA encounter: which codes, their modifiers and units, in billing order.

The selection follows coding.md §1: axial + VFA the same day is one 77085, never 77080 + 77086;
axial + peripheral are both billed with the payer's distinct-service modifier; total body is not a
bone density study. Codes are chosen by role from the code table in force on the exam's date, which
refuses the codes deleted by then, so a deleted code can never come out.
"""

from __future__ import annotations

from ..models import CptLine, Exam, Findings, Flag, FlagCode
from .flags import flag
from .scans import Scans
from .settings import CodingSettings
from .tables import CptCode, CptTable

_STUDY_ROLES = {"axial", "axial_with_vfa", "vfa_alone", "peripheral"}   # acquisitions: 52/53 apply


def cpt_lines(table: CptTable, findings: Findings, scans: Scans,
              settings: CodingSettings) -> tuple[list[CptLine], list[Flag]]:
    kinds = scans.kinds()
    chosen: list[tuple[CptCode, str]] = []
    if "axial" in kinds and "vfa" in kinds:
        chosen.append((table.for_role("axial_with_vfa"),
                       f"axial DXA study ({scans.of_kind('axial')}) and VFA the same day: one line for "
                       "both, never 77080 or 77086 with it"))
    elif "axial" in kinds:
        chosen.append((table.for_role("axial"), f"axial DXA study ({scans.of_kind('axial')})"))
    elif "vfa" in kinds:
        chosen.append((table.for_role("vfa_alone"), "VFA without a bone density study the same day"))
    if "peripheral" in kinds:
        chosen.append((table.for_role("peripheral"), f"peripheral DXA study ({scans.of_kind('peripheral')})"))
    if chosen and "none" in kinds:
        entry, why = chosen[0]
        chosen[0] = (entry, f"{why}; the {scans.of_kind('none')} scan is not a bone density study and is "
                            "not billed here (rule of ours)")
    if findings.tbs is not None:
        chosen += _tbs(table, settings, findings.tbs.value)

    billed = {entry.code for entry, _ in chosen}
    lines = [_line(table, entry, why, billed, findings.exam, settings) for entry, why in chosen]
    return lines, _flags(scans, kinds)


def _tbs(table: CptTable, settings: CodingSettings, value: float) -> list[tuple[CptCode, str]]:
    if not settings.tbs_split:
        return [(table.for_role("tbs_global"), f"TBS {value:g} reported: calculation and interpretation "
                                               "(global); the 77090-77092 split is not configured")]
    return [(table.require_active(code), f"TBS {value:g} reported; TBS split configured (tbs_split_codes): "
                                         f"{table.codes[code].label}; never with 77089")
            for code in settings.tbs_split_codes]


def _line(table: CptTable, entry: CptCode, why: str, billed: set[str], exam: Exam,
          settings: CodingSettings) -> CptLine:
    mods: list[tuple[str, str]] = []
    if entry.components and (m := table.component_modifier[settings.billing_mode]):
        mods.append((m, f"{settings.billing_mode} component only (billing_mode setting)"))
    if entry.role in _STUDY_ROLES and (m := table.completion_modifier[exam.completion]):
        mods.append((m, f"the exam is recorded as {exam.completion}"))
    for pair, on in table.distinct_pairs:
        if pair <= billed and entry.code == on:
            other = next(iter(pair - {on}))
            m = table.distinct_modifier[settings.payer]
            mods.append((m, f"distinct service: {other} billed the same day ({settings.payer} payer profile; "
                            "CMS transmittal 10193)"))
    if settings.abn != "none":
        mods.append((settings.abn, "ABN status supplied by the site settings"))
    unit = f"{entry.units_per_day} unit per date of service" + (
        " however many sites" if entry.role in _STUDY_ROLES else "")
    reason = "; ".join([f"{entry.label}: {why}", unit, *(f"{m}: {r}" for m, r in mods)])
    return CptLine(code=table.require_active(entry.code).code, modifiers=[m for m, _ in mods],
                   units=entry.units_per_day, reason=reason)


def _flags(scans: Scans, kinds: set[str]) -> list[Flag]:
    out = []
    if not kinds & {"axial", "peripheral", "vfa"}:
        seen = ", ".join(sorted(s.value for s in scans.performed)) or "none"
        out.append(flag(FlagCode.NO_BILLABLE_STUDY, f"no billable DXA study found (scans: {seen})"))
    if scans.unknown:
        out.append(flag(FlagCode.UNKNOWN_SCAN_OR_SITE, f"not recognised: {'; '.join(scans.unknown)}"))
    return out
