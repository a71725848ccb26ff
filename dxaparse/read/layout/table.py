"""Results tables found and read from their structure alone: a header band, then rows of values.

No column position is written down anywhere. A table is a band of one to three header lines (words of
the column vocabulary: `BMD`, `T -` over `score`, `Young-Adult` over `(%)  T-Score`, footnote marks
dropped) followed by rows whose values sit under those headers. Header words are stacked into columns
by their x-overlap, bottom line first: a word above one column names it further, a word above several
(`Young-Adult`) names each. Each value goes to the column it overlaps most; a blank column stays blank.

Only the table's own words are read: words left of its label column or right of its last column are
captions beside it (`Image not for diagnosis`, `COMMENTS:`) and neither end it nor join it. A label-only
line inside the table heads the rows under it (`Neck` over `Left`, `Right`; `Fem` over `Neck`).

The values then vouch for the columns: each field has a signature (a BMD is 0.05–3 g/cm², a score
at most 8 SD with two decimals, a percent of a reference mean 10–250), and across rows a score's sign
agrees with its percent and T rises with BMD. A table failing a check is read, but every row of it
carries the problem, so nothing from it is coded unflagged.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import regex

from .values import Cell, cell_value, clean, head_norm
from .words import Line, Word

_END_GAP = 2.6
"""A vertical gap of this many line heights after the last row ends the table (one blank line does not)."""
_BLOCK_GAP = 1.5
"""A horizontal gap of this many line heights separates two blocks of words (a caption from a label)."""
_UNIT_GAP = 0.7
"""A unit printed this close after a word (a space, never a column gap) is its unit ("BMD (g/cm²)")."""
_CAPTION_GAP = 3.0
"""A gap of this many line heights between header words parts a caption beside the header from it."""
_ATTACHED = 0.5
"""A word closer than this many heights to the label word before it continues the label."""
_GROUP_WORDS = 4
"""A label-only line of more words than this is prose, not a row group."""
_MARKERS = regex.compile(r"^[\d*\u2020\u2021\u00b9\u00b2\u00b3]{1,2}$")
"""A footnote mark printed over or beside a header word."""
_CELL_MARK = regex.compile(r"^[*\u2020\u2021]+$")
"""A footnote mark printed apart beside a value."""
_UNIT_MARK = regex.compile(r"(?<=\))[\d*\u2020\u2021\u00b9\u00b2\u00b3]{1,2}$")
_LABEL_MARK = regex.compile(r"[*\u2020\u2021]+$")
"""A footnote mark after a row label ("L1-L4*"); digits there are the label's own ("L1")."""
_TRAILING_MARK = regex.compile(r"(?<=[a-z)])[\d*\u2020\u2021\u00b9\u00b2\u00b3]{1,2}$", regex.IGNORECASE)
_SIGNS = {"-", "+"}
IGNORE = "ignore"
_BMD_STEP = 0.005
"""BMD differences below this are rounding: their scores may be printed in either order."""
_SHORT = 6
"""Characters of a text word that, among a row's values, is taken for a value misprinted."""
_GARBLED = regex.compile(r"[+-]?(?=[^\d]*\d)[\dOoIlSsBZ|.,]{1,7}%?")
"""Digits with a glyph or two misread: a value that is there but cannot be read."""


@dataclass(frozen=True)
class ColumnVocab:
    """What header texts mean: field patterns tried in order (`ignore` = printed, not read)."""

    fields: tuple[tuple[str, regex.Pattern], ...]
    label_heads: frozenset[str]          # "region": a label column header that adds nothing to labels
    words: frozenset[str]                # every header word: a line of them is a header line
    strong: frozenset[str]               # words that make a line a table header at all
    names: frozenset[str]                # word sequences that form one header item on one line
    boilerplate: tuple[regex.Pattern, ...]
    skip_words: frozenset[str]           # a row label holding one is a difference, not a result
    side_words: frozenset[str]
    ends: tuple[regex.Pattern, ...]      # a line with a block matching one (a title) ends a table

    def is_difference(self, row: Row) -> bool:
        return any(w in self.skip_words for w in f"{row.group or ''} {row.label}".lower().split())

    def region_of(self, row: Row) -> str:
        """The row's region without its side words ("Neck Left" → "neck")."""
        words = f"{row.group or ''} {row.label}".lower().split()
        return " ".join(w for w in words if w not in self.side_words)

    def field_of(self, name: str) -> str:
        """The field a column of this header holds: "label", a value field, or "" (not read)."""
        found = next((f for f, p in self.fields if p.search(name)), "")
        return "" if found == IGNORE else found

    def is_word(self, text: str) -> bool:
        """A header word, footnote marks after it allowed ("BMD¹", "T-score*"), or a mark alone."""
        return head_norm(_strip_marks(text)) in self.words or bool(_MARKERS.match(text))

    def is_boilerplate(self, text: str) -> bool:
        return any(p.search(text) for p in self.boilerplate)

    def is_title(self, text: str) -> bool:
        return any(p.search(block.strip()) for block in text.split("\t") for p in self.ends)


@dataclass(frozen=True)
class Column:
    field: str          # "" = printed but not read; "label" = the row labels
    name: str           # the header text, normalised
    x0: float
    x1: float

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Unreadable:
    """A cell that holds text no value reads from: where it is, so a reader can blank or doubt it."""

    column: str
    word: Word


@dataclass(frozen=True)
class Row:
    label: str
    group: str | None                   # the label-only line above it ("Neck", "Left", "Fem")
    values: dict[str, float | None]     # every field the table has a column for
    words: tuple[Word, ...]             # the printed words of the row (provenance: page, box)
    unreadable: tuple[Unreadable, ...] = ()
    decimals: dict[str, int] = field(default_factory=dict)   # digits after the point, as printed
    cells: dict[str, Word] = field(default_factory=dict)     # field → the word its value was read from
    label_words: tuple[Word, ...] = ()                       # the words of the row's own label


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    head: str                           # the label column's header ("region", "radius + ulna")
    rows: list[Row]
    start: int                          # index of the first header line
    end: int                            # index of the first line after the table
    problems: list[str] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns if c.field not in ("", "label")]


# ---- finding the header band -----------------------------------------------------------------------

def header_run(line: Line, vocab: ColumnVocab) -> list[Word] | None:
    """The words of `line` that may be (part of) a table header, or None when the line holds none.

    The line is cut into blocks at wide gaps; the header is the longest run of blocks whose words are
    mostly header words (a word or two misread by OCR stays in), so a caption printed beside the
    header ("USA (Combined NHANES/Lunar)   BMD  YA  AM") is left out."""
    h = line.height
    blocks = _blocks(line.words, h, _CAPTION_GAP)
    best: list[Word] = []
    run: list[Word] = []
    for block in [*blocks, []]:
        named = [w for w in block if not _MARKERS.match(w.text)]
        numbers = any(cell_value(w.text).kind is Cell.NUMBER for w in named)
        if named and not numbers and 2 * sum(vocab.is_word(w.text) for w in named) >= len(named):
            run += block
            continue
        if _known(run, vocab) > _known(best, vocab):
            best = run
        run = []
    return best if _known(best, vocab) else None


def _known(words: list[Word], vocab: ColumnVocab) -> int:
    return sum(vocab.is_word(w.text) and not _MARKERS.match(w.text) for w in words)


def read_table(lines: list[Line], start: int, vocab: ColumnVocab) -> Table | None:
    """The table whose header band begins at `lines[start]`, or None when no header begins there."""
    band: list[list[Word]] = []
    k = start
    while k < len(lines) and (run := header_run(lines[k], vocab)) is not None:
        if band and (lines[k].page != lines[start].page
                     or lines[k].top - lines[k - 1].bottom > _END_GAP * lines[k].height):
            break
        band.append(run)
        k += 1
    words = [w for run in band for w in run]
    if _known(words, vocab) < 2 or not any(head_norm(w.text) in vocab.strong for w in words):
        return None                     # a header names two things at least, one of them a value
    columns = _columns(band, vocab)
    data = [c for c in columns if c.field != "label"]
    if not any(c.field for c in data):
        return None
    data_start = min(c.x0 for c in data if c.field)
    right = max(c.x1 for c in columns)
    heads = [c for c in columns if c.x1 <= data_start]
    left = min((c.x0 for c in heads), default=data_start)
    reader = _RowReader(lines, k, vocab, data, data_start, left, right)
    rows = reader.read()
    left = min(left, reader.label_x0)
    head = " ".join(w.text for run in band for w in sorted(run, key=lambda w: w.x0)
                    if w.x1 <= data_start + 1 and w.x0 >= left - lines[start].height)
    head = "" if head_norm(head) in vocab.label_heads else _strip_marks(head)
    used = [c for c in columns if c.field != "label"]
    table = Table(used, head, rows, start, reader.end)
    table.problems.extend([*reader.lost, *check(table, vocab)])
    return table


def _strip_marks(text: str) -> str:
    """Header text without footnote marks: none alone, none after a word ("BMD¹"; a unit keeps its ²)."""
    return " ".join(_UNIT_MARK.sub("", w) if w.startswith("(") else _TRAILING_MARK.sub("", w)
                    for w in text.split() if not _MARKERS.match(w))


def _items(run: list[Word], vocab: ColumnVocab, height: float) -> list[tuple[str, float, float]]:
    """One header line's words joined into items: the longest word sequences the vocabulary knows as
    one name ("Young Ref. (%)", "Age Match (%)"), else single words; footnote marks dropped."""
    words = [w for w in run if not _MARKERS.match(w.text)]
    out: list[tuple[str, float, float]] = []
    i = 0
    while i < len(words):
        w = words[i]
        if out and _is_unit(w.text) and not _is_unit(out[-1][0]) and out[-1][0] not in vocab.label_heads \
                and w.x0 - out[-1][2] < _UNIT_GAP * height:
            out[-1] = (f"{out[-1][0]} {head_norm(w.text)}", out[-1][1], w.x1)   # "BMD (g/cm²)"
            i += 1
            continue
        for j in range(min(len(words), i + 4), i, -1):
            part = words[i:j]
            close = all(b.x0 - a.x1 < _BLOCK_GAP * height for a, b in itertools.pairwise(part))
            name = head_norm(" ".join(_strip_marks(w.text) or w.text for w in part))
            if j == i + 1 or (close and name in vocab.names):
                out.append((name, part[0].x0, part[-1].x1))
                i = j
                break
    return out


def _is_unit(text: str) -> bool:
    return text.startswith("(") and text.endswith(")")


def _unit_only(names: list[str]) -> bool:
    return all(_is_unit(t) for n in names for t in n.split())


def _columns(band: list[list[Word]], vocab: ColumnVocab) -> list[Column]:
    """Header items stacked into columns, bottom line first (see the module docstring)."""
    height = max(w.height for run in band for w in run)
    stacks: list[list] = []    # [names top-to-bottom, x0, x1]
    for run in reversed(band):
        leaves = list(stacks)
        for name, x0, x1 in _items(run, vocab, height):
            # a word over a column, or next to a column headed by a unit only ("Young-Adult" printed
            # off-centre over "(%)  T-Score"): it names that column
            under = [s for s in leaves if _overlap(x0, x1, s[1], s[2]) > 0.15 * min(x1 - x0, s[2] - s[1])
                     or (_unit_only(s[0]) and _overlap(x0, x1, s[1], s[2]) > -0.5 * height)]
            if not under:
                stacks.append([[name], x0, x1])
            for s in under:
                s[0].insert(0, name)
                if len(under) == 1:
                    s[1], s[2] = min(s[1], x0), max(s[2], x1)
    out = []
    seen: set[str] = set()
    for names, x0, x1 in sorted(stacks, key=lambda s: s[1]):
        name = head_norm(" ".join(names))
        f = vocab.field_of(name)
        if f in seen and f != "label":
            f = ""          # a field printed twice is read from its first column only
        seen.add(f)
        out.append(Column(f, name, x0, x1))
    return out


# ---- rows -------------------------------------------------------------------------------------------

class _RowReader:
    """Reads row lines below the header until a line that cannot belong to the table."""

    def __init__(self, lines: list[Line], begin: int, vocab: ColumnVocab, data: list[Column],
                 data_start: float, left: float, right: float):
        self.lines, self.begin, self.vocab, self.data = lines, begin, vocab, data
        self.data_start, self.left, self.right = data_start, left, right
        self.label_x0 = left
        self.end = begin
        self.lost: list[str] = []

    def read(self) -> list[Row]:
        rows: list[Row] = []
        group: str | None = None
        prev = self.lines[self.begin - 1]
        first = True
        for i in range(self.begin, len(self.lines)):
            line = self.lines[i]
            self.end = i
            if line.page != prev.page or line.top - prev.bottom > _END_GAP * line.height \
                    or self.vocab.is_title(line.text):
                return rows
            label_words, cells, extra = self._split(line, first)
            text = " ".join(w.text for w in [*label_words, *cells, *extra])
            if text and self.vocab.is_boilerplate(text):
                return rows
            if extra:
                return rows
            label = " ".join(_LABEL_MARK.sub("", w.text) or w.text for w in label_words)
            if not cells:
                if not label:
                    continue                        # only a caption beside the table
                if len(label_words) > _GROUP_WORDS or label.endswith(":"):
                    return rows                     # prose, or a heading: no row group
                group = label
            else:
                if not label:
                    return rows
                row = self._row(label, group, cells, label_words)
                if row is None:
                    # a row whose values cannot be placed (two under one header): it may have held a
                    # result, so the table is read on but doubted
                    self.lost.append(f"row {label!r} could not be read")
                    prev = line
                    continue
                rows.append(row)
                if first:
                    self.label_x0 = min(self.label_x0, label_words[0].x0)
                first = False
            prev = line
        self.end = len(self.lines)
        return rows

    def _split(self, line: Line, first: bool) -> tuple[list[Word], list[Word], list[Word]]:
        """The row's label block, its value cells and any other words inside the table."""
        h = line.height
        label: list[Word] = []
        rest = [w for w in line.words if w.x0 < self.right + 3 * h]     # right of it: a caption
        while rest:
            w = rest[0]
            value_like = cell_value(w.text).kind is not Cell.TEXT
            attached = bool(label) and w.x0 - label[-1].x1 < _ATTACHED * w.height and not value_like
            if (w.x0 >= self.data_start - 0.5 * h and not attached) or (
                    value_like and w.x1 > self.data_start + 0.5 * h):
                break
            label.append(rest.pop(0))
        # of the words left of the data, only the block next to it is the label: a caption printed
        # further left (beside the table) is not
        blocks = _blocks(label, h)
        label = blocks[-1] if blocks else []
        if label and not first and label[-1].x1 < self.label_x0 - h:
            label = []
        cells = _join_signs([w for w in rest if not _CELL_MARK.match(w.text)], h)
        numbers = sum(cell_value(w.text).kind is Cell.NUMBER for w in cells)
        extra = [w for w in cells if cell_value(w.text).kind is Cell.TEXT and not self._under(w, numbers)]
        cells = [w for w in cells if w not in extra]
        return label, cells, extra

    def _under(self, w: Word, numbers: int) -> bool:
        """A text word under a column is an unreadable cell when it looks like a misprinted number
        ("0.8l2", "-l.3"), or is short and among values of the row ("ne)" between two numbers); any
        other text in the table (a date, a sentence) is prose, which ends it."""
        col = self._column(w)
        if col is None or _overlap(w.x0, w.x1, col.x0, col.x1) <= 0:
            return False
        return bool(_GARBLED.fullmatch(clean(w.text))) or (numbers >= 2 and len(w.text) <= _SHORT)

    def _column(self, w: Word) -> Column | None:
        mid = (w.x0 + w.x1) / 2
        best = max(self.data, key=lambda c: (_overlap(w.x0, w.x1, c.x0, c.x1), -abs(c.center - mid)))
        if _overlap(w.x0, w.x1, best.x0, best.x1) <= 0 and abs(best.center - mid) > 4 * w.height:
            return None
        return best

    def _row(self, label: str, group: str | None, cells: list[Word], label_words: list[Word]) -> Row | None:
        values: dict[str, float | None] = {c.field: None for c in self.data if c.field}
        decimals: dict[str, int] = {}
        placed: dict[str, Word] = {}
        unreadable = []
        for w in cells:
            col = self._column(w)
            if col is None or not col.field:
                continue
            if col.field in placed:
                return None            # two values under one header: this is no row of the table
            placed[col.field] = w
            v = cell_value(w.text, col.name)
            if v.kind is Cell.TEXT:
                unreadable.append(Unreadable(col.field, w))
            else:
                values[col.field] = v.value
                if v.kind is Cell.NUMBER:
                    decimals[col.field] = _decimals(w.text)
        if not placed:
            return None
        read = {f: w for f, w in placed.items() if values[f] is not None}
        return Row(label, group, values, tuple([*label_words, *cells]), tuple(unreadable), decimals, read,
                   tuple(label_words))


def _decimals(text: str) -> int:
    m = regex.search(r"\.(\d+)", text)
    return len(m.group(1)) if m else 0


def _blocks(words: list[Word], height: float, gap: float = _BLOCK_GAP) -> list[list[Word]]:
    out: list[list[Word]] = []
    for w in words:
        if out and w.x0 - out[-1][-1].x1 <= gap * height:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _join_signs(words: list[Word], height: float) -> list[Word]:
    """A sign printed apart from its number ("- 1.2") joined to it."""
    out: list[Word] = []
    for w in words:
        if out and out[-1].text in _SIGNS | {"\u2212", "\u2013"} and w.x0 - out[-1].x1 < _ATTACHED * height \
                and cell_value(w.text).kind is Cell.NUMBER:
            sign = out.pop()
            w = Word(sign.text + w.text, sign.x0, w.x1, min(sign.top, w.top), max(sign.bottom, w.bottom),
                     w.page)
        out.append(w)
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


# ---- the values vouch for the columns ---------------------------------------------------------------

SIGNATURES: dict[str, tuple[float, float, int]] = {
    "bmd": (0.05, 3.0, 4), "t_score": (-8.0, 8.0, 2), "z_score": (-8.0, 8.0, 2),
    "young_adult_percent": (10.0, 250.0, 1), "age_matched_percent": (10.0, 250.0, 1),
    "area": (0.0, 5000.0, 3), "bmc": (0.0, 5000.0, 3), "tbs": (0.5, 2.5, 3), "age": (0.0, 130.0, 1),
}
"""field → (lowest, highest, most decimals) a printed value of it can have."""


def check(table: Table, vocab: ColumnVocab) -> list[str]:
    """Why the values do not fit the columns they were read into; empty when they do."""
    problems = []
    rows = [r for r in table.rows if not vocab.is_difference(r)]
    for f in table.fields:
        low, high, most = SIGNATURES.get(f, (float("-inf"), float("inf"), 9))
        bad = [r.values[f] for r in rows if r.values.get(f) is not None and not low <= r.values[f] <= high]
        name = f.replace("_", " ")
        if bad:
            problems.append(f"{name} column holds {bad[0]:g}, which is no {name}")
        elif many := [r.values[f] for r in rows if r.decimals.get(f, 0) > most]:
            problems.append(f"{name} column holds {many[0]:g}, printed with more decimals than a {name}")
    for score, percent in (("t_score", "young_adult_percent"), ("z_score", "age_matched_percent")):
        for r in rows:
            s, p = r.values.get(score), r.values.get(percent)
            if s is not None and p is not None and abs(s) >= 0.3 and abs(p - 100) >= 3 \
                    and (s < 0) != (p < 100):
                problems.append(f"row {r.label!r}: {score.replace('_', '-')} {s:g} disagrees with its {p:g}%")
                break
    # one region printed for several sides (Neck Left / Right / Mean) is scored against one reference:
    # its higher BMD cannot have the lower score
    regions: dict[str, list[Row]] = {}
    for r in rows:
        regions.setdefault(vocab.region_of(r), []).append(r)
    for region, same in regions.items():
        for score in ("t_score", "z_score"):
            pairs = sorted((r.values["bmd"], r.values[score]) for r in same
                           if r.values.get("bmd") is not None and r.values.get(score) is not None)
            if any(b[0] - a[0] > _BMD_STEP and b[1] < a[1] for a, b in itertools.pairwise(pairs)):
                problems.append(f"{region}: a higher BMD with a lower {score.replace('_', '-')}")
    return problems


@functools.cache
def _pattern(p: str) -> regex.Pattern:
    return regex.compile(p, regex.IGNORECASE)


def column_vocab(data: dict, skip_words: frozenset[str] = frozenset(),
                 side_words: frozenset[str] = frozenset(),
                 ends: tuple[regex.Pattern, ...] = ()) -> ColumnVocab:
    """The `[columns]` data of the layout files (see vendors/layouts/common.toml); `skip_words`: of
    difference rows; `side_words`: words naming a side; `ends`: titles."""
    fields = tuple((f, _pattern(p)) for f, ps in data["fields"].items() for p in ps)
    names = {head_norm(n) for n in data["names"]}
    grams = {" ".join(n.split()[i:j]) for n in names for i in range(len(n.split()))
             for j in range(i + 1, len(n.split()) + 1)}
    words = {w for n in names for w in n.split()} | {head_norm(w) for w in data["words"]}
    return ColumnVocab(fields, frozenset(head_norm(h) for h in data["label_heads"]), frozenset(words),
                       frozenset(head_norm(w) for w in data["strong"]), frozenset(grams),
                       tuple(_pattern(p) for p in data["boilerplate"]), skip_words, side_words, ends)


__all__ = ["Column", "ColumnVocab", "Row", "Table", "Unreadable", "check", "clean", "column_vocab",
           "header_run", "read_table"]
