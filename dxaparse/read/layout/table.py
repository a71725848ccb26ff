"""Results tables printed without ruling lines, read from word positions alone.

The header's words give each column an x-range; a row's words go to the column they overlap most (or
lie nearest). Nothing here knows a vendor: which header texts name which field, and which lines end a
table, come from the layout data. Two-line headers ("Young-Adult" over "(%)  T-Score") are read as
one text per bottom-line word, the words above it first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import regex

from ...vendors import normalize_label
from .values import ReportError, is_number, number
from .words import Line, Word

_END_GAP = 2.0
"""A vertical gap of this many line heights after a row ends the table."""
_ATTACHED = 0.5
"""A word closer than this many heights to the one before it continues it (a long label, a lone sign)."""
_SIGNS = {"-", "+", "\u2212", "\u2013"}
_MARKERS = {"*", "\u2020", "\u2021"}


@dataclass(frozen=True)
class TableSpec:
    columns: dict[str, str]            # normalised header text → field; "" = printed but not read
    stop: tuple[regex.Pattern, ...]    # a line matching one ends the table
    ignore: tuple[regex.Pattern, ...]  # lines skipped inside the table (footnotes)

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """Words of the header texts: a line of them (and no number) is a header line."""
        return frozenset(w for name in self.columns for w in name.split())


@dataclass(frozen=True)
class Column:
    field: str
    name: str
    x0: float
    x1: float


@dataclass(frozen=True)
class Row:
    label: str
    group: str | None                   # the last label-only line above it ("Neck", "Left")
    values: dict[str, float | None]     # every field the table has a column for


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[Row]
    end: int                            # index of the first line after the table


def read_table(lines: list[Line], start: int, spec: TableSpec, is_group: Callable[[str], bool]) -> Table:
    """The table whose header begins at `lines[start]`; label-only lines for which `is_group` holds
    head the rows below them, any other line that is not a row ends the table."""
    header = _header_lines(lines, start, spec)
    if not header:
        raise ReportError("results table without a column header")
    columns = _columns(header, spec)
    data = [c for c in columns if c.field != "label"]
    if not any(c.field for c in data):
        printed = " ".join(w.text for w in header[-1].words)
        raise ReportError(f"results table header not recognised: {printed!r}")
    rows, end = _rows(lines, start + len(header), header[-1], data, is_group, spec)
    return Table(columns, rows, end)


def _rows(lines: list[Line], begin: int, prev: Line, data: list[Column], is_group: Callable[[str], bool],
          spec: TableSpec) -> tuple[list[Row], int]:
    rows: list[Row] = []
    group = None
    for i in range(begin, len(lines)):
        line = lines[i]
        if (line.page != prev.page or line.top - prev.bottom > _END_GAP * line.height
                or any(p.search(line.text) for p in spec.stop)):
            return rows, i
        if any(p.search(line.text) for p in spec.ignore):
            continue
        label, cells = _split(line, data)
        if not cells:
            if not (label and is_group(label)):
                return rows, i
            group = label
        else:
            values = _values(label, cells, data)
            if values is None or not label:
                return rows, i
            rows.append(Row(label, group, values))
        prev = line
    return rows, len(lines)


def _header_lines(lines: list[Line], start: int, spec: TableSpec) -> list[Line]:
    out: list[Line] = []
    for line in lines[start:]:
        if line.page != lines[start].page or any(is_number(w.text) for w in line.words):
            break
        if not any(normalize_label(w.text) in spec.vocabulary for w in line.words):
            break
        out.append(line)
    return out


def _columns(header: list[Line], spec: TableSpec) -> list[Column]:
    """Columns of the bottom header line, named by the words printed above each word too."""
    bottom = header[-1].words
    above: list[list[str]] = [[] for _ in bottom]
    for word in (w for line in header[:-1] for w in line.words):
        hits = [k for k, b in enumerate(bottom) if _overlap(word, b.x0, b.x1) > 0]
        for k in hits or [min(range(len(bottom)), key=lambda k: abs(bottom[k].center - word.center))]:
            above[k].append(word.text)
    items = [normalize_label(" ".join([*above[k], b.text])) for k, b in enumerate(bottom)]
    columns, k = [], 0
    while k < len(items):
        for j in range(len(items), k, -1):
            name = " ".join(items[k:j])
            if name in spec.columns:
                columns.append(Column(spec.columns[name], name, bottom[k].x0, bottom[j - 1].x1))
                k = j
                break
        else:
            columns.append(Column("", items[k], bottom[k].x0, bottom[k].x1))
            k += 1
    seen: set[str] = set()
    for n, c in enumerate(columns):   # a field printed twice is read from its first column only
        if c.field in seen:
            columns[n] = Column("", c.name, c.x0, c.x1)
        seen.add(c.field)
    return columns


def _split(line: Line, data: list[Column]) -> tuple[str, list[Word]]:
    """The row label and the value cells. The label is the words left of the data columns (and words
    attached to them); a number under a data column's header is a value even left of its centre."""
    data_start = min(c.x0 for c in data)
    label: list[Word] = []
    rest = list(line.words)
    while rest:
        w = rest[0]
        numeric = is_number(w.text)
        attached = bool(label) and w.x0 - label[-1].x1 < _ATTACHED * w.height and not numeric
        under_header = numeric and any(_overlap(w, c.x0, c.x1) > 0 for c in data)
        if (w.center >= data_start and not attached) or under_header:
            break
        label.append(rest.pop(0))
    return " ".join(w.text for w in label), _cells(rest)


def _cells(words: list[Word]) -> list[Word]:
    """Value words with footnote markers dropped and a sign printed apart joined to its number."""
    out: list[Word] = []
    for w in words:
        if w.text in _MARKERS:
            continue
        if out and out[-1].text in _SIGNS and w.x0 - out[-1].x1 < _ATTACHED * w.height:
            sign = out.pop()
            w = Word(sign.text + w.text, sign.x0, w.x1, min(sign.top, w.top), max(sign.bottom, w.bottom),
                     w.page)
        out.append(w)
    return out


def _values(label: str, cells: list[Word], columns: list[Column]) -> dict[str, float | None] | None:
    """Field → value for one row; None when no cell holds a number (a footnote, not a row)."""
    values: dict[str, float | None] = {c.field: None for c in columns if c.field}
    placed: set[str] = set()
    bad = []
    for w in cells:
        col = max(columns, key=lambda c: (_overlap(w, c.x0, c.x1), -abs((c.x0 + c.x1) / 2 - w.center)))
        if not col.field:
            continue
        if col.field in placed:
            raise ReportError(f"results row {label!r}: two values under {col.name!r}")
        placed.add(col.field)
        try:
            values[col.field] = number(w.text)
        except ValueError:
            bad.append(w.text)
    if not any(v is not None for v in values.values()):
        return None
    if bad:
        raise ReportError(f"unreadable value {bad[0]!r} in results row {label!r}")
    return values


def _overlap(w: Word, x0: float, x1: float) -> float:
    return min(w.x1, x1) - max(w.x0, x0)
