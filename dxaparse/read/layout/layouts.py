"""Printed report layouts, loaded from `vendors/layouts/*.toml` and compiled once.

Layout knowledge is data so that a new scanner version is an edit of a TOML file: which anchor starts
a results table, which header texts name which column, which labels head the patient fields, which
footer lines hold numbers that are not results. `common.toml` holds what all layouts share.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

import regex

from ...models import Scan
from ...vendors import normalize_label, vendors_dir
from .fields import Fields
from .fractures import FractureWords
from .table import TableSpec
from .words import Line

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
        for pattern in self.patterns.get(key, ()):
            if m := pattern.search(text):
                return m["v"].strip()
        return None


@dataclass(frozen=True)
class Layout:
    """One scanner's printed report layout."""

    name: str
    vendor: str
    date_formats: tuple[str, ...]
    fields: Fields
    clean: dict[str, tuple[regex.Pattern, ...]]
    lines: LinePatterns
    scans: tuple[tuple[str, Scan], ...]           # words in a printed scan type → scan
    anchors: tuple[regex.Pattern, ...]            # lines that start a results table
    table: TableSpec
    skip_rows: frozenset[str]
    excluded_marks: tuple[str, ...]
    fractures: FractureWords

    def scan(self, text: str) -> Scan | None:
        hay = f" {normalize_label(text)} "
        return next((scan for words, scan in self.scans if f" {words} " in hay), None)


def load(name: str) -> dict:
    """A layout file's data laid over common.toml's (tables merged, other values replaced)."""
    return _merge(_read(COMMON), _read(name))


@functools.cache
def scanner_layouts() -> tuple[Layout, ...]:
    names = sorted(p.stem for p in _dir().glob("*.toml") if p.stem not in (COMMON, NARRATIVE))
    return tuple(_layout(name, load(name)) for name in names)


def select(lines: list[Line], vendor: str) -> Layout | None:
    """The layout whose table anchor the report prints, the identified vendor's first."""
    ranked = sorted(scanner_layouts(), key=lambda layout: layout.vendor != vendor)
    return next((layout for layout in ranked
                 if any(p.search(line.text) for p in layout.anchors for line in lines)), None)


def _layout(name: str, data: dict) -> Layout:
    table = data["table"]
    return Layout(
        name=name,
        vendor=data["layout"]["vendor"],
        date_formats=tuple(data["layout"]["date_formats"]),
        fields=Fields.of(data["fields"]),
        clean={k: compile_all(v) for k, v in data.get("clean", {}).items()},
        lines=LinePatterns.of(data["lines"]),
        scans=tuple((normalize_label(k), Scan(v)) for k, v in data["scans"].items()),
        anchors=compile_all([t["anchor"] for t in data["tables"]]),
        table=TableSpec(columns={normalize_label(k): v for k, v in data["columns"].items()},
                        stop=compile_all(table["stop"]), ignore=compile_all(table["ignore"])),
        skip_rows=frozenset(normalize_label(s) for s in table["skip_rows"]),
        excluded_marks=tuple(table["excluded_marks"]),
        fractures=FractureWords.of(data["fractures"]),
    )


def _dir() -> Path:
    return vendors_dir() / "layouts"


@functools.cache
def _read(name: str) -> dict:
    with (_dir() / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out
