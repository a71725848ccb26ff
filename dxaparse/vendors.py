"""Per-vendor knowledge, loaded from the TOML files in `vendors/`.

Vendor differences live in data so that readers stay generic: which manufacturer strings identify a
vendor, how printed labels map to the contract's sites, which words mark a side. `generic.toml` holds
what all vendors share; a vendor file adds to it and overrides it.
"""

from __future__ import annotations

import functools
import os
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import regex

from .models import Scan, Side, Site, Vendor

GENERIC = "unknown"


def vendors_dir() -> Path:
    """`vendors/` of the source tree, or its copy inside an installed wheel (`dxaparse/_vendors`)."""
    if env := os.environ.get("DXAPARSE_VENDORS"):
        return Path(env)
    here = Path(__file__).resolve().parent
    packaged = here / "_vendors"
    return packaged if packaged.is_dir() else here.parent / "vendors"


@functools.cache
def load_all() -> dict[str, dict]:
    """Every vendor file's data keyed by vendor key; `unknown` is generic.toml."""
    out = {}
    for path in sorted(vendors_dir().glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        out[data["vendor"]["key"]] = data
    if GENERIC not in out:
        raise RuntimeError(f"generic.toml missing from {vendors_dir()}")
    return out


def vendor_data(vendor: str) -> dict:
    return load_all().get(vendor, load_all()[GENERIC])


def identify(*texts: str | None) -> Vendor:
    """The vendor whose `identify.manufacturer` strings occur in any of `texts` (DICOM header values)."""
    hay = " ".join(t for t in texts if t).lower()
    for key, data in load_all().items():
        if key != GENERIC and any(m in hay for m in data.get("identify", {}).get("manufacturer", [])):
            return key  # type: ignore[return-value]
    return "unknown"


def identify_pdf(text: str) -> Vendor:
    """The vendor with most `identify.pdf_markers` in a report's text."""
    hay = text.lower()
    best, score = "unknown", 0
    for key, data in load_all().items():
        n = sum(1 for m in data.get("identify", {}).get("pdf_markers", []) if m in hay)
        if key != GENERIC and n > score:
            best, score = key, n
    return best  # type: ignore[return-value]


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"), "-")


def normalize_label(label: str) -> str:
    """Lower case, NFKC, unicode dashes as '-', curly apostrophes as "'", single spaces."""
    s = unicodedata.normalize("NFKC", label).translate(_DASHES).replace("\u2019", "'").lower()
    return " ".join(s.replace("*", " ").split())


# L1-L4, L1,L3-L4, L2 - L4, L1-L2,L4, L3: a list of vertebrae and vertebra ranges.
_SPINE = regex.compile(r"^(?:(?:ap|pa|lumbar)\s+)?(?:spine\s+)?(?P<spec>l[1-5](?:\s*[-,]\s*l?[1-5])*)$")


def spine_vertebrae(label: str) -> list[str] | None:
    """Vertebrae named by a spine label (`L1,L3-L4` → L1, L3, L4), or None if it is not one."""
    m = _SPINE.match(normalize_label(label))
    if not m:
        return None
    out: list[int] = []
    for part in regex.split(r"\s*,\s*", m["spec"]):
        ends = [int(x) for x in regex.findall(r"[1-5]", part)]
        if len(ends) == 2:
            if ends[1] < ends[0]:
                return None
            out.extend(range(ends[0], ends[1] + 1))
        else:
            out.extend(ends)
    if len(set(out)) != len(out) or any(v > 4 for v in out):
        return None
    return [f"L{v}" for v in sorted(out)]


@dataclass(frozen=True)
class LabelMatch:
    site: Site
    side: Side | None
    vertebrae: tuple[str, ...] = ()


def _sides(vendor: str) -> dict[str, list[str]]:
    return {**load_all()[GENERIC]["sides"], **vendor_data(vendor).get("sides", {})}


def side_words() -> frozenset[str]:
    """Every one-word name of a side, of any vendor (`left`, `lt`, `r`, `mean` …)."""
    return frozenset(n for data in load_all().values() for names in data.get("sides", {}).values()
                     for n in names if " " not in n)


def split_side(vendor: str, label: str) -> tuple[Side | None, str]:
    """The side a label names by a leading or trailing word (`Left Femur` → left, `femur`), normalised."""
    return _side_split(vendor, normalize_label(label))


def side_named(vendor: str, text: str) -> Side | None:
    """The side a laterality value names on its own (`Left`, `R`, `Right and left` → mean), else None."""
    text = normalize_label(text)
    return next((side for side, names in _sides(vendor).items() if text in names), None)  # type: ignore[return-value]


def _side_split(vendor: str, text: str) -> tuple[Side | None, str]:
    words = text.split()
    for side, names in _sides(vendor).items():
        for name in sorted(names, key=lambda n: -len(n)):
            n = name.split()
            if len(words) > len(n) and words[: len(n)] == n:
                return side, " ".join(words[len(n):])  # type: ignore[return-value]
            if len(words) > len(n) and words[-len(n):] == n:
                return side, " ".join(words[: -len(n)])  # type: ignore[return-value]
    return None, text


def resolve_label(vendor: str, label: str, context: Scan | None = None,
                  side: Side | None = None) -> LabelMatch | None:
    """Map a printed region label to the contract's site, side and vertebrae; None when unknown.

    `context` is the scan the label was printed under (a bare "Total" is the total hip on a hip page and
    the forearm total on a forearm page). A side named in the label (`Left Neck`, `Neck Right`) wins over
    the `side` passed in.
    """
    text = normalize_label(label).rstrip(":")
    if (vert := spine_vertebrae(text)) is not None:
        return LabelMatch(Site.LUMBAR_SPINE, None, tuple(vert))
    named_side, rest = _side_split(vendor, text)
    for candidate, cand_side in ((text, side), (rest, named_side or side)):
        site = _lookup(vendor, candidate, context)
        if site is not None:
            return LabelMatch(site, cand_side)
    return None


def not_a_result(vendor: str, label: str, context: Scan | None = None) -> bool:
    """Whether a printed region is known to be no result to code: a whole-body subregion (`L Arm`,
    `Head`), a repeated total in other units (`Total sBMD` on a Norland spine page). Such rows are
    passed over without a flag; an unknown label is flagged instead."""
    text = normalize_label(label).rstrip(":")
    tables = [vendor_data(vendor).get("not_results", {}), load_all()[GENERIC].get("not_results", {})]
    if vendor == GENERIC:
        tables = [data.get("not_results", {}) for data in load_all().values()]
    keys = ([context.value] if context is not None else []) + ["any"]
    return any(text in table.get(key, []) for table in tables for key in keys)


def _lookup(vendor: str, text: str, context: Scan | None) -> Site | None:
    generic, own = load_all()[GENERIC].get("labels", {}), vendor_data(vendor).get("labels", {})
    tables = []
    if context is not None:
        tables += [own.get(context.value, {}), generic.get(context.value, {})]
    tables += [own.get("any", {}), generic.get("any", {})]
    for table in tables:
        if text in table:
            return Site(table[text])
    if vendor == GENERIC:
        return _any_vendor(text, context)
    return None


def _any_vendor(text: str, context: Scan | None) -> Site | None:
    """For a report whose vendor is not identified (a page without its maker's name): the site every
    vendor that prints `text` agrees on, if any (Norland's "Prox. R" is known though no page says Norland)."""
    keys = ([context.value] if context is not None else []) + ["any"]
    sites = {data["labels"][key][text] for v, data in load_all().items() if v != GENERIC
             for key in keys if text in data.get("labels", {}).get(key, {})}
    return Site(sites.pop()) if len(sites) == 1 else None
