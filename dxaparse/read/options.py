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


DEFAULTS = ReadOptions()
"""No password, OCR on, month-first dates: what a reader called without options uses."""
