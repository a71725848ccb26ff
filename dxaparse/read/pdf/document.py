"""Open a PDF and read its text layer once per page as positioned words, or say why it cannot be read.

PDFium (pypdfium2) does the reading: it gets a page's characters about ten times faster than
pdfplumber, which parses every page object in Python, and it already merges fake-bold text that a
report draws twice in a row. PDFium is not thread-safe, hence the lock.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ...errors import InputError
from ..layout.words import Pages, PageSize, Word
from ..limits import check_pages
from ..options import DEFAULTS, ReadOptions

PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe: one lock for all its users (this reader, the damage check, OCR)."""
_GAP = 0.5
"""A gap wider than this many character heights ends a word even where PDFium put no space."""
SCREENSHOT_SHARE = 0.2
"""An image covering at least this share of its page may be a report screenshot: a printout pasted
under a slide's title fills 25–45% of a 16:9 slide, a screenshot in a letter a third to a half of the
page, while logos, signatures and letterheads stay well below 10%. A page whose text holds no report
is read by OCR only where it carries such an image (read/pdf/__init__.py)."""
_UNKNOWN = "\ufffd"
"""A drawn glyph with no known character: kept, so that a value holding one is refused, not misread
(a minus sign lost this way would turn −2.5 into 2.5)."""


@dataclass(frozen=True)
class TextLayer:
    words: list[Word]
    pages: int       # the page count, so that pages without text are known without opening it again
    images: dict[int, float] = field(default_factory=dict)
    """Page → the share of its area its largest image covers, for pages that carry any image."""
    sizes: Pages = field(default_factory=dict)
    """Page → its size in points (the boxes of the values' evidence are drawn on it)."""

    @property
    def blank_pages(self) -> set[int]:
        return set(range(self.pages)) - {w.page for w in self.words}

    @property
    def screenshot_pages(self) -> list[int]:
        """Pages with text that carry an image large enough to be a report screenshot."""
        texts = {w.page for w in self.words}
        return sorted(p for p, share in self.images.items() if p in texts and share >= SCREENSHOT_SHARE)


def read_text_layer(path: Path, options: ReadOptions = DEFAULTS) -> TextLayer:
    """Every word of every page; `InputError` for encrypted, corrupt, empty or image-only files, and for
    more pages than `options.max_pages` (PDFium counts them from the page tree: no page is loaded)."""
    password = options.password
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path), password=password)
        except pdfium.PdfiumError as err:
            raise InputError(path, _unopenable(path, err, password)) from None
        except OSError as err:
            raise InputError(path, f"cannot open: {err.strerror or err}") from None
        try:
            check_pages(path, "PDF", len(pdf), options)
            words, images, sizes = [], {}, {}
            for index in range(len(pdf)):
                page_words, share, sizes[index] = _page_words(path, pdf, index)
                words.extend(page_words)
                if share:
                    images[index] = share
            if not words:
                raise InputError(path, _no_text(pdf))
            return TextLayer(words, len(pdf), images, sizes)
        finally:
            pdf.close()


def _page_words(path: Path, pdf: pdfium.PdfDocument, index: int) -> tuple[list[Word], float, PageSize]:
    """The page's words, the share of the page its largest image covers (0 without images), and the
    page's size."""
    try:
        page = pdf[index]
        textpage = page.get_textpage()
    except pdfium.PdfiumError:
        raise InputError(path, f"corrupt PDF: page {index + 1} cannot be read") from None
    try:
        width, height = page.get_size()
        words = _words(textpage.raw, index, height)
        return words, (image_share(page) if words else 0.0), PageSize(width, height)
    finally:
        textpage.close()
        page.close()


def image_share(page: pdfium.PdfPage, obj: pdfium.PdfImage | None = None) -> float:
    """The share of the page's area that `obj` (else its largest image) covers, clipped to the page."""
    x0, y0, x1, y1 = page.get_cropbox()
    width, height = x1 - x0, y1 - y0
    best = 0.0
    for left, bottom, right, top in [obj.get_bounds()] if obj is not None else _image_bounds(page):
        w, h = min(right, x1) - max(left, x0), min(top, y1) - max(bottom, y0)
        if w > 0 and h > 0:
            best = max(best, w * h / (width * height))
    return best


def _image_bounds(page: pdfium.PdfPage) -> Iterator[tuple[float, float, float, float]]:
    """The bounds of the page's own images (not those inside forms), by PDFium's C calls: a text
    report draws a hundred paths, and wrapping each in a Python object would cost a tenth of reading it."""
    bounds = [ctypes.c_float() for _ in range(4)]
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, i)
        if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_IMAGE and \
                pdfium_c.FPDFPageObj_GetBounds(obj, *(ctypes.byref(b) for b in bounds)):
            left, bottom, right, top = (b.value for b in bounds)
            yield left, bottom, right, top


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
