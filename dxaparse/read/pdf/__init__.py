"""PDF reports — a scanner's printed results page or a radiologist's signed report — as `Findings`.

The text layer is read once into positioned words (`document`), grouped into lines (`words`), and
read by layout data (`layouts`, `table`, `scanner`) or as free text (`narrative`). The readers take
words, never a PDF object, so OCR words can be fed to them as they are.

OCR (read/ocr) reads what the text layer lacks: pages without text that hold an image, and report
screenshots — a page whose text alone holds no report (a slide's title and number, a caption) but which
carries a large image (`SCREENSHOT_SHARE`): that image is read and its words join the page's text words.
A page whose text is a report on its own is never read by OCR.

A damaged file (`damage`: a stream that does not decode) is read as far as PDFium can, since what it
draws is what the page shows up to the damage; the result carries a `damaged` doubt (flag
`damaged_input`), and a file from which nothing could be read is refused as damaged. Inputs over the
resource limits (`ReadOptions.max_pages`, `max_page_pixels`) are refused before they are read.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from ...models import Doubt, DoubtReason, Findings, Source
from ..damaged import DamagedInput
from ..files import sha256_file
from ..layout.report import read_report, vendor_of
from ..layout.values import DateOrder
from ..layout.words import Line, dedupe, group_lines
from ..options import DEFAULTS, ReadOptions
from .damage import find_damage
from .document import TextLayer, read_text_layer

NOT_A_REPORT = "not a DXA report"


def read_pdf(path: Path, options: ReadOptions = DEFAULTS, *, sha256: str | None = None) -> Findings:
    """Read one PDF report; pages without a text layer and report screenshots on pages whose text is
    no report are read by OCR when `options.ocr` (see read/ocr). A damaged file is read with a
    `damaged` doubt, or refused as damaged when nothing could be read from it. `sha256`: the file's
    content hash, as its entry point has it (`unit.Unit`); hashed here only when not given."""
    damage = find_damage(path, options)
    try:
        findings = _read(path, options, sha256_file(path) if sha256 is None else sha256)
    except InputError as err:
        if damage is None:
            raise
        raise DamagedInput(path, f"damaged PDF: {damage}; {err.reason}") from None
    if damage is not None:
        findings.exam.doubts = [*findings.exam.doubts, Doubt(
            field="source", reason=DoubtReason.DAMAGED,
            detail=f"damaged PDF: {damage}; what could be read from it is coded")]
    return findings


def _read(path: Path, options: ReadOptions, sha256: str) -> Findings:
    password, ocr, order = options.password, options.ocr, options.date_order
    try:
        layer = read_text_layer(path, options)
    except InputError as err:
        if not err.reason.startswith("image-only PDF"):
            raise
        from ..ocr.pdf import ocr_pdf
        return ocr_pdf(path, options, [], err.reason, sha256=sha256)
    lines = group_lines(dedupe(layer.words))
    source = Source(path=str(path), kind="pdf", vendor=vendor_of(lines), sha256=sha256)
    shots = _screenshots(layer, lines, source, order)
    if ocr and (layer.blank_pages or shots):
        from ..ocr.pdf import available, has_image_pages, ocr_pdf
        if (shots and available()) or has_image_pages(path, password, layer.blank_pages):
            return ocr_pdf(path, options, layer.words, "page without a text layer", shots, sha256=sha256)
    if not shots:
        return read_report(lines, source, order, layer.sizes)
    # OCR is off or not installed: the text alone, or an error that names the image OCR could read
    try:
        findings = read_report(lines, source, order, layer.sizes)
    except InputError as err:
        if not err.reason.startswith(NOT_A_REPORT):
            raise
        raise InputError(path, f"{err.reason}; {_unread(shots, ocr)}") from None
    if _empty(findings):
        raise InputError(path, f"{NOT_A_REPORT}: its text holds no results; {_unread(shots, ocr)}")
    return findings


def _screenshots(layer: TextLayer, lines: list[Line], source: Source, order: DateOrder) -> list[int]:
    """Pages whose text alone holds no report but which carry an image large enough to be one."""
    out = []
    for page in layer.screenshot_pages:
        try:
            own = read_report([line for line in lines if line.page == page], source, order)
        except InputError as err:
            if err.reason.startswith(NOT_A_REPORT):
                out.append(page)
            continue   # a results table it could not read: a report page all the same
        if _empty(own):
            out.append(page)
    return out


def _empty(findings: Findings) -> bool:
    """No result of any kind: a title that names DXA, a caption, a slide number."""
    return not (findings.measurements or findings.exam.scans or findings.vfa.performed or findings.tbs
                or findings.frax or findings.impression)


def _unread(pages: list[int], ocr: bool) -> str:
    from ..ocr.pdf import HINT
    where = f"page {pages[0] + 1}" if len(pages) == 1 else f"pages {', '.join(str(p + 1) for p in pages)}"
    return f"{where} {'holds an image' if len(pages) == 1 else 'hold images'} that OCR could read " \
           f"({'OCR is off' if not ocr else HINT})"
