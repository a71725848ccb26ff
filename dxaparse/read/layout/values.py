"""Printed values: numbers as reports print them, dates, sex, and the error for what cannot be read.

A value is read exactly or refused: a blank cell is None, never a guess, and a cell that is neither a
number nor blank is an error that names where it was printed.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import regex

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"), "-")
_MARKS = "*\u2020\u2021"   # *, †, ‡: footnote markers printed next to a value
_NUMBER = regex.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)%?")
_BLANKS = {"", "-", "--", "---", "n/a", "na"}
_FIRST_NUMBER = regex.compile(r"\d+(?:\.\d+)?")


class ReportError(ValueError):
    """Report content that cannot be read as printed; the reader names the file."""


def clean(text: str) -> str:
    """NFKC, unicode minus and dashes as "-", footnote markers removed."""
    s = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return s.strip().strip(_MARKS).strip()


def number(text: str) -> float | None:
    """A printed cell's value: None when blank or a dash, ValueError when it is not a number."""
    s = clean(text)
    if s.lower() in _BLANKS:
        return None
    if not _NUMBER.fullmatch(s):
        raise ValueError(text)
    return float(s.rstrip("%"))


def is_number(text: str) -> bool:
    try:
        return number(text) is not None
    except ValueError:
        return False


def first_number(text: str) -> float | None:
    m = _FIRST_NUMBER.search(clean(text))
    return float(m.group()) if m else None


def date(text: str, formats: tuple[str, ...]) -> dt.date | None:
    """The date a field value starts with ("03/05/2024 9:41:22 AM" → 2024-03-05), in the layout's formats."""
    words = text.split()
    for n in range(min(len(words), 4), 0, -1):
        head = " ".join(words[:n])
        for fmt in formats:
            try:
                return dt.datetime.strptime(head, fmt).date()
            except ValueError:
                continue
    return None


def sex(text: str) -> str | None:
    """F / M / O from "Female", "F", "male", "Other"; None when not stated."""
    words = clean(text).lower().split()
    word = words[0] if words else ""
    return {"f": "F", "female": "F", "woman": "F", "lady": "F", "m": "M", "male": "M", "man": "M",
            "gentleman": "M", "o": "O", "other": "O"}.get(word)
