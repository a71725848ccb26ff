"""Printed values: numbers and table cells as reports print them, dates in any printed form, sex.

A value is read exactly or not at all: a blank cell is None, never a guess, and a cell that is neither a
number nor blank is reported as text for the caller to doubt, never turned into a number. Digits too
many for a float (which `float` reads as infinity) are not a number either: no result holds infinity.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from enum import Enum

import regex

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"), "-")
_MARKS = "*\u2020\u2021"   # *, †, ‡: footnote markers printed next to a value
_NUMBER = regex.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)%?")
_BLANKS = {"", "-", "--", "---", "n/a", "na"}
_STARS = regex.compile(r"^\*{2,}$")
_CELL = regex.compile(r"(?P<n>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<unit>%|mg/cm2|g/cm2|mg|g|cm2|cm)?")
_MILLI = {"mg/cm2", "mg"}
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
    if not _NUMBER.fullmatch(s) or not math.isfinite(v := float(s.rstrip("%"))):
        raise ValueError(text)
    return v


class Cell(Enum):
    NUMBER = "number"
    BLANK = "blank"      # printed blank: "-", "*****", "n/a"
    TEXT = "text"        # neither: an unreadable value, or no value at all


@dataclass(frozen=True)
class CellValue:
    kind: Cell
    value: float | None = None


def cell_value(text: str, column: str = "") -> CellValue:
    """A table cell: a number in the column's units (mg/cm² and mg printed beside the value or in the
    column header are converted to g/cm² and g), a blank, or text."""
    s = clean(text)
    if s.lower() in _BLANKS or _STARS.match(s):
        return CellValue(Cell.BLANK)
    m = _CELL.fullmatch(s)
    if not m or not math.isfinite(v := float(m["n"])):
        return CellValue(Cell.TEXT)
    if m["unit"] in _MILLI or (m["unit"] is None and "mg/cm" in unicodedata.normalize("NFKC", column)):
        v = round(v / 1000, 6)
    return CellValue(Cell.NUMBER, v)


def head_norm(text: str) -> str:
    """A header text as the column vocabulary writes it: NFKC, lower case, "T - score" → "t-score"."""
    s = unicodedata.normalize("NFKC", text).translate(_DASHES).replace("\u2019", "'").lower()
    return regex.sub(r"\s*-\s*", "-", " ".join(s.split()))


def is_number(text: str) -> bool:
    try:
        return number(text) is not None
    except ValueError:
        return False


def first_number(text: str) -> float | None:
    m = _FIRST_NUMBER.search(clean(text))
    return float(m.group()) if m else None


class DateOrder(Enum):
    """How a numeric date whose first two parts could both be the month is read (a site setting)."""

    MONTH_FIRST = "month-first"     # 04/05/2019 = April 5 (US printouts)
    DAY_FIRST = "day-first"         # 04/05/2019 = 4 May


_MONTHS = {m.lower(): k for k, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATES = (
    ("iso", regex.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")),
    ("named", regex.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)",
                            regex.IGNORECASE)),
    ("named", regex.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s-]+{_MONTH}[\s,-]+(?P<y>\d{{4}})"
                            r"(?!\d)", regex.IGNORECASE)),
    ("dotted", regex.compile(r"(?<![\d.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![\d.])")),
    ("numeric", regex.compile(r"(?<![\d/-])(?P<a>\d{1,2})(?P<sep>[/-])(?P<b>\d{1,2})(?P=sep)"
                              r"(?P<y>\d{4}|\d{2})(?![\d/-])")),
)


def date(text: str, order: DateOrder = DateOrder.MONTH_FIRST) -> dt.date | None:
    """The first date printed in `text`, in any common form: `December 04, 2019`, `4 Dec 2019`,
    `2019-12-04`, `04.12.2019` (dots: day first), `12/04/2019` and `5/6/2002` (slashes: `order` decides,
    unless one part is over 12). Two-digit years are 19xx/20xx by the nearest century. None if none."""
    found = []
    for kind, pattern in _DATES:
        if m := pattern.search(text):
            found.append((m.start(), kind, m))
    for _, kind, m in sorted(found, key=lambda f: f[0]):
        if (d := _date_of(kind, m, order)) is not None:
            return d
    return None


def _date_of(kind: str, m: regex.Match, order: DateOrder) -> dt.date | None:
    year = int(m["y"]) if len(m["y"]) == 4 else 2000 + int(m["y"])
    if len(m["y"]) == 2 and year > dt.date.today().year:
        year -= 100
    if kind == "iso":
        month, day = int(m["m"]), int(m["d"])
    elif kind == "named":
        month, day = _MONTHS[m["mon"].lower()[:3]], int(m["d"])
    else:
        a, b = int(m["a"]), int(m["b"])
        day_first = kind == "dotted" or a > 12 or (b <= 12 and order is DateOrder.DAY_FIRST)
        day, month = (a, b) if day_first else (b, a)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def sex(text: str) -> str | None:
    """F / M / O from "Female", "F", "male", "Other"; None when not stated."""
    words = clean(text).lower().split()
    word = words[0] if words else ""
    return {"f": "F", "female": "F", "woman": "F", "lady": "F", "m": "M", "male": "M", "man": "M",
            "gentleman": "M", "o": "O", "other": "O"}.get(word)
