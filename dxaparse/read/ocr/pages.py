"""The images of a PDF's text-less pages, and report screenshots on pages with text, at the resolution
they were embedded at.

A page that is one embedded image (a scan, a screenshot saved as PDF) is read from that image's own
pixels: re-rendering a 72-dpi embed at 300 dpi would only smear it, and knowing its real resolution is
what tells `prepare` how much to upscale. Pages of several images or rotated ones are rendered whole.

A screenshot on a page with text (a printout pasted under a slide's title) is read alone, placed where
it lies on the page: its own pixels, or the page rendered cropped to it when it is rotated, so that the
page's text (read from its text layer) is not read a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ...errors import InputError
from ..pdf.document import _LOCK as PDFIUM_LOCK  # PDFium is not thread-safe: one lock for all its users
from ..pdf.document import SCREENSHOT_SHARE, image_share
from .engine import Placement
from .prepare import TARGET_DPI

_WHOLE_PAGE = 0.5
"""An image covering at least this share of the page is the page."""
SCREENSHOT_WIDTH_IN = 8.5
"""A screenshot is scaled to fit its slide or document, so its size there says nothing of the size of
the print it shows: it is taken to be as wide as a report page (Letter, as a DICOM report page without
pixel spacing), unless it lies on the page at a lower resolution still (then that one is its own)."""


@dataclass(frozen=True)
class PageImage:
    image: Image.Image
    dpi: float
    where: Placement


def image_pages(path: Path, password: str | None, pages: set[int]) -> list[int]:
    """Which of `pages` hold an image at all (the others are blank)."""
    with PDFIUM_LOCK, _open(path, password) as pdf:
        return [i for i in sorted(pages) if next(_images(pdf[i]), None) is not None]


def page_images(path: Path, password: str | None, pages: list[int]) -> list[PageImage]:
    with PDFIUM_LOCK, _open(path, password) as pdf:
        return [_page_image(pdf[i], i) for i in pages]


def screenshot_images(path: Path, password: str | None, pages: list[int]) -> list[PageImage]:
    """Every image of `pages` large enough to be a report screenshot (`SCREENSHOT_SHARE`), alone."""
    with PDFIUM_LOCK, _open(path, password) as pdf:
        out = []
        for i in pages:
            page = pdf[i]
            out += [_region(page, obj, i) for obj in _images(page, depth=1)
                    if image_share(page, obj) >= SCREENSHOT_SHARE]
        return out


def _region(page: pdfium.PdfPage, obj: pdfium.PdfImage, index: int) -> PageImage:
    width, height = page.get_size()
    native = _native(obj, index, width, height, whole=0.0)
    if native is not None:
        return replace(native, dpi=min(native.dpi, native.image.width / SCREENSHOT_WIDTH_IN))
    # rotated or mirrored: the page as it shows, cropped to the image, as wide as a report page at
    # TARGET_DPI (rendering above the image's own pixels only upscales them, as `prepare` would)
    left, bottom, right, top = obj.get_bounds()
    left, bottom, right, top = max(left, 0.0), max(bottom, 0.0), min(right, width), min(top, height)
    scale = max(TARGET_DPI / 72, TARGET_DPI * SCREENSHOT_WIDTH_IN / (right - left))
    crop = (left, bottom, width - right, height - top)
    image = page.render(scale=scale, grayscale=True, crop=crop).to_pil()
    return PageImage(image, TARGET_DPI, Placement(index, left, height - top, right - left, top - bottom))


def _page_image(page: pdfium.PdfPage, index: int) -> PageImage:
    width, height = page.get_size()
    images = list(_images(page))
    if len(images) == 1:
        native = _native(images[0], index, width, height)
        if native is not None:
            return native
    scale = TARGET_DPI / 72
    image = page.render(scale=scale, grayscale=True).to_pil()
    return PageImage(image, TARGET_DPI, Placement(index, 0.0, 0.0, width, height))


def _native(obj: pdfium.PdfImage, index: int, width: float, height: float,
            whole: float = _WHOLE_PAGE) -> PageImage | None:
    m = obj.get_matrix()
    left, bottom, right, top = obj.get_bounds()
    if m.b or m.c or m.a < 0 or m.d < 0 or (right - left) * (top - bottom) < whole * width * height:
        return None   # rotated, mirrored or a part of the page: render the page as it shows
    try:
        image = obj.get_bitmap(render=False).to_pil()
    except (pdfium.PdfiumError, ValueError):
        return None
    dpi = image.width / ((right - left) / 72)
    return PageImage(image, dpi, Placement(index, left, height - top, right - left, top - bottom))


def _images(page: pdfium.PdfPage, depth: int = 15) -> Iterator[pdfium.PdfImage]:
    return page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=depth)


@contextmanager
def _open(path: Path, password: str | None) -> Iterator[pdfium.PdfDocument]:
    try:
        pdf = pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError:
        raise InputError(path, "corrupt PDF: cannot be parsed") from None
    try:
        yield pdf
    finally:
        pdf.close()


def page_count(path: Path, password: str | None) -> int:
    with PDFIUM_LOCK, _open(path, password) as pdf:
        return len(pdf)
