"""Indications for the exam, recognised in the findings' `indications` and in the impression.

Readers pass either a recognised key (`glucocorticoids`) or the report's own words ("on prednisone
10 mg daily"); both come through one table (data/indications.toml) so that a new drug or wording is
a data edit. Negated, past or planned mentions ("no steroid use", "stopped alendronate", "consider
letrozole") are not coded: a Z79 code says the use is current.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from .mentions import first_mention
from .tables import Indication, IndicationRules, indications


@dataclass(frozen=True)
class Found:
    indication: Indication
    evidence: str                 # where it was found, for the reason


def recognise(items: list[str], impression_text: str | None) -> list[Found]:
    """Every indication the exam documents, in claim order (the table's order)."""
    rules = indications()
    return [Found(entry, evidence) for entry in rules.entries
            if (evidence := _evidence(entry, items, impression_text, rules))]


def _evidence(entry: Indication, items: list[str], impression_text: str | None,
              rules: IndicationRules) -> str | None:
    if any(_as_key(item) == entry.key for item in items):
        return f"indication key '{entry.key}'"
    cues = rules.medication_cues if entry.medication else rules.cues
    for item in items:
        if words := first_mention(item, entry.patterns, cues):
            return f"indication '{_short(item)}' mentions '{words}'"
    if impression_text and (words := first_mention(impression_text, entry.patterns, cues)):
        return f"the impression mentions '{words}'"
    return None


def _as_key(item: str) -> str:
    return regex.sub(r"[\s-]+", "_", item.strip().lower())


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
