"""The images of a PDF's text-less pages, and report screenshots on pages with text, at the resolution
they were embedded at.

A page that is one embedded image (a scan, a screenshot saved as PDF) is read from that image's own
pixels: re-rendering a 72-dpi embed at 300 dpi would only smear it, and knowing its real resolution is
what tells `prepare` how much to upscale. Pages of several images or rotated ones are rendered whole.

A screenshot on a page with text (a printout pasted under a slide's title) is read alone, placed where
it lies on the page: its own pixels, or the page rendered cropped to it when it is rotated, so that the
page's text (read from its text layer) is not read a second time.

Every image is measured before it is decoded or rendered: its size as OCR reads it (`ocr_size`, after
upscaling) must stay within `ReadOptions.max_page_pixels`, since a page a few bytes long can name a
MediaBox of kilometres, or an image of a gigapixel, whose bitmap alone would take gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ...errors import InputError
from ..layout.words import Pages, PageSize
from ..limits import check_pixels
from ..options import ReadOptions
from ..pdf.document import PDFIUM_LOCK, SCREENSHOT_SHARE, image_share
from .engine import Placement
from .prepare import TARGET_DPI, ocr_size

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


def page_images(path: Path, options: ReadOptions, pages: list[int]) -> list[PageImage]:
    with PDFIUM_LOCK, _open(path, options.password) as pdf:
        return [_page_image(path, options, pdf[i], i) for i in pages]


def screenshot_images(path: Path, options: ReadOptions, pages: list[int]) -> list[PageImage]:
    """Every image of `pages` large enough to be a report screenshot (`SCREENSHOT_SHARE`), alone."""
    with PDFIUM_LOCK, _open(path, options.password) as pdf:
        out = []
        for i in pages:
            page = pdf[i]
            out += [_region(path, options, page, obj, i) for obj in _images(page, depth=1)
                    if image_share(page, obj) >= SCREENSHOT_SHARE]
        return out


def _region(path: Path, options: ReadOptions, page: pdfium.PdfPage, obj: pdfium.PdfImage,
            index: int) -> PageImage:
    width, height = page.get_size()
    native = _native(path, options, obj, index, width, height, whole=0.0, width_in=SCREENSHOT_WIDTH_IN)
    if native is not None:
        return native
    # rotated or mirrored: the page as it shows, cropped to the image, as wide as a report page at
    # TARGET_DPI (rendering above the image's own pixels only upscales them, as `prepare` would)
    left, bottom, right, top = obj.get_bounds()
    left, bottom, right, top = max(left, 0.0), max(bottom, 0.0), min(right, width), min(top, height)
    scale = max(TARGET_DPI / 72, TARGET_DPI * SCREENSHOT_WIDTH_IN / (right - left))
    _check_render(path, options, f"the image on PDF page {index + 1}", right - left, top - bottom, scale)
    crop = (left, bottom, width - right, height - top)
    image = page.render(scale=scale, grayscale=True, crop=crop).to_pil()
    return PageImage(image, TARGET_DPI, Placement(index, left, height - top, right - left, top - bottom))


def _page_image(path: Path, options: ReadOptions, page: pdfium.PdfPage, index: int) -> PageImage:
    width, height = page.get_size()
    images = list(_images(page))
    if len(images) == 1:
        native = _native(path, options, images[0], index, width, height)
        if native is not None:
            return native
    scale = TARGET_DPI / 72
    _check_render(path, options, f"PDF page {index + 1}", width, height, scale)
    image = page.render(scale=scale, grayscale=True).to_pil()
    return PageImage(image, TARGET_DPI, Placement(index, 0.0, 0.0, width, height))


def _check_render(path: Path, options: ReadOptions, what: str, width: float, height: float,
                  scale: float) -> None:
    """A region of `width` × `height` points rendered at `scale` pixels a point: within the limit?"""
    check_pixels(path, what, (round(width * scale), round(height * scale)), options)


def _native(path: Path, options: ReadOptions, obj: pdfium.PdfImage, index: int, width: float, height: float,
            whole: float = _WHOLE_PAGE, width_in: float | None = None) -> PageImage | None:
    """The image's own pixels at the resolution it lies on the page at (or at `width_in` inches wide,
    when that is lower), or None when it must be rendered as the page shows it."""
    m = obj.get_matrix()
    left, bottom, right, top = obj.get_bounds()
    if m.b or m.c or m.a < 0 or m.d < 0 or (right - left) * (top - bottom) < whole * width * height:
        return None   # rotated, mirrored or a part of the page: render the page as it shows
    try:
        pixels = obj.get_px_size()
    except pdfium.PdfiumError:
        return None
    dpi = pixels[0] / ((right - left) / 72)
    dpi = min(dpi, pixels[0] / width_in) if width_in else dpi
    check_pixels(path, f"the image on PDF page {index + 1}", ocr_size(*pixels, dpi), options)
    try:
        image = obj.get_bitmap(render=False).to_pil()
    except (pdfium.PdfiumError, ValueError):
        return None
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


def page_sizes(path: Path, password: str | None) -> Pages:
    """Every page's size in points (OCR words are placed on the page in points: the evidence's boxes)."""
    with PDFIUM_LOCK, _open(path, password) as pdf:
        return {i: PageSize(*pdf.get_page_size(i)) for i in range(len(pdf))}
