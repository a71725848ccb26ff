"""Synthetic image-only DXA reports for the OCR reader, each with the JSON `dxaparse code` must give.

    .venv/bin/python samples/generate_ocr.py [OUT_DIR]      (default samples/ocr; run from the repo root)

Each text PDF of samples/pdf named in `SAMPLES` is rendered by PDFium to one grey image per page at
72, 150 and 300 dpi and wrapped as a PDF whose only content is that image: what a report becomes when
it is screenshotted into a slide (72), scanned or faxed (150, 300). 150-dpi pages keep 4 grey levels
and 300-dpi ones are bilevel (CCITT G4), as scanners and fax machines save them: the files stay small.

`<name>.expected.json` is the text sample's expected JSON with the source and `ocr` marks changed: at
150 dpi and above OCR must reproduce every value exactly. At 72 dpi it is the truth the tests hold each
value to — exact, or doubted and flagged for review.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

SAMPLES = ("hologic-spine-hip-pram", "ge-encore-v12", "norland-spine-hip")
DPIS = (72, 150, 300)
SOURCE = Path("samples/pdf")
_EPOCH = time.gmtime(1704067200)   # fixed dates: re-running the generator changes no bytes
OCR_LABELS = {"L2 - L4": "L2-L4"}
"""Printed labels OCR gives differently: Tesseract joins a hyphen set off by spaces to its words."""


def image_pdf(text_pdf: Path, out: Path, dpi: int) -> None:
    """Every page of `text_pdf` as one image of `dpi`, drawn over the whole page of a new PDF."""
    src = pdfium.PdfDocument(str(text_pdf))
    try:
        width, height = src[0].get_size()
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in src]
    finally:
        src.close()
    if dpi >= 300:   # bilevel, CCITT G4 as fax machines and document scanners store it
        pages = [image.point(lambda v: 255 if v > 200 else 0).convert("1") for image in images]
        pages[0].save(out, save_all=True, append_images=pages[1:], resolution=dpi, creationDate=_EPOCH,
                      modDate=_EPOCH, producer="dxaparse sample generator")
        return
    c = Canvas(str(out), pagesize=(width, height), invariant=1)
    for image in images:
        c.drawImage(ImageReader(image.quantize(4).convert("L") if dpi >= 150 else image), 0, 0, width, height)
        c.showPage()
    c.save()


def expected(name: str, path: str, sha256: str) -> dict:
    want = json.loads((SOURCE / f"{name}.expected.json").read_text(encoding="utf-8"))
    want["source"].update(path=path, sha256=sha256)
    for m in want["measurements"]:
        m.update(ocr=True, label=OCR_LABELS.get(m["label"], m["label"]))
    if basis := want["coding"]["basis"]:
        basis["label"] = OCR_LABELS.get(basis["label"], basis["label"])
    return want


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("samples/ocr")
    out.mkdir(parents=True, exist_ok=True)
    for name in SAMPLES:
        for dpi in DPIS:
            pdf = out / f"{name}-{dpi}dpi.pdf"
            image_pdf(SOURCE / f"{name}.pdf", pdf, dpi)
            want = expected(name, f"samples/ocr/{pdf.name}", hashlib.sha256(pdf.read_bytes()).hexdigest())
            text = json.dumps(want, indent=2, ensure_ascii=False) + "\n"
            (out / f"{pdf.stem}.expected.json").write_text(text, encoding="utf-8")
            print(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
