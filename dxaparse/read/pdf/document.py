"""Open a PDF and read its text layer once per page as positioned words, or say why it cannot be read.

PDFium (pypdfium2) does the reading: it gets a page's characters about ten times faster than
pdfplumber, which parses every page object in Python, and it already merges fake-bold text that a
report draws twice in a row. PDFium is not thread-safe, hence the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ...errors import InputError
from ..layout.words import Word

_LOCK = threading.Lock()
_GAP = 0.5
"""A gap wider than this many character heights ends a word even where PDFium put no space."""
_UNKNOWN = "\ufffd"
"""A drawn glyph with no known character: kept, so that a value holding one is refused, not misread
(a minus sign lost this way would turn −2.5 into 2.5)."""


@dataclass(frozen=True)
class TextLayer:
    words: list[Word]
    pages: int       # the page count, so that pages without text are known without opening it again

    @property
    def blank_pages(self) -> set[int]:
        return set(range(self.pages)) - {w.page for w in self.words}


def read_text_layer(path: Path, password: str | None = None) -> TextLayer:
    """Every word of every page; `InputError` for encrypted, corrupt, empty or image-only files."""
    with _LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path), password=password)
        except pdfium.PdfiumError as err:
            raise InputError(path, _unopenable(path, err, password)) from None
        except OSError as err:
            raise InputError(path, f"cannot open: {err.strerror or err}") from None
        try:
            words = []
            for index in range(len(pdf)):
                words.extend(_page_words(path, pdf, index))
            if not words:
                raise InputError(path, _no_text(pdf))
            return TextLayer(words, len(pdf))
        finally:
            pdf.close()


def _page_words(path: Path, pdf: pdfium.PdfDocument, index: int) -> list[Word]:
    try:
        page = pdf[index]
        textpage = page.get_textpage()
    except pdfium.PdfiumError:
        raise InputError(path, f"corrupt PDF: page {index + 1} cannot be read") from None
    try:
        return _words(textpage.raw, index, page.get_height())
    finally:
        textpage.close()
        page.close()


def _words(textpage, index: int, height: float) -> list[Word]:
    """Characters → words: PDFium's own spaces and line ends split them, and so do wide gaps."""
    words: list[Word] = []
    rect = pdfium_c.FS_RECTF()
    chars: list[str] = []
    x0 = x1 = top = bottom = 0.0
    for k in range(pdfium_c.FPDFText_CountChars(textpage)):
        ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, k))
        if not ch.isspace() and pdfium_c.FPDFText_GetLooseCharBox(textpage, k, rect):
            if not ch.isprintable():
                ch = _UNKNOWN
            t, b = height - rect.top, height - rect.bottom
            if chars and not (x0 <= rect.left <= x1 + _GAP * (b - t) and abs(t - top) <= _GAP * (b - t)):
                words.append(Word("".join(chars), x0, x1, top, bottom, index))
                chars = []
            if chars:
                x1, bottom = max(x1, rect.right), max(bottom, b)
            else:
                x0, x1, top, bottom = rect.left, rect.right, t, b
            chars.append(ch)
        elif chars:
            words.append(Word("".join(chars), x0, x1, top, bottom, index))
            chars = []
    if chars:
        words.append(Word("".join(chars), x0, x1, top, bottom, index))
    return words


def _no_text(pdf: pdfium.PdfDocument) -> str:
    if len(pdf) == 0:
        return "PDF has no pages"
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            if next(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]), None) is not None:
                return "image-only PDF: no text layer"
        finally:
            page.close()
    return "blank PDF: no text and no images"


def _unopenable(path: Path, err: pdfium.PdfiumError, password: str | None) -> str:
    # First: PDFium refuses a page-less document without setting an error of its own, so the code it
    # reports then is left over from an earlier document.
    if _page_count(path) == 0:
        return "PDF has no pages"
    if err.err_code == pdfium_c.FPDF_ERR_PASSWORD:
        return ("encrypted PDF: wrong password" if password
                else "encrypted PDF: password required (use --password)")
    if err.err_code == pdfium_c.FPDF_ERR_SECURITY:
        return "encrypted PDF: unsupported security handler"
    if err.err_code == pdfium_c.FPDF_ERR_FILE:
        return "cannot open: file unreadable"
    return "corrupt PDF: cannot be parsed"


def _page_count(path: Path) -> int | None:
    """Pages as pdfminer counts them; None when it cannot open the file either."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            return len(pdf.pages)
    except Exception:  # any parse failure means "corrupt", which the caller reports
        return None
