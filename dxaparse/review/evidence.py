"""Where each number came from: the page images of a PDF source and the reader's evidence boxes.

A measurement's `evidence` (a list of `Evidence`: the field, a box on a page or the SR content item,
the text read, whether OCR read it) is kept by the readers; a result without it — stored before the
readers kept provenance, or a value with no box — shows no box, never an invented one. Boxes are in
PDF points from the page's top-left (for DICOM report page images, image pixels), with the page's size,
so the page picture draws them as an SVG overlay at any scale.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..models import ExamResult

SCALE = 1.5
"""Rendered pixels per PDF point (108 dpi): values stay legible, a page stays under a megabyte."""


@dataclass(frozen=True)
class Mark:
    """One evidence item of one measurement, ready for the page: `box` None when it has none."""

    measurement: int
    field: str
    text: str | None
    sr_item: str | None
    ocr: bool
    page: int | None = None
    x: float = 0.0          # the box as a share of the page's width / height (0–1)
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0


def marks(result: ExamResult) -> list[Mark]:
    """Every evidence item of the result's measurements (none before the readers kept them)."""
    out = []
    for n, m in enumerate(result.measurements):
        for ev in m.evidence:
            box = ev.box
            mark = Mark(n, ev.field, ev.text, ev.sr_item, ev.ocr)
            if box is not None:   # the model keeps page sizes above 0
                mark = Mark(n, mark.field, mark.text, mark.sr_item, mark.ocr, box.page,
                            box.x0 / box.page_width, box.top / box.page_height,
                            (box.x1 - box.x0) / box.page_width, (box.bottom - box.top) / box.page_height)
            out.append(mark)
    return out


def pdf_source(result: ExamResult) -> Path | None:
    """The PDF the result was read from, if it is one and still there (it may have been moved)."""
    path = Path(result.source.path)
    return path if result.source.kind == "pdf" and path.is_file() else None


def page_png(path: Path, page: int) -> bytes:
    """Page `page` (0-based) of a PDF as PNG, at `SCALE`; IndexError for a page it does not have."""
    import pypdfium2 as pdfium

    from ..read.pdf.document import PDFIUM_LOCK

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if not 0 <= page < len(pdf):
                raise IndexError(page)
            image = pdf[page].render(scale=SCALE).to_pil()
        finally:
            pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
