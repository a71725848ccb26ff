"""PDF reports — a scanner's printed results page or a radiologist's signed report — as `Findings`.

The text layer is read once into positioned words (`document`), grouped into lines (`words`), and
read by layout data (`layouts`, `table`, `scanner`) or as free text (`narrative`). The readers take
words, never a PDF object, so OCR words can be fed to them as they are.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from ...models import Findings, Source
from ..files import sha256_file
from ..layout.report import read_report, vendor_of
from ..layout.words import dedupe, group_lines
from .document import read_text_layer


def read_pdf(path: Path, password: str | None = None, ocr: bool = True) -> Findings:
    """Read one PDF report; pages without a text layer are read by OCR when `ocr` (see read/ocr)."""
    try:
        layer = read_text_layer(path, password)
    except InputError as err:
        if not err.reason.startswith("image-only PDF"):
            raise
        from ..ocr.pdf import ocr_pdf
        return ocr_pdf(path, password, [], ocr, err.reason)
    if ocr and layer.blank_pages:
        from ..ocr.pdf import has_image_pages, ocr_pdf
        if has_image_pages(path, password, layer.blank_pages):
            return ocr_pdf(path, password, layer.words, ocr, "page without a text layer")
    lines = group_lines(dedupe(layer.words))
    source = Source(path=str(path), kind="pdf", vendor=vendor_of(lines), sha256=sha256_file(path))
    return read_report(lines, source)
