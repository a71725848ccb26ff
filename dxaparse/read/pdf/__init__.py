"""PDF reports — a scanner's printed results page or a radiologist's signed report — as `Findings`.

The text layer is read once into positioned words (`document`), grouped into lines (`words`), and
read by layout data (`layouts`, `table`, `scanner`) or as free text (`narrative`). The readers take
words, never a PDF object, so OCR words can be fed to them as they are.
"""

from __future__ import annotations

from pathlib import Path

from ...models import Findings, Source
from ..files import sha256_file
from .document import read_text_layer
from .report import read_report, vendor_of
from .words import dedupe, group_lines


def read_pdf(path: Path, password: str | None = None, ocr: bool = True) -> Findings:
    """Read one PDF report. Image-only PDFs fail for now, `ocr` or not (OCR is a later issue)."""
    lines = group_lines(dedupe(read_text_layer(path, password)))
    source = Source(path=str(path), kind="pdf", vendor=vendor_of(lines), sha256=sha256_file(path))
    return read_report(lines, source)
