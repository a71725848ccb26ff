"""How to read: the one options object every reader takes, built once per run by `pipeline`.

A reader deep in the tree (a PDF inside a DICOM object, an OCR'd page) needs the same choices as the
entry point that started it, so they travel together instead of as loose keyword arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout.values import DateOrder


@dataclass(frozen=True)
class ReadOptions:
    password: str | None = None                   # of encrypted PDF reports
    ocr: bool = True                              # read image-only pages and report screenshots by OCR
    date_order: DateOrder = DateOrder.MONTH_FIRST  # how 03/05/2024 is read (a site setting)
    # Resource limits (site settings, docs/configuration.md): a small hostile file can name 20,000 pages
    # or a page of a square kilometre, and reading or rendering it would take minutes or gigabytes. An
    # input over a limit is refused before the work it would cost. DXA reports run to 1-6 pages; a Letter
    # page at the OCR resolution (300 dpi) is 8.4 megapixels, a tabloid page 15.
    max_pages: int = 50                           # pages of a PDF, frames of a DICOM report page
    max_page_pixels: int = 40_000_000             # one page or image as OCR reads it (after upscaling)


DEFAULTS = ReadOptions()
"""No password, OCR on, month-first dates, the default limits: what a reader called without options uses."""
