"""Find what free text affirms: a pattern's mentions, minus the negated ones.

Report text says "no steroid use" as often as "on prednisone"; coding a negated indication or a
"rule out osteoporosis" would put a false diagnosis on a claim. The method is NegEx-like and kept
simple enough to explain: a negation cue voids the mentions after it up to the end of its clause
(sentence punctuation, words like "but", or a comma — unless a later comma-separated part holds
"or"/"nor", as in "no steroid, bisphosphonate or estrogen use"); an `after` cue voids the mention
just before it ("osteoporosis is not present").
"""

from __future__ import annotations

import regex

from .tables import Cues

_SENTENCE_END = regex.compile(r"[.;!?\n](?!\d)")
_LIST_END = regex.compile(r"\b(?:or|nor)\b", regex.IGNORECASE)


def first_mention(text: str, patterns: tuple[regex.Pattern, ...], cues: Cues) -> str | None:
    """The first affirmed (not negated) match of any pattern in `text`, as written; None if none."""
    for clause in _clauses(text, cues):
        for pattern in patterns:
            for match in pattern.finditer(clause):
                if not _negated(clause, match, cues):
                    return match.group(0)
    return None


def _clauses(text: str, cues: Cues) -> list[str]:
    return [part for sentence in _SENTENCE_END.split(text) for part in cues.clause_breaks.split(sentence)]


def _negated(clause: str, match: regex.Match, cues: Cues) -> bool:
    pieces = _comma_pieces(clause)
    where = _piece_of(pieces, match.start())
    rest = clause[match.end():pieces[where][1]]
    if any(cue.match(rest) for cue in cues.after):
        return True
    for cue in cues.before:
        for hit in cue.finditer(clause, 0, match.start()):
            if _in_scope(clause, pieces, _piece_of(pieces, hit.start()), where):
                return True
    return False


def _in_scope(clause: str, pieces: list[tuple[int, int]], cue_piece: int, piece: int) -> bool:
    """A cue reaches the rest of its comma piece, and on through a list that ends with or/nor."""
    if piece == cue_piece:
        return True
    list_end = next((k for k in range(cue_piece + 1, len(pieces))
                     if _LIST_END.search(clause, *pieces[k])), None)
    return list_end is not None and cue_piece < piece <= list_end


def _comma_pieces(clause: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in regex.finditer(r",", clause):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(clause)))
    return bounds


def _piece_of(pieces: list[tuple[int, int]], pos: int) -> int:
    return next(i for i, (a, b) in enumerate(pieces) if a <= pos <= b)
