"""Indications for the exam, recognised in the findings' `indications` and in the impression.

This is the one place indications are recognised: readers pass the report's own words through ("on
prednisone 10 mg daily"), and a findings JSON may also name a key (`glucocorticoids`). Both come through
one table (data/indications.toml), so a new drug or wording is a data edit, and a reader can never code
a mention the coder would have voided. Negated, past or planned mentions ("no steroid use", "prednisone
was ceased", "consider letrozole") are not coded (dxaparse/negation.py): a Z79 code says the use is
current.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..negation import first_affirmed
from .near_miss import exact_spans, near_miss
from .tables import Indication, indications


@dataclass(frozen=True)
class Found:
    indication: Indication
    evidence: str                 # where it was found, for the reason


def recognise(items: list[str], impression_text: str | None) -> list[Found]:
    """Every indication the exam documents, in claim order (the table's order)."""
    rules = indications()
    return [Found(entry, evidence) for entry in rules.entries
            if (evidence := _evidence(entry, items, impression_text))]


def near_misses(items: list[str], impression_text: str | None, found: list[Found]) -> list[str]:
    """What looks like an indication that was not recognised, one letter off ("hyperparat(yroidism"):
    for each entry not found, where and in which words (`near_miss`), for an `unclear_term` flag."""
    rules = indications()
    vocabulary = [p for entry in rules.entries for p in entry.patterns]
    have = {f.indication.key for f in found}
    texts = [(f"indication '{_short(item)}'", item) for item in items]
    if impression_text:
        texts.append(("the impression", impression_text))
    taken = {text: exact_spans(text, vocabulary) for _, text in texts}
    out = []
    for entry in rules.entries:
        if entry.key in have:
            continue
        use = "medication" if entry.medication else "condition"
        for where, text in texts:
            if words := near_miss(text, entry.patterns, use, taken[text]):
                out.append(f"{where} has '{words}', one letter from {entry.name} ({entry.code}): not coded")
                break
    return out


def _evidence(entry: Indication, items: list[str], impression_text: str | None) -> str | None:
    if any(_as_key(item) == entry.key for item in items):
        return f"indication key '{entry.key}'"
    use = "medication" if entry.medication else "condition"
    for item in items:
        if words := first_affirmed(item, entry.patterns, use):
            return f"indication '{_short(item)}' mentions '{words}'"
    if impression_text and (words := first_affirmed(impression_text, entry.patterns, use)):
        return f"the impression mentions '{words}'"
    return None


def _as_key(item: str) -> str:
    return regex.sub(r"[\s-]+", "_", item.strip().lower())


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
