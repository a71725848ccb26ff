"""PDF pages without a text layer, and report screenshots on pages whose text is no report, read by OCR
and then by the very layout readers text PDFs use."""

from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from ...models import Findings, Source, SourceKind
from ..layout.report import read_report, vendor_of
from ..layout.values import DateOrder
from ..layout.words import Pages, PageSize, Word, dedupe, group_lines
from ..options import ReadOptions
from .engine import available, read_words
from .pages import PageImage, image_pages, page_images, page_sizes, screenshot_images
from .prepare import prepare
from .tokens import mend, mend_units, unsure_text
from .verify import verify

HINT = "install the ocr extra, pip install 'dxaparse[ocr]', to read it by OCR (see docs/ocr.md)"


def ocr_pdf(path: Path, options: ReadOptions, text_words: list[Word], reason: str,
            shots: list[int] | None = None, *, sha256: str = "") -> Findings:
    """Read a PDF whose pages lack text (all, or some besides `text_words`) with OCR of those pages,
    and of the screenshots on `shots`, pages whose text is no report: their large images are read
    alone and their words join the page's text words.

    `reason` is why the text layer alone cannot be read; it is the error when OCR is off or finds nothing.
    """
    password, ocr, order = options.password, options.ocr, options.date_order
    text_pages = {w.page for w in text_words}
    sizes = page_sizes(path, password)
    blank = set(sizes) - text_pages
    usable = ocr and available()
    pages = image_pages(path, password, blank) if usable else []
    shots = shots if usable and shots else []
    if not pages and not shots:
        if text_words:
            return _read(path, sha256, text_words, {}, set(), order, sizes)
        raise InputError(path, reason if not ocr or available() else f"{reason} ({HINT})")
    images = [*page_images(path, options, pages), *screenshot_images(path, options, shots)]
    words, notes = _ocr_words(images)
    if not words:
        if text_words:   # OCR adds nothing: the text layer as it is
            return _read(path, sha256, text_words, {}, set(), order, sizes)
        raise InputError(path, f"{reason}, and OCR found no text")
    return _read(path, sha256, [*text_words, *words], notes, {*pages, *shots}, order, sizes,
                 all_ocr=not text_words)


def ocr_page_images(path: Path, images: list[PageImage], kind: SourceKind, reason: str,
                    order: DateOrder = DateOrder.MONTH_FIRST) -> Findings:
    """Report pages that are images from any source (a DICOM Secondary Capture page), read by OCR and
    then by the layout readers, exactly as the image pages of a PDF are; `kind` is the source's kind.
    Their source's content hash is left to the caller (a DICOM object's is its study's business).
    Such a page is no PDF page: the evidence's boxes are in the image's pixels."""
    words, notes = _ocr_words(images)
    if not words:
        raise InputError(path, f"{reason}: OCR found no text")
    sizes = {i.where.page: PageSize(i.image.width, i.image.height, i.image.width / i.where.width)
             for i in images}
    return _read(path, "", words, notes, set(sizes), order, sizes, all_ocr=True, kind=kind)


def _ocr_words(images: list[PageImage]) -> tuple[list[Word], dict[Word, str]]:
    """Every word OCR reads on the page images, mended, with a note on each word in doubt: a number
    (mended, or its readings disagree) or any other word holding digits (a date, an ID) that Tesseract
    is unsure of — verify decides which of them matter."""
    words, notes = [], {}
    for image in images:
        for w in read_words(prepare(image.image, image.dpi), image.where):
            for mended, note in mend(w):
                words.append(mended)
                if note := note or unsure_text(w):
                    notes[mended] = note
    return mend_units(words), notes


def has_image_pages(path: Path, password: str | None, blank: set[int]) -> bool:
    """Whether any of a text PDF's `blank` pages (no text) is an image (a scanned page appended),
    which OCR can read."""
    return available() and bool(image_pages(path, password, blank))


def _read(path: Path, sha256: str, words: list[Word], notes: dict[Word, str], ocr_pages: set[int],
          order: DateOrder, sizes: Pages, all_ocr: bool = False, kind: SourceKind = "pdf") -> Findings:
    """The report, every value read by OCR verified (the table reader doubts unreadable cells itself)."""
    lines = group_lines(dedupe(words))
    source = Source(path=str(path), kind=kind, vendor=vendor_of(lines), sha256=sha256)
    findings = read_report(lines, source, order, sizes)
    return verify(findings, lines, notes, ocr_pages, all_ocr) if ocr_pages else findings
