"""Vertebral fracture statements — VFA result lines and report sentences — as `Fracture`s.

Whether a fracture is acute decides the diagnosis code (a current fracture is coded first), so it is
only set when the text says so; a grade is taken from the Genant grade or its word.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ...models import Fracture
from ...negation import affirmed, piece_around

_VERTEBRA = regex.compile(r"\b(?P<v>T(?:1[0-2]|[1-9])|L[1-5])\b")


def _any(patterns: list[str]) -> regex.Pattern:
    return regex.compile("|".join(f"(?:{p})" for p in patterns), regex.IGNORECASE)


@dataclass(frozen=True)
class FractureWords:
    words: regex.Pattern        # fracture, deformity, wedge …
    grade: regex.Pattern        # "grade 2", group g
    grade_words: dict[str, int]
    grade_word: regex.Pattern
    acute: regex.Pattern
    chronic: regex.Pattern

    @classmethod
    def of(cls, data: dict) -> FractureWords:
        grades = {k.lower(): v for k, v in data["grades"].items()}
        return cls(_any(data["words"]), regex.compile(data["grade"], regex.IGNORECASE), grades,
                   _any([rf"\b{regex.escape(w)}\b" for w in grades]), _any(data["acute"]),
                   _any(data["chronic"]))


def fractures_in(text: str, vocab: FractureWords) -> list[Fracture]:
    """Fractures one sentence or result line states; none where the statement is negated."""
    out = []
    acute = _acuity(text, vocab)
    for m in _VERTEBRA.finditer(text):
        hit = vocab.words.search(text, *piece_around(text, m.start()))
        if hit is None or not affirmed(text, hit.start(), hit.end(), "fracture"):
            continue
        out.append(Fracture(vertebra=m["v"], grade=_grade(text, m.start(), vocab), acute=acute))
    return out


def _grade(text: str, pos: int, vocab: FractureWords) -> int | None:
    """The grade stated nearest the vertebra: "grade 2" or a grade word (mild, moderate, severe)."""
    found = [(m.start(), int(m["g"])) for m in vocab.grade.finditer(text)]
    found += [(m.start(), vocab.grade_words[m.group().lower()]) for m in vocab.grade_word.finditer(text)]
    return min(found, key=lambda f: abs(f[0] - pos))[1] if found else None


def _acuity(text: str, vocab: FractureWords) -> bool | None:
    """True when the text calls a fracture acute (new, recent), False when chronic (old, healed)."""
    for pattern, value in ((vocab.acute, True), (vocab.chronic, False)):
        for m in pattern.finditer(text):
            if affirmed(text, m.start(), m.end(), "fracture"):
                return value
    return None
