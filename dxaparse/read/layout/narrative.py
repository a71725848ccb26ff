"""A radiologist's narrative report: history, technique, findings and impression in free text.

The coder compares the physician's impression with the numbers and recognises the indications, so
both are passed on verbatim: recognising indications here too would be a second, drifting copy of the
coder's table. What only this reader decides — menopausal status, whether VFA was done, its fractures
— skips negated statements ("not postmenopausal", "VFA was not performed") with the same cues as the
coder (dxaparse/negation.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import regex

from ...models import Scan, Site
from ...negation import first_affirmed
from ...vendors import normalize_label
from .draft import Draft, first
from .fields import Fields
from .fractures import FractureWords, fractures_in
from .layouts import NARRATIVE, LinePatterns, compile_all, load
from .sentences import SentenceVocab, measurements_in
from .words import Line

_SENTENCE_END = regex.compile(r"(?<=[.!?])\s+(?=[A-Z(\d])")


@dataclass(frozen=True)
class Vocab:
    fields: Fields
    lines: LinePatterns                       # device, TBS, FRAX in a sentence
    heading: regex.Pattern
    sections: dict[str, str]                  # normalised heading → section
    end: tuple[regex.Pattern, ...]
    dxa: tuple[regex.Pattern, ...]
    age_sex: regex.Pattern
    vfa: tuple[regex.Pattern, ...]
    menopause: tuple[tuple[str, regex.Pattern], ...]
    sentences: SentenceVocab
    fractures: FractureWords


@functools.cache
def vocab() -> Vocab:
    d = load(NARRATIVE)
    sections = {normalize_label(h): name for name, hs in d["sections"].items() if name != "end" for h in hs}
    headings = "|".join(regex.escape(h).replace(r"\ ", r"\s+")
                        for h in sorted(sections, key=len, reverse=True))
    m = d["measures"]
    one = functools.partial(regex.compile, flags=regex.IGNORECASE)
    return Vocab(
        fields=Fields.of(d["fields"]),
        lines=LinePatterns.of(d["lines"]),
        heading=one(rf"^(?P<h>{headings})\s*(?::|$)\s*(?P<rest>.*)$"),
        sections=sections,
        end=compile_all(d["sections"]["end"]),
        dxa=compile_all(d["report"]["dxa"]),
        age_sex=one(d["report"]["age_sex"]),
        vfa=compile_all(d["report"]["vfa"]),
        menopause=tuple((status, one(p)) for status, p in d["menopause"].items()),
        sentences=SentenceVocab(
            sites=tuple((one(p), Site(site)) for p, site in d["sites"].items()),
            spine_range=one(m["spine_range"]), region_side=one(m["region_side"]),
            scores=tuple((name, one(m[name])) for name in ("t_score", "z_score", "bmd")),
            bmd_unit=one(m["bmd_unit"]), respectively=one(m["respectively"])),
        fractures=FractureWords.of(d["fractures"]),
    )


def is_dxa_text(lines: list[Line]) -> bool:
    return any(p.search(line.text) for line in lines for p in vocab().dxa)


def read_narrative(lines: list[Line], draft: Draft, *, measurements: bool) -> None:
    """Fill `draft` from the report's text: all of it for a narrative report (`measurements`), only
    what headed sections state (history, impression …) when a scanner page's tables were read."""
    v = vocab()
    parts = _sections(lines, v)
    if not measurements:     # a scanner page: its header and tables are read already
        parts.pop("")
    for line in parts.get("", []):
        for what, value in v.fields.read(line):
            draft.fill(what, value)
    text = {name: _sentences(" ".join(ls)) for name, ls in parts.items()}
    draft.indications += text.get("history", [])
    if text.get("impression"):
        draft.impression = " ".join(text["impression"])
    _patient([s for sentences in text.values() for s in sentences], v, draft)
    if measurements:
        body = text.get("findings") or [s for name, ss in text.items()
                                        if name not in ("history", "impression") for s in ss]
        for s in body:
            for m in measurements_in(s, v.sentences):
                draft.measure(m)
    _study([s for name in ("technique", "findings", "impression") for s in text.get(name, [])], v, draft)


def _study(stated: list[str], v: Vocab, draft: Draft) -> None:
    """Device, TBS and FRAX, and VFA with its fractures — only when VFA was done: a fracture seen on an
    old radiograph is no VFA finding, and must not bill one."""
    for s in stated:
        draft.line_values(s, v.lines)
    if any(first_affirmed(s, v.vfa, "procedure") for s in stated):
        draft.add_scan(Scan.VFA)
        for s in stated:
            draft.add_fractures(fractures_in(s, v.fractures))


def _sections(lines: list[Line], v: Vocab) -> dict[str, list[str]]:
    """Line texts by section ("" before the first heading), up to the signature block."""
    out: dict[str, list[str]] = {"": []}
    current = ""
    for line in lines:
        text = " ".join(line.text.split())
        if any(p.search(text) for p in v.end):
            break
        if m := v.heading.match(text):
            current, text = v.sections[normalize_label(m["h"])], m["rest"]
            out.setdefault(current, [])
        if text:
            out[current].append(text if current else line.text)
    return out


def _patient(sentences: list[str], v: Vocab, draft: Draft) -> None:
    for s in sentences:
        if m := v.age_sex.search(s):
            draft.fill("age", m["age"])
            draft.fill("sex", m["sex"])
        for status, pattern in v.menopause:
            if first_affirmed(s, (pattern,), "condition"):
                first(draft.patient, "menopausal_status", status)


def _sentences(text: str) -> list[str]:
    return [s for s in (" ".join(p.split()) for p in _SENTENCE_END.split(text)) if s]
