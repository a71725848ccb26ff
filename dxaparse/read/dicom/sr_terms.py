"""The SR vocabulary of one vendor: what a concept, a unit, a site code or an answer means, from
`vendors/*.toml`.

SR templates of DXA vendors are unpublished, so the reader recognises concepts by code and by name.
All of that knowledge is data (`[sr]` of generic.toml plus the vendor's file); this module only loads
it into lookup tables. A name listed for two different terms, or a unit spelling or plausible range
that names an unknown unit or quantity, is a data error, raised at load time.
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
class Unit:
    """A unit as sent, understood: the unit it is and the factor that converts a value into it."""

    unit: str
    factor: float = 1.0


@dataclass(frozen=True)
class SrTerms:
    names: dict[str, str]                 # normalised concept name → term
    codes: dict[tuple[str, str], CodeEntry]  # (scheme, code value) → entry
    units: dict[str, frozenset[str]]      # unit (lower case) → quantities it may carry
    unit_forms: dict[str, Unit]           # unit or other spelling (lower case) → the unit it is
    naming_units: dict[str, str]          # unit as sent → the one quantity it names on its own
    plausible: dict[str, tuple[float, float]]  # quantity → the range a scanner prints
    sites: dict[tuple[str, str], str]     # (scheme, code value) of a finding site → its label
    sides: dict[tuple[str, str], Side]    # (scheme, code value) of a laterality → side
    answers: dict[str, str]               # normalised answer → yes / no / post / pre / peri
    genant: dict[str, int]                # normalised grade word → Genant grade
    ignore_containers: frozenset[str]
    generic_containers: frozenset[str]

    def term_of_name(self, name: str) -> str | None:
        return self.names.get(vendors.normalize_label(name))

    def unit(self, text: str) -> Unit | None:
        """The unit a spelling stands for; None when it is not known."""
        return self.unit_forms.get(text.lower())

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
    forms = {u: Unit(u) for u in units}
    for table in _merged(vendor, "unit_forms"):
        forms.update({form.lower(): Unit(**spec) for form, spec in table.items()})
    naming = {u.lower(): kind for table in _merged(vendor, "naming_units") for u, kind in table.items()}
    plausible = {kind: (float(low), float(high))
                 for table in _merged(vendor, "plausible") for kind, (low, high) in table.items()}
    _check(vendor, units, forms, naming, plausible)
    names = _inverted(vendor, "terms")
    for term in {*names.values(), *(c.term for c in codes.values())} - {*QUANTITIES, *ROLES}:
        raise RuntimeError(f"vendors/{vendor}: unknown SR term {term!r}")
    return SrTerms(
        names=names,
        codes=codes,
        units=units,
        unit_forms=forms,
        naming_units=naming,
        plausible=plausible,
        sites={(scheme, code): label for table in _merged(vendor, "sites")
               for scheme, entries in table.items() for code, label in entries.items()},
        sides={(scheme, code): side for table in _merged(vendor, "sides")
               for scheme, entries in table.items() for code, side in entries.items()},
        answers=_inverted(vendor, "answers"),
        genant={k: int(v) for k, v in _inverted(vendor, "genant").items()},
        ignore_containers=_names(sr, "ignore_containers"),
        generic_containers=_names(sr, "generic_containers"),
    )


def _names(sources: list[dict], key: str) -> frozenset[str]:
    return frozenset(vendors.normalize_label(name) for s in sources for name in s.get(key, []))


def _check(vendor: str, units: dict[str, frozenset[str]], forms: dict[str, Unit], naming: dict[str, str],
           plausible: dict[str, tuple[float, float]]) -> None:
    """Every spelling names a known unit, every naming unit a quantity its unit carries, every quantity
    a plausible range: a gap here would let a value through unchecked."""
    for form, unit in forms.items():
        if unit.unit not in units:
            raise RuntimeError(f"vendors/{vendor}: sr.unit_forms {form!r} names no unit of sr.units")
    for unit, kind in naming.items():
        if unit not in forms or kind not in units[forms[unit].unit]:
            raise RuntimeError(f"vendors/{vendor}: sr.naming_units {unit!r} must be a unit carrying {kind}")
    if missing := set(QUANTITIES) - set(plausible):
        raise RuntimeError(f"vendors/{vendor}: sr.plausible lacks {sorted(missing)}")
