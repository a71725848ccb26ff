"""A radiologist's narrative report: history, technique, findings and impression in free text.

The coder compares the physician's impression with the numbers and codes the indications, so both
are kept verbatim; recognised indication keys are added only where the text states them without a
negation ("no history of steroid use" gives no `glucocorticoids`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import regex

from ...models import Scan, Site
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
    indications: tuple[tuple[str, tuple[regex.Pattern, ...]], ...]
    negation: regex.Pattern
    after: regex.Pattern
    medication: regex.Pattern
    medications: frozenset[str]
    clause: regex.Pattern
    sentences: SentenceVocab
    fractures: FractureWords


@functools.cache
def vocab() -> Vocab:
    d = load(NARRATIVE)
    sections = {normalize_label(h): name for name, hs in d["sections"].items() if name != "end" for h in hs}
    headings = "|".join(regex.escape(h).replace(r"\ ", r"\s+")
                        for h in sorted(sections, key=len, reverse=True))
    m, neg = d["measures"], d["negation"]
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
        indications=tuple((key, compile_all(ps)) for key, ps in d["indications"].items()),
        negation=one("|".join(neg["before"])),
        after=one("|".join(neg["after"])),
        medication=one("|".join(neg["medication"])),
        medications=frozenset(neg["medications"]),
        clause=one(neg["clause"]),
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
    _indications(text.get("history", []), v, draft)
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


def _indications(history: list[str], v: Vocab, draft: Draft) -> None:
    """Recognised keys first, then the history sentences verbatim (the coder reads both)."""
    for key, patterns in v.indications:
        drug = key in v.medications
        if any(_affirmed(s, m, v, drug) for s in history for p in patterns for m in p.finditer(s)):
            draft.indications.append(key)
    draft.indications += history


def _study(stated: list[str], v: Vocab, draft: Draft) -> None:
    """Device, TBS and FRAX, and VFA with its fractures — only when VFA was done: a fracture seen on an
    old radiograph is no VFA finding, and must not bill one."""
    for s in stated:
        draft.line_values(s, v.lines)
    if any(_affirmed(s, m, v) for s in stated for p in v.vfa for m in p.finditer(s)):
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
            if any(_affirmed(s, m, v) for m in pattern.finditer(s)):
                first(draft.patient, "menopausal_status", status)


def _affirmed(sentence: str, mention: regex.Match, v: Vocab, medication: bool = False) -> bool:
    """No negation in the mention's clause — before it, or right after it ("VFA was not performed") —
    nor, for a drug, past or planned use before it."""
    start = max((m.end() for m in v.clause.finditer(sentence, 0, mention.start())), default=0)
    end = next((m.start() for m in v.clause.finditer(sentence, mention.end())), len(sentence))
    before = sentence[start:mention.start()]
    return not (v.negation.search(before) or v.after.match(sentence[mention.end():end])
                or (medication and v.medication.search(before)))


def _sentences(text: str) -> list[str]:
    return [s for s in (" ".join(p.split()) for p in _SENTENCE_END.split(text)) if s]
