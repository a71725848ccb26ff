"""Words one letter away from a coded term: "hyperparat(yroidism", "Postmeoopausal", "osteoporsis".

The coder recognises indications and the impression's diagnosis by exact patterns, so a typo in the
report (or one damaged byte in an SR's free text, which no DICOM check can see) drops a diagnosis code
without a word. A term that the patterns miss by one edit (a letter changed, added or left out) is not
coded — a guess is never coded — but flagged (coding.md §6.8, `unclear_term`), so the coder reads it.

To keep ordinary words out, a near miss must be at least `MIN_LENGTH` characters long, must not overlap
a term the vocabulary recognises exactly (any entry's, negated or not), and must be affirmed by the
same negation rules as the exact term ("no prednisome" is no near miss either).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import regex

from ..negation import affirmed

MIN_LENGTH = 6          # "serms" for "terms" is no typo worth a look; "prednisome" is


@functools.cache
def _fuzzy(pattern: regex.Pattern) -> regex.Pattern:
    """`pattern` allowing one edit; ENHANCEMATCH makes a match take its best fit (no edit if exact)."""
    return regex.compile(f"(?e)(?:{pattern.pattern}){{e<=1}}", pattern.flags)


def exact_spans(text: str, vocabulary: Iterable[regex.Pattern]) -> list[tuple[int, int]]:
    """Where any pattern of the vocabulary matches `text` exactly: no near miss may overlap these."""
    return [m.span() for p in vocabulary for m in p.finditer(text)]


def near_miss(text: str, patterns: Sequence[regex.Pattern], use: str,
              taken: list[tuple[int, int]]) -> str | None:
    """The first affirmed words of `text` one edit from a match of `patterns`, as written; None if none.
    `taken`: `exact_spans` of the text over the whole vocabulary."""
    for pattern in patterns:
        for m in _fuzzy(pattern).finditer(text):
            words = m.group().strip()
            if (not any(m.fuzzy_counts) or len(words) < MIN_LENGTH
                    or any(a < m.end() and m.start() < b for a, b in taken)):
                continue
            if affirmed(text, m.start(), m.end(), use):
                return words
    return None
