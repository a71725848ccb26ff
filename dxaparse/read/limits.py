"""The readers' resource limits (`ReadOptions.max_pages`, `max_page_pixels`, site settings of the same
names), checked before the work they bound, with one wording for every reader: the reason says which
limit an input exceeds and which setting raises it."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .options import ReadOptions


def check_pages(path: str | Path, what: str, count: int, options: ReadOptions) -> None:
    """Refuse `what` (a PDF, a report page object) of more than `max_pages` pages."""
    if count > options.max_pages:
        raise InputError(path, f"{what} has {count} pages; the limit is {options.max_pages} "
                               "(setting max_pages)")


def check_pixels(path: str | Path, what: str, size: tuple[int, int], options: ReadOptions) -> None:
    """Refuse `what` (a page, an image on it) whose image for OCR, `size` (width, height) after upscaling
    to the OCR resolution, exceeds `max_page_pixels`."""
    width, height = size
    if width * height > options.max_page_pixels:
        raise InputError(path, f"{what} is {width} × {height} pixels at the OCR resolution; the limit is "
                               f"{options.max_page_pixels} pixels (setting max_page_pixels)")
