"""OCR words made readable for the layout readers, each change and each doubt noted.

The layout readers refuse a cell that is not a number, which is right for a text layer and would make
one misread glyph sink a whole OCR page. So a word that stands for a number is mended here where the
glyph confusion is a known one (`O`→0, `l`→1, `§`→5, a comma decimal) — with a note of what was
printed, so the value is doubted, never silently taken. Cells that cannot be mended are blanked, with
a note, where the table reader meets them (pdf.py).
"""

from __future__ import annotations

import functools

import regex

from ...vendors import normalize_label
from ..layout.layouts import scanner_layouts
from ..layout.values import number
from ..layout.words import Word, group_lines
from .engine import OcrWord

CONF_MIN = 70.0
"""Numbers Tesseract is less sure of than this (0–100) are doubted (benchmarks/OCR_RESULTS.md)."""

LOST_MINUS = "minus sign seen only in the second reading"
UNSURE_TEXT = "unsure reading"
"""Note prefix of a word holding digits that is no number (a date, an ID): it matters in the header."""
_DIGIT_LIKE = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "i": "1", "|": "1",
                             "!": "1", "S": "5", "s": "5", "§": "5", "$": "5", "B": "8", "g": "9", "q": "9",
                             "\u2014": "-", "\u2013": "-", "~": "-", "_": "-"})
_NUMBER_LIKE = regex.compile(r"[+\-~_\u2013\u2014]?[\dOoQDlIi|!Ss§$Bgq]+(?:[.,][\dOoQDlIi|!Ss§$Bgq]+)?%?")
_SPINE = regex.compile(r"[Ll][Il|!i]?[1-5il|!I](?:[-,][Llt]?[Il|!i]?[1-5il|!I])*")
_BRACES = str.maketrans("{}[]", "()()")


def mend(ocr: OcrWord) -> list[tuple[Word, str | None]]:
    """The word(s) as the readers should get them, each with a note when its value is in doubt.

    A lone `|` is a table rule, not text; a unit glued to its word ("Ref.(%)") is split off it."""
    w = ocr.word
    text = w.text.translate(_BRACES)
    if text == "|":
        return []
    if _SPINE.fullmatch(text):        # "Li-t2", "LI1-L4": only a digit 1–5 can end each part
        parts = regex.split(r"([-,])", text)
        return [(_with(w, "".join(p if p in "-," else "L" + p[-1].translate(_DIGIT_LIKE) for p in parts)),
                 None)]
    if any(c.isdigit() for c in text):
        text, note = _number(text, ocr)
        return [(_with(w, text), note)]
    if (cut := text.find("(")) > 0:
        x = w.x0 + (w.x1 - w.x0) * cut / len(text)
        return [(Word(_known_word(text[:cut]), w.x0, x, w.top, w.bottom, w.page), None),
                (Word(_known_word(text[cut:]), x, w.x1, w.top, w.bottom, w.page), None)]
    return [(_with(w, _known_word(text)), None)]


def mend_units(words: list[Word]) -> list[Word]:
    """A column header's unit misread past `_known_word` ("Area (cm)" for "Area (cm²)") set to the unit
    a layout prints after that word: an unknown unit would be a column of its own, taking the values."""
    names = _column_names()
    out = list(words)
    for line in group_lines(words):
        for a, b in zip(line.words, line.words[1:], strict=False):
            first, unit = normalize_label(a.text), normalize_label(b.text)
            if f"{first} {unit}" in names or not unit.startswith("("):
                continue
            known = [n.split(" ", 1)[1] for n in names if n.startswith(f"{first} (")]
            best = min(known, key=lambda u: edit_distance(unit, u), default=None)
            if best is not None and edit_distance(unit, best) <= 2:
                out[out.index(b)] = _with(b, best)
    return out


@functools.cache
def _column_names() -> frozenset[str]:
    return frozenset(name for layout in scanner_layouts() for name in layout.columns.names)


def unsure_text(ocr: OcrWord) -> str | None:
    """Why a word holding digits but no number (a date, a patient ID) is in doubt, or None.

    Numbers get their notes from `mend`; for these only Tesseract's confidence tells: the digits-only
    reading misreads their letters and separators as digits (measured on the samples: it disagreed on
    correct 300-dpi dates and IDs)."""
    text = ocr.word.text
    if ocr.digits is None or value(text) is not None or ocr.conf >= CONF_MIN:
        return None
    return f"{UNSURE_TEXT} {text!r} (confidence {ocr.conf:.0f}%)"


def value(text: str) -> float | None:
    """A mended word's number, None when it is none."""
    try:
        return number(text)
    except ValueError:
        return None


def _number(text: str, ocr: OcrWord) -> tuple[str, str | None]:
    check = value(ocr.digits) if ocr.digits else None
    if (first := value(text)) is not None:
        if check is not None and check == -first:
            # a faint minus is what a page pass drops, and a box read alone drops it too: the signed
            # reading stands, its sign to be confirmed by the score's percent (verify)
            return (text, None) if first < 0 else (f"-{text}", f"{LOST_MINUS} ({text!r}, {ocr.digits!r})")
        if ocr.digits is not None and check != first:
            return text, f"read as {text!r} and, digits only, as {ocr.digits!r}"
        if ocr.conf < CONF_MIN:
            return text, f"read as {text!r} with low confidence ({ocr.conf:.0f}%)"
        return text, None
    if not _NUMBER_LIKE.fullmatch(text):
        return text, None   # a date, a version, "1.0%,", "%.73": text (pdf.py blanks it if it is a cell)
    return text.translate(_DIGIT_LIKE).replace(",", "."), f"read as {text!r}"


def _known_word(text: str) -> str:
    """A unit, score name or field label with a glyph or two misread ("(g/cm?)", "ZScore", "Physican:")
    as the layouts print it: headers must match exactly for the columns to be found. Plain words are
    left alone unless they end in a colon: "March" is no misread "match"."""
    core = text.strip("|").rstrip(":,;")
    norm = normalize_label(core)
    vocabulary = _vocabulary()
    if norm in vocabulary or len(norm) < 3:
        return text.strip("|")
    best = min(vocabulary, key=lambda v: (edit_distance(norm, v), abs(len(v) - len(norm))))
    if best.isalpha() and not text.endswith(":"):
        return text.strip("|")
    limit = 2 if len(norm) >= 6 else 1
    ok = 0 < edit_distance(norm, best) <= min(limit, len(norm) // 3)
    return best + text[text.index(core) + len(core):].strip("|") if ok else text.strip("|")


@functools.cache
def _vocabulary() -> frozenset[str]:
    words = set()
    for layout in scanner_layouts():
        words |= layout.columns.words | {w for label in layout.fields.fills for w in label.split()}
    return frozenset(w for w in words if len(w) >= 3)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how far an OCR reading is from a known word (also the accuracy benchmark's)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _with(w: Word, text: str) -> Word:
    return w if text == w.text else Word(text, w.x0, w.x1, w.top, w.bottom, w.page)
