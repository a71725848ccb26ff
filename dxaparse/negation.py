"""What free text affirms: a mention counts unless a cue near it negates it, puts it in the past or
only plans it.

Report text says "no steroid use" and "prednisone was ceased" as often as "on prednisone"; coding either
would put a false diagnosis on a claim (a Z79 code says the use is current). The narrative reader
(menopausal status, VFA, fractures) and the coder (indications, the impression) ask the same question,
so they share this one method and one vocabulary (`negation.toml`) and cannot disagree.

The method is NegEx-like and kept simple enough to explain:
- Text is cut into clauses at sentence punctuation (a full stop between digits is a decimal point), line
  breaks and break words ("but", "however"); a break word inside a cue ("not currently") does not cut.
- A *before* cue voids the mentions after it to the end of its comma piece, and on through a list that
  ends with "or"/"nor" ("no steroid, bisphosphonate or estrogen use").
- An *after* cue voids the mention before it when at most its kind's `after_words` words stand between
  them in the same comma piece, linking verbs not counted ("prednisone was ceased"). An after cue that
  a before cue continues ("VFA is negative for fracture") looks forward, not back.
- A pseudo cue ("not only", "no significant change") is no cue.
What is mentioned decides which kinds of cue apply (`uses` in the vocabulary): a drug is voided by past
and planned use too, a stated diagnosis by hedges ("risk of osteoporosis"), a fracture by "normal".
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib.resources import files

import regex

_NEVER = regex.compile(r"(?!)")


def _phrase(cue: str) -> str:
    """A cue as written in the vocabulary → its pattern: any white space between words, a final `*`
    on a word any ending, never inside a longer word."""
    words = [regex.escape(w[:-1]) + r"\w*" if w.endswith("*") else regex.escape(w) for w in cue.split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


def _any(cues: list[str]) -> regex.Pattern:
    """One pattern for all `cues`, the longest first so that "negative for" wins over "negative"."""
    if not cues:
        return _NEVER
    return regex.compile("|".join(_phrase(c) for c in sorted(cues, key=len, reverse=True)), regex.IGNORECASE)


@dataclass(frozen=True)
class Kind:
    """One kind of cue (negated, past, planned …), compiled."""

    before: regex.Pattern
    after: regex.Pattern
    after_words: int                 # words allowed between a mention and an after cue


@dataclass(frozen=True)
class Use:
    """The kinds of cue a kind of mention (a drug, a diagnosis …) honours before and after it."""

    before: tuple[Kind, ...]
    after: tuple[Kind, ...]


@dataclass(frozen=True)
class Vocabulary:
    uses: dict[str, Use]
    any_before: regex.Pattern        # every before cue: an after cue one continues looks forward
    any_cue: regex.Pattern           # every cue and pseudo cue: break words inside them do not cut
    pseudo: regex.Pattern
    ends: regex.Pattern              # sentence punctuation, line breaks and break words
    list_end: regex.Pattern
    bridge: frozenset[str]


@functools.cache
def vocabulary() -> Vocabulary:
    """`negation.toml`, checked and compiled once: a use naming an unknown kind fails at load."""
    with files(__package__).joinpath("negation.toml").open("rb") as fh:
        data = tomllib.load(fh)
    kinds = {name: Kind(_any(k["before"]), _any(k["after"]), k["after_words"])
             for name, k in data["kinds"].items()}
    uses = {}
    for name, use in data["uses"].items():
        unknown = set(use["before"]) | set(use["after"])
        unknown -= set(kinds)
        if unknown:
            raise ValueError(f"negation.toml: use {name!r} names unknown kinds {sorted(unknown)}")
        uses[name] = Use(tuple(kinds[k] for k in use["before"]), tuple(kinds[k] for k in use["after"]))
    clauses, pseudo = data["clauses"], data["pseudo"]["phrases"]
    every = [w for k in data["kinds"].values() for w in (*k["before"], *k["after"])]
    punctuation = "".join(regex.escape(p) for p in clauses["punctuation"])
    return Vocabulary(
        uses=uses,
        any_before=_any([w for k in data["kinds"].values() for w in k["before"]]),
        any_cue=_any(every + pseudo), pseudo=_any(pseudo),
        ends=regex.compile(rf"[{punctuation}](?!\d)|\n|{_any(clauses['words']).pattern}", regex.IGNORECASE),
        list_end=_any(clauses["list_words"]), bridge=frozenset(w.lower() for w in clauses["bridge"]))


def first_affirmed(text: str, patterns: tuple[regex.Pattern, ...], use: str) -> str | None:
    """The first match of any pattern in `text` that no cue of `use` voids, as written; None if none.
    Clauses are taken in text order, and within one the patterns in their order."""
    parsed = _parse(text)
    for a, b in parsed.clauses:
        for pattern in patterns:
            for match in pattern.finditer(text, a, b):
                if _affirmed(text, parsed, match.start(), match.end(), use):
                    return match.group(0)
    return None


def affirmed(text: str, start: int, end: int, use: str) -> bool:
    """Whether the mention `text[start:end]` stands, for a mention of kind `use` (see negation.toml)."""
    return _affirmed(text, _parse(text), start, end, use)


def piece_around(text: str, pos: int) -> tuple[int, int]:
    """Bounds of the comma piece of its clause that holds `pos`: what one statement can be about."""
    parsed = _parse(text)
    return parsed.pieces[parsed.piece_of(pos)]


@dataclass(frozen=True)
class _Parsed:
    clauses: tuple[tuple[int, int], ...]
    pieces: tuple[tuple[int, int], ...]        # comma pieces, in text order
    clause_of: tuple[int, ...]                 # each piece's clause
    lists: tuple[bool, ...]                    # each piece holds a list word ("or", "nor")
    pseudo: tuple[tuple[int, int], ...]

    def piece_of(self, pos: int) -> int:
        return next(i for i, (a, b) in enumerate(self.pieces) if a <= pos <= b)

    def in_pseudo(self, a: int, b: int) -> bool:
        return any(pa < b and a < pb for pa, pb in self.pseudo)


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> _Parsed:
    v = vocabulary()
    cues = [m.span() for m in v.any_cue.finditer(text)]
    cuts = [m.span() for m in v.ends.finditer(text)
            if not any(a < m.end() and m.start() < b for a, b in cues)]
    clauses, start = [], 0
    for a, b in cuts:
        clauses.append((start, a))
        start = b
    clauses.append((start, len(text)))
    pieces, clause_of = [], []
    for k, (a, b) in enumerate(clauses):
        start = a
        for m in regex.finditer(",", text[a:b]):
            pieces.append((start, a + m.start()))
            start = a + m.end()
        pieces.append((start, b))
        clause_of += [k] * (len(pieces) - len(clause_of))
    lists = tuple(v.list_end.search(text, a, b) is not None for a, b in pieces)
    return _Parsed(tuple(clauses), tuple(pieces), tuple(clause_of), lists,
                   tuple(m.span() for m in v.pseudo.finditer(text)))


def _affirmed(text: str, parsed: _Parsed, start: int, end: int, use: str) -> bool:
    rules = vocabulary().uses[use]
    piece = parsed.piece_of(start)
    clause_start = parsed.clauses[parsed.clause_of[piece]][0]
    for kind in rules.before:
        for hit in kind.before.finditer(text, clause_start, start):
            if not parsed.in_pseudo(*hit.span()) and _reaches(parsed, parsed.piece_of(hit.start()), piece):
                return False
    piece_end = parsed.pieces[piece][1]
    return not any(_after_cue(text, parsed, end, piece_end, kind) for kind in rules.after)


def _reaches(parsed: _Parsed, cue_piece: int, piece: int) -> bool:
    """A before cue reaches the rest of its comma piece, and on through a list that ends with or/nor."""
    if piece == cue_piece:
        return True
    same_clause = [k for k in range(cue_piece + 1, len(parsed.pieces))
                   if parsed.clause_of[k] == parsed.clause_of[cue_piece]]
    list_end = next((k for k in same_clause if parsed.lists[k]), None)
    return list_end is not None and cue_piece < piece <= list_end


def _after_cue(text: str, parsed: _Parsed, end: int, piece_end: int, kind: Kind) -> bool:
    bridge = vocabulary().bridge
    for hit in kind.after.finditer(text, end, piece_end):
        between = [w for w in regex.findall(r"[\w/.'-]+", text[end:hit.start()]) if w.lower() not in bridge]
        if len(between) > kind.after_words:
            return False
        if parsed.in_pseudo(*hit.span()):
            continue
        ahead = vocabulary().any_before.match(text, hit.start())
        if ahead is None or ahead.end() <= hit.end():
            return True
    return False
