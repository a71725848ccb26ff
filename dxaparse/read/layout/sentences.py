"""Measurements stated in report sentences: "Left femoral neck BMD 0.612 g/cm², T-score −2.9."

A number belongs to the score named last before it (T-score, Z-score, BMD; a g/cm² unit makes it a
BMD) and to the site it follows — or, in a sentence that gives values before sites ("a T-score of
−2.6 at the left femoral neck"), the site after it; "respectively" pairs values and sites in order.
Only numbers with a decimal point count: grades, ages and years are not scores. A score printed with
more digits than a float holds is not read: the measurement says so in its `doubt`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import regex

from ...models import Measurement, Site
from ...vendors import spine_vertebrae
from .values import clean

_NUMBER = regex.compile(r"(?<![\w./\-\u2212\u2013])(?P<n>[-\u2212\u2013]?\d+\.\d+)(?![\w%/]|\.\d|\s*%)")
_SIDE_BEFORE = regex.compile(r"\b(?P<side>left|right)\s+(?:\w+\s+)?$", regex.IGNORECASE)
_RANGE_JOIN = regex.compile(r"\s*(?:[-\u2013]|through|to)\s*", regex.IGNORECASE)
_SIDELESS = {Site.LUMBAR_SPINE, Site.TOTAL_BODY}


@dataclass(frozen=True)
class SentenceVocab:
    sites: tuple[tuple[regex.Pattern, Site], ...]
    spine_range: regex.Pattern
    region_side: regex.Pattern
    scores: tuple[tuple[str, regex.Pattern], ...]   # field → its keyword
    bmd_unit: regex.Pattern
    respectively: regex.Pattern


@dataclass
class _Mention:
    start: int
    end: int
    site: Site
    side: str | None
    label: str
    vertebrae: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)


def measurements_in(sentence: str, vocab: SentenceVocab) -> list[Measurement]:
    mentions = _mentions(sentence, vocab)
    if not mentions:
        return []
    hits = _hits(sentence, mentions, vocab)
    if vocab.respectively.search(sentence) and len(mentions) > 1:
        _pair_in_order(hits, mentions)
    elif hits and hits[0][0] < mentions[0].start:
        for pos, name, value in hits:   # values printed before their sites
            target = next((m for m in mentions if m.start > pos), mentions[-1])
            target.values.setdefault(name, value)
    else:
        for pos, name, value in hits:
            target = [m for m in mentions if m.start < pos][-1]
            target.values.setdefault(name, value)
    return [_measurement(m) for m in mentions if m.values]


def _measurement(m: _Mention) -> Measurement:
    values = {name: v for name, v in m.values.items() if math.isfinite(v)}
    unread = [name.replace("_", "-") for name in m.values if name not in values]
    doubt = "; ".join(f"{name} printed with too many digits to be read" for name in unread) or None
    return Measurement(site=m.site, side=m.side, label=m.label, vertebrae=m.vertebrae, doubt=doubt, **values)


def _mentions(sentence: str, vocab: SentenceVocab) -> list[_Mention]:
    found: list[_Mention] = []
    for pattern, site in vocab.sites:
        for m in pattern.finditer(sentence):
            if any(o.start < m.end() and m.start() < o.end for o in found):
                continue
            mention = _Mention(m.start(), m.end(), site, _side(sentence, m.start(), site, vocab), m.group())
            after = _skip_paren(sentence, m.end())
            if site is Site.LUMBAR_SPINE and (r := vocab.spine_range.match(sentence, after)):
                mention.end = r.end()
                _name_range(mention, r.group())
            found.append(mention)
    for r in vocab.spine_range.finditer(sentence):
        if not any(o.start <= r.start() < o.end for o in found):
            mention = _Mention(r.start(), r.end(), Site.LUMBAR_SPINE, None, r.group())
            _name_range(mention, r.group())
            found.append(mention)
    return sorted(found, key=lambda m: m.start)


def _skip_paren(sentence: str, pos: int) -> int:
    while pos < len(sentence) and sentence[pos] in " (":
        pos += 1
    return pos


def _name_range(mention: _Mention, printed: str) -> None:
    label = _RANGE_JOIN.sub("-", printed).upper()
    mention.label, mention.vertebrae = label, spine_vertebrae(label) or []


def _side(sentence: str, start: int, site: Site, vocab: SentenceVocab) -> str | None:
    if site in _SIDELESS:
        return None
    if m := _SIDE_BEFORE.search(sentence[max(0, start - 24): start]):
        return m["side"].lower()
    regions = [m for m in vocab.region_side.finditer(sentence, 0, start)]
    return regions[-1]["side"].lower() if regions else None


def _hits(sentence: str, mentions: list[_Mention], vocab: SentenceVocab) -> list[tuple[int, str, float]]:
    """(position, field, value) of every score number outside the site names."""
    keywords = sorted((m.start(), name) for name, p in vocab.scores for m in p.finditer(sentence))
    out = []
    for m in _NUMBER.finditer(sentence):
        if any(o.start <= m.start() < o.end for o in mentions):
            continue
        if vocab.bmd_unit.match(sentence, m.end()):
            name = "bmd"
        elif before := [k for k in keywords if k[0] < m.start()]:
            name = before[-1][1]
        else:
            continue
        out.append((m.start(), name, float(clean(m["n"]))))
    return out


def _pair_in_order(hits: list[tuple[int, str, float]], mentions: list[_Mention]) -> None:
    """"… neck and total hip T-scores are −2.6 and −1.9, respectively": k-th value, k-th site."""
    for name in dict.fromkeys(n for _, n, _ in hits):
        values = [v for _, n, v in hits if n == name]
        if len(values) == len(mentions):
            for mention, value in zip(mentions, values, strict=True):
                mention.values.setdefault(name, value)
