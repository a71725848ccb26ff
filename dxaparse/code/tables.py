"""The coding rules' data — code tables, thresholds, sites and text patterns — read once from `data/`.

Codes change every year; keeping them in data files means a new year is an edit of a table plus a
test, never a change of logic. Each table is checked when it is loaded (every code the logic can ask
for exists and is active, every pattern compiles), so a bad edit fails at once, not on some exam.

The CPT and ICD-10-CM tables are kept one per year, each with the dates of service it is in force
(`[table]` header), and found by file name (`about.TABLE_FILES`): an exam is coded with the tables in
force on its date, so a back-filled archive is not coded with this year's rules (`in_force`).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import regex

from ..about import DATA, TableHeader, table_headers
from ..models import Category, Scan, Site

TABLE_FOLDERS: tuple[Path, ...] = (DATA,)
"""Where the CPT and ICD-10-CM tables are looked for; a test adds a folder holding a made-up next year."""


def _load(path: Path) -> dict:
    with path.open("rb") as fh:
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
    header: TableHeader
    codes: dict[str, CptCode]
    distinct_pairs: tuple[tuple[frozenset[str], str], ...]   # (codes billed together, code with the modifier)
    distinct_modifier: dict[str, str]                         # payer → XU / 59
    component_modifier: dict[str, str]                        # billing mode → "" / 26 / TC
    completion_modifier: dict[str, str]                       # Exam.completion → "" / 52 / 53

    def require_active(self, code: str) -> CptCode:
        """The table entry of an active code; refuses deleted, non-DXA and unknown codes."""
        entry = self.codes.get(code)
        if entry is None:
            raise ValueError(f"CPT {code} is not in the code table {self.header.edition}")
        if entry.status == "deleted":
            when = f" on {entry.deleted.isoformat()}" if entry.deleted else ""
            by = f" (replaced by {', '.join(entry.replaced_by)})" if entry.replaced_by else ""
            raise ValueError(f"CPT {code} was deleted{when}{by}: never output ({self.header.edition})")
        if entry.status != "active":
            raise ValueError(f"CPT {code} is not a DXA code: never output by this coder")
        return entry

    def for_role(self, role: str) -> CptCode:
        """The one active code that answers `role` (e.g. `axial_with_vfa` → 77085)."""
        found = [c for c in self.codes.values() if c.status == "active" and c.role == role]
        if len(found) != 1:
            raise ValueError(f"{self.header.edition}: {len(found)} active codes for role {role!r}, want 1")
        return found[0]

    def with_role(self, role: str) -> list[CptCode]:
        return [c for c in self.codes.values() if c.status == "active" and c.role == role]


def _cpt(header: TableHeader) -> CptTable:
    data = _load(header.path)
    codes = {code: CptCode(code=code, label=e["label"], status=e["status"], role=e.get("role"),
                           components=e.get("components", False), units_per_day=e.get("units_per_day", 1),
                           deleted=e.get("deleted"), replaced_by=tuple(e.get("replaced_by", ())))
             for code, e in data["codes"].items()}
    table = CptTable(
        header=header,
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
    header: TableHeader
    codes: dict[str, str]                        # code → our short label
    finding: dict[str, str]                      # what it stands for → code
    low_density: dict[str, dict[str, str]]       # region → side (left/right/unknown/any) → code
    never: frozenset[str]


def _icd10(header: TableHeader) -> IcdTable:
    data = _load(header.path)
    table = IcdTable(header=header, codes={c: e["label"] for c, e in data["codes"].items()},
                     finding=data["finding"], low_density=data["low_density"],
                     never=frozenset(data["table"]["never"]))
    used = [*table.finding.values(), *(c for sides in table.low_density.values() for c in sides.values()),
            *(e.code for e in indications().entries)]
    for code in used:
        if code not in table.codes or code in table.never:
            raise ValueError(f"{header.edition}: {code} is used but not listed, or listed as never")
    return table


# --- the tables in force on a date of service ---------------------------------------------------


def _chain(kind: str, folders: tuple[Path, ...]) -> list[TableHeader]:
    """The headers of one kind, refused unless each table begins the day after the one before ends: an
    overlap would make the choice ambiguous, and a gap would leave dates of service with no table."""
    headers = table_headers(kind, folders)
    if not headers:
        raise ValueError(f"no {kind} code table in {', '.join(map(str, folders))}")
    for h in headers:
        if h.until < h.effective:
            raise ValueError(f"{h.path}: in force until {h.until}, before it begins ({h.effective})")
    for before, after in itertools.pairwise(headers):
        if after.effective != before.until + dt.timedelta(days=1):
            raise ValueError(f"{kind} tables {before.edition} ({before.span()}) and {after.edition} "
                             f"({after.span()}) overlap or leave a gap")
    return headers


@functools.cache
def _tables(folders: tuple[Path, ...]) -> tuple[tuple[CptTable, ...], tuple[IcdTable, ...]]:
    return (tuple(_cpt(h) for h in _chain("CPT", folders)),
            tuple(_icd10(h) for h in _chain("ICD-10-CM", folders)))


def cpt_tables() -> tuple[CptTable, ...]:
    """Every CPT table, oldest first."""
    return _tables(TABLE_FOLDERS)[0]


def icd10_tables() -> tuple[IcdTable, ...]:
    """Every ICD-10-CM table, oldest first."""
    return _tables(TABLE_FOLDERS)[1]


_T = TypeVar("_T", CptTable, IcdTable)


@dataclass(frozen=True)
class TableSet:
    """The code tables an exam is coded with, chosen by its date of service (`in_force`).

    `covered` is False when the exam has a date that some kind of table (CPT, ICD-10-CM) does not
    reach: it was coded "for the record" with the nearest tables, and `uncovered` says so in words for
    the billing stage's `no_table_for_date` hold. With no date the newest tables are used and `covered`
    is True: a missing date is a hold of its own, not a missing table.
    """

    day: dt.date | None
    cpt: CptTable
    icd10: IcdTable
    uncovered: tuple[str, ...] = ()     # one sentence per kind of table with none for `day`

    @property
    def covered(self) -> bool:
        return not self.uncovered

    @property
    def editions(self) -> tuple[str, str]:
        """The tables' names for reasons and holds, e.g. ("CPT 2026", "ICD-10-CM FY2026")."""
        return self.cpt.header.edition, self.icd10.header.edition


def in_force(day: dt.date | None) -> TableSet:
    """The CPT and ICD-10-CM tables in force on `day`, the exam's date of service.

    No date: the newest tables. A date before the oldest table: the oldest; after the newest table's
    range: the newest; either way the set is not `covered`."""
    cpt_all, icd_all = _tables(TABLE_FOLDERS)
    cpt, cpt_gap = _pick("CPT", cpt_all, day)
    icd, icd_gap = _pick("ICD-10-CM", icd_all, day)
    return TableSet(day=day, cpt=cpt, icd10=icd, uncovered=tuple(filter(None, (cpt_gap, icd_gap))))


def _pick(kind: str, tables: Sequence[_T], day: dt.date | None) -> tuple[_T, str]:
    if day is None:
        return tables[-1], ""
    for table in tables:
        if table.header.covers(day):
            return table, ""
    oldest, newest = tables[0].header, tables[-1].header
    chosen = tables[0] if day < oldest.effective else tables[-1]
    return chosen, (f"no {kind} table for {day.isoformat()} (the tables cover {oldest.effective.isoformat()} "
                    f"to {newest.until.isoformat()}): coded with {chosen.header.edition} for the record")


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
    tbs_range: tuple[float, float]
    frax_range: tuple[float, float]               # percent, of either probability
    sites: dict[Site, SiteInfo]
    scan_kind: dict[Scan, str]                    # axial / peripheral / vfa / none

    @property
    def diagnostic_sites(self) -> list[Site]:
        """Sites that may decide the category, in tie-break order."""
        return [s for s, info in self.sites.items() if info.region]


@functools.cache
def diagnosis() -> DiagnosisRules:
    data = _load(DATA / "diagnosis.toml")
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
        score_range=tuple(ok["score"]), bmd_range=tuple(ok["bmd"]), tbs_range=tuple(ok["tbs"]),
        frax_range=tuple(ok["frax"]), sites=sites,
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
    data = _load(DATA / "indications.toml")
    entries = tuple(Indication(key=e["key"], code=e["code"], name=e["name"], medication=e["medication"],
                               patterns=_compile(e["patterns"])) for e in data["indications"])
    return IndicationRules(entries=entries)


@dataclass(frozen=True)
class ImpressionRules:
    categories: tuple[tuple[Category, tuple[regex.Pattern, ...]], ...]   # most severe first
    other_osteoporosis: tuple[regex.Pattern, ...]


@functools.cache
def impression() -> ImpressionRules:
    data = _load(DATA / "impression.toml")
    return ImpressionRules(
        categories=tuple((Category(e["category"]), _compile(e["patterns"])) for e in data["categories"]),
        other_osteoporosis=_compile(data["other_osteoporosis"]["patterns"]))
