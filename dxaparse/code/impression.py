"""The interpreting physician's stated diagnosis, and what happens when it disagrees with the numbers.

coding.md §3 [J]: the physician's documented diagnosis outranks what the numbers alone suggest; the
claim carries the physician's, and a human is asked to look at the disagreement (§6.6).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Category, Flag, FlagCode
from ..negation import first_affirmed
from .category import OURS, WORDS, Diagnosis
from .flags import flag
from .near_miss import exact_spans, near_miss
from .tables import impression

# Same meaning in the words of the other score: not a disagreement.
_NO_FINDING = {Category.NORMAL, Category.WITHIN_EXPECTED}


@dataclass(frozen=True)
class Statement:
    category: Category
    words: str                    # as written in the impression
    other_cause: str | None       # "steroid-induced osteoporosis" → M81.8


@dataclass(frozen=True)
class Verdict:
    category: Category            # the coding's category (indeterminate when the numbers give none)
    coded: Category               # what the finding code follows: the physician's when stated
    note: str                     # for the finding's reason
    flags: tuple[Flag, ...]


def read_impression(text: str | None) -> Statement | None:
    """The most severe category the impression affirms: negated and hedged statements ("no osteoporosis",
    "risk of osteoporosis") are skipped (dxaparse/negation.py)."""
    if not text:
        return None
    rules = impression()
    for category, patterns in rules.categories:
        if words := first_affirmed(text, patterns, "diagnosis"):
            other = (first_affirmed(text, rules.other_osteoporosis, "diagnosis")
                     if category is Category.OSTEOPOROSIS else None)
            return Statement(category, words, other)
    return None


def near_misses(text: str | None, stated: Statement | None) -> list[str]:
    """A more severe category than the one stated (or any, with none stated) written one letter off
    ("osteoporsis"): the category it would have coded, for an `unclear_term` flag."""
    if not text:
        return []
    rules = impression()
    taken = exact_spans(text, [p for _, patterns in rules.categories for p in patterns])
    for category, patterns in rules.categories:
        if stated is not None and category is stated.category:
            return []
        if words := near_miss(text, patterns, "diagnosis", taken):
            return [f"the impression has '{words}', one letter from a statement of {WORDS[category]}: "
                    "not taken as the physician's diagnosis"]
    return []


def reconcile(dx: Diagnosis, stated: Statement | None) -> Verdict:
    if stated is None:
        return Verdict(dx.category, dx.category, "", ())
    said = f"the impression states '{stated.words}' ({WORDS[stated.category]})"
    if dx.lowest is None:
        return Verdict(dx.category, stated.category,
                       f"{said}: the physician's diagnosis is coded although the numbers give no category "
                       f"({OURS})", ())
    if stated.category == dx.category or {stated.category, dx.category} <= _NO_FINDING:
        return Verdict(dx.category, dx.category, f"{said}, in agreement with the numbers", ())
    disagreement = flag(FlagCode.IMPRESSION_DISAGREES,
                        f"{said} but the numbers give {WORDS[dx.category]} ({dx.lowest.text()})")
    return Verdict(stated.category, stated.category,
                   f"{said}, which outranks the numbers ({WORDS[dx.category]}) ({OURS})", (disagreement,))
