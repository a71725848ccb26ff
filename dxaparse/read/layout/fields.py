"""`Label: value` fields of a report header, several to a line.

Header boxes print fields side by side ("Name: …   Patient ID: …   DOB: …"), so a value ends at the
next known label or at a column gap; that is why a layout lists every printed label, used or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from ...vendors import normalize_label


@dataclass(frozen=True)
class Fields:
    pattern: regex.Pattern
    fills: dict[str, str]   # normalised label → what its value fills ("" = not used)

    @classmethod
    def of(cls, fields: dict[str, str]) -> Fields:
        labels = sorted(fields, key=len, reverse=True)
        alternation = "|".join(regex.escape(label).replace(r"\ ", r"\s+") for label in labels)
        pattern = regex.compile(rf"(?<![\w/])(?P<label>{alternation})\s*:", regex.IGNORECASE)
        return cls(pattern, {normalize_label(label): fill for label, fill in fields.items()})

    def read(self, text: str) -> Iterator[tuple[str, str]]:
        """(fill, value) of each used field printed on one line of text; empty values are skipped."""
        hits = list(self.pattern.finditer(text))
        for hit, nxt in zip(hits, [*hits[1:], None], strict=False):
            fill = self.fills.get(normalize_label(hit["label"]), "")
            value = text[hit.end(): nxt.start() if nxt else len(text)].strip().split("\t")[0].strip()
            if fill and value:
                yield fill, value

