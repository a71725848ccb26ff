"""Printed report vocabularies, loaded from `vendors/layouts/*.toml` and compiled once.

What a vendor prints is data so that a new scanner version is an edit of a TOML file: which labels head
the patient fields, which titles name a scan, which header texts name a results column, which lines
are boilerplate. No geometry is data: tables are found from their structure (`table`).
`common.toml` holds what all vendors share; a vendor's file adds to it.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

import regex

from ...models import Scan
from ...vendors import normalize_label, side_words, vendors_dir
from .fields import Fields
from .fractures import FractureWords
from .table import ColumnVocab, column_vocab

COMMON, NARRATIVE = "common", "narrative"


def compile_all(patterns: list[str]) -> tuple[regex.Pattern, ...]:
    return tuple(regex.compile(p, regex.IGNORECASE) for p in patterns)


@dataclass(frozen=True)
class LinePatterns:
    """Whole-line patterns by what they find (scan, device, reference, tbs, frax_major …); group v."""

    patterns: dict[str, tuple[regex.Pattern, ...]]

    @classmethod
    def of(cls, data: dict[str, list[str]]) -> LinePatterns:
        return cls({key: compile_all(ps) for key, ps in data.items()})

    def value(self, key: str, text: str) -> str | None:
        """Group v of the first `key` pattern that matches `text`."""
        m = self.match(key, text)
        return m["v"].strip() if m else None

    def match(self, key: str, text: str) -> regex.Match | None:
        """The first `key` pattern's match in `text` (its group v is the value, its span where it is)."""
        for pattern in self.patterns.get(key, ()):
            if m := pattern.search(text):
                return m
        return None


@dataclass(frozen=True)
class Layout:
    """One vendor's printed report vocabulary (`common` for a vendor not identified)."""

    name: str
    vendor: str
    fields: Fields
    clean: dict[str, tuple[regex.Pattern, ...]]
    lines: LinePatterns
    titles: tuple[regex.Pattern, ...]             # page and section titles naming a scan
    scans: tuple[tuple[str, Scan], ...]           # words in a printed scan type → scan
    columns: ColumnVocab
    excluded_marks: tuple[str, ...]
    fractures: FractureWords

    def scan(self, text: str) -> Scan | None:
        hay = f" {normalize_label(text).replace('.', ' ')} "
        return next((scan for words, scan in self.scans if f" {words} " in hay), None)


def load(name: str) -> dict:
    """A layout file's data laid over common.toml's (tables merged, other values replaced)."""
    return _merge(_read(COMMON), _read(name))


@functools.cache
def scanner_layouts() -> tuple[Layout, ...]:
    """Every vendor's vocabulary, and the common one last."""
    names = sorted(p.stem for p in _dir().glob("*.toml") if p.stem not in (COMMON, NARRATIVE))
    return (*(_layout(name, load(name)) for name in names), _layout(COMMON, _common()))


def layout_for(vendor: str) -> Layout:
    """The identified vendor's vocabulary, else the common one."""
    return next((layout for layout in scanner_layouts() if layout.vendor == vendor), scanner_layouts()[-1])


@functools.cache
def plausible() -> dict[str, tuple[float, float]]:
    """Line value (tbs, frax_major, frax_hip) → the range a scanner prints it in (common.toml)."""
    return {key: (float(low), float(high)) for key, (low, high) in _read(COMMON)["plausible"].items()}


def _common() -> dict:
    return _merge(_read(COMMON), {"layout": {"vendor": "unknown"}, "fields": _read(NARRATIVE)["fields"]})


def _layout(name: str, data: dict) -> Layout:
    rows = data["rows"]
    titles = compile_all(data["titles"]["patterns"])
    return Layout(
        name=name,
        vendor=data["layout"]["vendor"],
        fields=Fields.of(data["fields"]),
        clean={k: compile_all(v) for k, v in data.get("clean", {}).items()},
        lines=LinePatterns.of(data["lines"]),
        titles=titles,
        scans=tuple((normalize_label(k), Scan(v)) for k, v in data["scans"].items()),
        # a title, or a trend table's caption ("Densitometry Trend: L1-L4"), ends the table above it
        columns=column_vocab(data["columns"], frozenset(normalize_label(s) for s in rows["skip_words"]),
                             side_words(), titles + compile_all(data["lines"].get("trend", []))),
        excluded_marks=tuple(rows["excluded_marks"]),
        fractures=FractureWords.of(data["fractures"]),
    )


def _dir() -> Path:
    return vendors_dir() / "layouts"


@functools.cache
def _read(name: str) -> dict:
    with (_dir() / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _merge(base: dict, over: dict) -> dict:
    """`over` laid on `base`: tables merged, lists joined (a vendor adds titles), other values replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*value, *(v for v in out[key] if v not in value)]
        else:
            out[key] = value
    return out
