"""The coding rules' data — code tables, thresholds, sites and text patterns — read once from `data/`.

Codes change every year; keeping them in data files means a new year is an edit of a table plus a
test, never a change of logic. Each table is checked when it is loaded (every code the logic can ask
for exists and is active, every pattern compiles), so a bad edit fails at once, not on some exam.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from importlib.resources import files

import regex

from ..about import CPT_TABLE, ICD10_TABLE
from ..models import Category, Scan, Site


def _load(name: str) -> dict:
    with files(__package__).joinpath("data", name).open("rb") as fh:
        return tomllib.load(fh)


def _compile(patterns: list[str]) -> tuple[regex.Pattern, ...]:
    return tuple(regex.compile(p, regex.IGNORECASE) for p in patterns)


# --- procedure codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CptCode:
    code: str
    label: str
    status: str                      # active | deleted | not_dxa
    role: str | None = None
    components: bool = False         # 26/TC may split it
    units_per_day: int = 1
    deleted: dt.date | None = None
    replaced_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class CptTable:
    codes: dict[str, CptCode]
    distinct_pairs: tuple[tuple[frozenset[str], str], ...]   # (codes billed together, code with the modifier)
    distinct_modifier: dict[str, str]                         # payer → XU / 59
    component_modifier: dict[str, str]                        # billing mode → "" / 26 / TC
    completion_modifier: dict[str, str]                       # Exam.completion → "" / 52 / 53

    def require_active(self, code: str) -> CptCode:
        """The table entry of an active code; refuses deleted, non-DXA and unknown codes."""
        entry = self.codes.get(code)
        if entry is None:
            raise ValueError(f"CPT {code} is not in the code table")
        if entry.status == "deleted":
            when = f" on {entry.deleted.isoformat()}" if entry.deleted else ""
            by = f" (replaced by {', '.join(entry.replaced_by)})" if entry.replaced_by else ""
            raise ValueError(f"CPT {code} was deleted{when}{by}: never output")
        if entry.status != "active":
            raise ValueError(f"CPT {code} is not a DXA code: never output by this coder")
        return entry

    def for_role(self, role: str) -> CptCode:
        """The one active code that answers `role` (e.g. `axial_with_vfa` → 77085)."""
        found = [c for c in self.codes.values() if c.status == "active" and c.role == role]
        if len(found) != 1:
            raise ValueError(f"code table: {len(found)} active codes for role {role!r}, want 1")
        return found[0]

    def with_role(self, role: str) -> list[CptCode]:
        return [c for c in self.codes.values() if c.status == "active" and c.role == role]


@functools.cache
def cpt() -> CptTable:
    data = _load(CPT_TABLE)
    codes = {code: CptCode(code=code, label=e["label"], status=e["status"], role=e.get("role"),
                           components=e.get("components", False), units_per_day=e.get("units_per_day", 1),
                           deleted=e.get("deleted"), replaced_by=tuple(e.get("replaced_by", ())))
             for code, e in data["codes"].items()}
    table = CptTable(
        codes=codes,
        distinct_pairs=tuple((frozenset(p["codes"]), p["on"]) for p in data["distinct_pairs"]),
        distinct_modifier=data["distinct_modifier"],
        component_modifier=data["component_modifier"],
        completion_modifier=data["completion_modifier"],
    )
    for role in ("axial", "peripheral", "axial_with_vfa", "vfa_alone", "tbs_global"):
        table.for_role(role)
    for pair, on in table.distinct_pairs:
        for code in pair | {on}:
            table.require_active(code)
    return table


# --- diagnosis codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IcdTable:
    codes: dict[str, str]                        # code → our short label
    finding: dict[str, str]                      # what it stands for → code
    low_density: dict[str, dict[str, str]]       # region → side (left/right/unknown/any) → code
    never: frozenset[str]


@functools.cache
def icd10() -> IcdTable:
    data = _load(ICD10_TABLE)
    table = IcdTable(codes={c: e["label"] for c, e in data["codes"].items()},
                     finding=data["finding"], low_density=data["low_density"],
                     never=frozenset(data["table"]["never"]))
    used = [*table.finding.values(), *(c for sides in table.low_density.values() for c in sides.values())]
    for code in used:
        if code not in table.codes or code in table.never:
            raise ValueError(f"icd10 table: {code} is used but not listed, or listed as never")
    return table


# --- diagnostic category ------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteInfo:
    name: str
    scan: Scan | None
    region: str | None                            # set for the sites that may decide the category


@dataclass(frozen=True)
class DiagnosisRules:
    normal_from: float
    osteoporosis_at: float
    below_expected_at: float
    child_below: float
    men_t_score_from: float
    women_assumed_post_from: float
    women_assumed_pre_below: float
    max_adjacent_difference: float
    min_vertebrae: int
    score_range: tuple[float, float]
    bmd_range: tuple[float, float]
    sites: dict[Site, SiteInfo]
    scan_kind: dict[Scan, str]                    # axial / peripheral / vfa / none

    @property
    def diagnostic_sites(self) -> list[Site]:
        """Sites that may decide the category, in tie-break order."""
        return [s for s, info in self.sites.items() if info.region]


@functools.cache
def diagnosis() -> DiagnosisRules:
    data = _load("diagnosis.toml")
    sites = {Site(k): SiteInfo(name=v["name"], scan=Scan(v["scan"]) if "scan" in v else None,
                               region=v.get("region"))
             for k, v in data["sites"].items()}
    missing = set(Site) - set(sites)
    if missing:
        raise ValueError(f"diagnosis table: sites without an entry: {sorted(missing)}")
    t, z, ages, vert, ok = (data[k] for k in ("t_score", "z_score", "ages", "vertebrae", "plausible"))
    return DiagnosisRules(
        normal_from=t["normal_from"], osteoporosis_at=t["osteoporosis_at"],
        below_expected_at=z["below_expected_at"], child_below=ages["child_below"],
        men_t_score_from=ages["men_t_score_from"], women_assumed_post_from=ages["women_assumed_post_from"],
        women_assumed_pre_below=ages["women_assumed_pre_below"],
        max_adjacent_difference=vert["max_adjacent_difference"], min_vertebrae=vert["min_count"],
        score_range=tuple(ok["score"]), bmd_range=tuple(ok["bmd"]), sites=sites,
        scan_kind={Scan(k): v for k, v in data["scans"].items()})


# --- text patterns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indication:
    key: str
    code: str
    name: str
    medication: bool
    patterns: tuple[regex.Pattern, ...]


@dataclass(frozen=True)
class IndicationRules:
    entries: tuple[Indication, ...]              # claim order


@functools.cache
def indications() -> IndicationRules:
    data = _load("indications.toml")
    entries = tuple(Indication(key=e["key"], code=e["code"], name=e["name"], medication=e["medication"],
                               patterns=_compile(e["patterns"])) for e in data["indications"])
    for e in entries:
        if e.code not in icd10().codes:
            raise ValueError(f"indications table: {e.key} → {e.code}, which the icd10 table does not list")
    return IndicationRules(entries=entries)


@dataclass(frozen=True)
class ImpressionRules:
    categories: tuple[tuple[Category, tuple[regex.Pattern, ...]], ...]   # most severe first
    other_osteoporosis: tuple[regex.Pattern, ...]


@functools.cache
def impression() -> ImpressionRules:
    data = _load("impression.toml")
    return ImpressionRules(
        categories=tuple((Category(e["category"]), _compile(e["patterns"])) for e in data["categories"]),
        other_osteoporosis=_compile(data["other_osteoporosis"]["patterns"]))
