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
