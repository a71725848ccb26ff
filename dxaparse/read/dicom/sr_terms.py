"""The SR vocabulary of one vendor: what a concept, a unit or an answer means, from `vendors/*.toml`.

SR templates of DXA vendors are unpublished, so the reader recognises concepts by code and by name.
All of that knowledge is data (`[sr]` of generic.toml plus the vendor's file); this module only loads
it into lookup tables. A name listed for two different terms is a data error, raised at load time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ... import vendors
from ...models import Side

MEASUREMENT_KINDS = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")
"""Quantities that are fields of a `Measurement` (the term names are the field names)."""
QUANTITIES = (*MEASUREMENT_KINDS, "tbs", "frax_major", "frax_hip", "vfa_grade")
ROLES = ("finding_site", "laterality", "impression", "indications", "reference", "menopausal_status",
         "excluded", "acute")


@dataclass(frozen=True)
class CodeEntry:
    term: str
    site: str | None = None
    side: Side | None = None


@dataclass(frozen=True)
class SrTerms:
    names: dict[str, str]                 # normalised concept name → term
    codes: dict[tuple[str, str], CodeEntry]  # (scheme, code value) → entry
    units: dict[str, frozenset[str]]      # unit (lower case) → quantities it may carry
    naming_units: dict[str, str]          # unit → the one quantity it names on its own
    answers: dict[str, str]               # normalised answer → yes / no / post / pre / peri
    genant: dict[str, int]                # normalised grade word → Genant grade
    ignore_containers: frozenset[str]

    def term_of_name(self, name: str) -> str | None:
        return self.names.get(vendors.normalize_label(name))

    def answer(self, text: str | None) -> str | None:
        return self.answers.get(vendors.normalize_label(text)) if text else None


def _sources(vendor: str) -> list[dict]:
    """The `[sr]` sections of generic.toml and of the vendor's file (generic first)."""
    files = [vendors.load_all()[vendors.GENERIC]]
    if vendor != vendors.GENERIC:
        files.append(vendors.vendor_data(vendor))
    return [f.get("sr", {}) for f in files]


def _merged(vendor: str, key: str) -> list[dict]:
    return [sr.get(key, {}) for sr in _sources(vendor)]


def _inverted(vendor: str, key: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in _merged(vendor, key):
        for value, names in table.items():
            for name in names:
                norm = vendors.normalize_label(name)
                if out.setdefault(norm, value) != value:
                    raise RuntimeError(f"vendors/{vendor}: sr.{key} gives {name!r} two meanings")
    return out


@functools.cache
def sr_terms(vendor: str) -> SrTerms:
    """The SR vocabulary for `vendor` (a vendor key; `unknown` gives the generic one)."""
    sr = _sources(vendor)
    codes = {(scheme, code): CodeEntry(**entry)
             for table in _merged(vendor, "codes") for scheme, entries in table.items()
             for code, entry in entries.items()}
    units: dict[str, frozenset[str]] = {}
    for table in _merged(vendor, "units"):
        for unit, kinds in table.items():
            units[unit.lower()] = units.get(unit.lower(), frozenset()) | frozenset(kinds)
    naming = {u.lower() for s in sr for u in s.get("naming_units", [])}
    for unit in naming:
        if len(units.get(unit, ())) != 1:
            raise RuntimeError(f"sr.naming_units: {unit!r} must carry exactly one quantity in sr.units")
    names = _inverted(vendor, "terms")
    for term in {*names.values(), *(c.term for c in codes.values())} - {*QUANTITIES, *ROLES}:
        raise RuntimeError(f"vendors/{vendor}: unknown SR term {term!r}")
    return SrTerms(
        names=names,
        codes=codes,
        units=units,
        naming_units={u: next(iter(units[u])) for u in naming},
        answers=_inverted(vendor, "answers"),
        genant={k: int(v) for k, v in _inverted(vendor, "genant").items()},
        ignore_containers=frozenset(vendors.normalize_label(name)
                                    for s in sr for name in s.get("ignore_containers", [])),
    )
