"""Positioned words and the lines they form: the one input every layout reader takes.

Words come from a PDF's text layer today and from OCR later, so nothing downstream may depend on
where they came from. Coordinates are PDF points with the origin at the page's top left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

COLUMN_GAP = 1.5
"""A gap wider than this many line heights separates two printed columns (written as a tab)."""

_SAME_PLACE = 1.5
"""Points within which a repeated word counts as drawn twice (fake bold)."""


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    page: int = 0

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class PageSize:
    """A page's size in the units a reviewer's boxes are given in, and how many of those units make one
    point of the words' coordinates: 1 on a PDF page; a DICOM report page's pixels per point (its
    words are placed in points as if printed, its boxes are given in the image's pixels)."""

    width: float
    height: float
    scale: float = 1.0


Pages = dict[int, PageSize]
"""Page index → its size, as each source of words knows it (`read_report`'s `pages`)."""


@dataclass(slots=True)
class Line:
    """Words sharing a baseline, left to right; `text` has a tab where a column gap separates them."""

    words: list[Word]
    page: int = field(init=False)
    top: float = field(init=False)
    bottom: float = field(init=False)
    text: str = field(init=False)

    def __post_init__(self) -> None:
        self.page = self.words[0].page
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        parts = [self.words[0].text]
        for prev, word in zip(self.words, self.words[1:], strict=False):
            gap = word.x0 - prev.x1
            parts.append(("\t" if gap > COLUMN_GAP * max(word.height, prev.height) else " ") + word.text)
        self.text = "".join(parts)

    @property
    def height(self) -> float:
        return self.bottom - self.top


def dedupe(words: Iterable[Word]) -> list[Word]:
    """Drop words drawn a second time at (almost) the same place: reports fake bold that way.

    PDFium already merges a repeat that directly follows its original; this catches repeats drawn
    later on the page.
    """
    seen: dict[tuple[int, str], list[Word]] = {}
    out = []
    for w in words:
        twins = seen.setdefault((w.page, w.text), [])
        if any(abs(t.x0 - w.x0) <= _SAME_PLACE and abs(t.top - w.top) <= _SAME_PLACE for t in twins):
            continue
        twins.append(w)
        out.append(w)
    return out


def group_lines(words: Iterable[Word]) -> list[Line]:
    """Lines in reading order: a word joins the line its vertical extent overlaps by half."""
    groups: list[list[Word]] = []
    top = bottom = 0.0
    for w in sorted(words, key=lambda w: (w.page, w.top, w.x0)):
        if groups and groups[-1][0].page == w.page and (
                min(bottom, w.bottom) - max(top, w.top) >= 0.5 * min(bottom - top, w.height)):
            groups[-1].append(w)
            bottom = max(bottom, w.bottom)
        else:
            groups.append([w])
            top, bottom = w.top, w.bottom
    return [Line(sorted(g, key=lambda w: w.x0)) for g in groups]
