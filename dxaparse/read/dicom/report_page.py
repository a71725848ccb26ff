"""Report pages sent as images: a Secondary Capture or CR object that is the printed report, not a scan.

Hologic APEX and GE enCORE can send the report as a rendered page (APEX: an RGB SC with series "Report"
or "DXA Report"). Such a page is told from a scan image by its header (the `[report_page]` rule of the
vendor files, documented in vendors/generic.toml and docs/ocr.md), its pixels are read by the very OCR
path of image-only PDF pages (prepare, Tesseract, verify, one layout reader per vendor), and what the
page does not say comes from the header, as for an Encapsulated PDF.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from PIL import Image
from pydicom.dataset import Dataset

from ... import vendors
from ...errors import InputError
from ...models import Findings
from ..limits import check_pages, check_pixels
from ..options import ReadOptions
from .header import text
from .identity import with_header
from .image import is_dxa_object
from .scan_names import scan_of_body_part, scan_of_name, scan_of_words

WHAT = "report page image"
LETTER_WIDTH_IN = 8.5
"""Without a pixel spacing, the page's width is taken to be a Letter page's (US vendors' default)."""
_DPI_RANGE = (50.0, 1200.0)
"""A pixel spacing giving a resolution outside this is not a page's; the Letter width is used instead."""
_SCAN_NAME_KEYWORDS = ("ProtocolName", "PerformedProcedureStepDescription", "SeriesDescription")


def _rule(vendor: str) -> dict[str, list[str]]:
    """generic.toml's `[report_page]` lists, with the vendor file's added."""
    out: dict[str, list[str]] = {}
    for data in (vendors.load_all()[vendors.GENERIC], vendors.vendor_data(vendor)):
        for key, values in data.get("report_page", {}).items():
            out.setdefault(key, [])
            out[key] += [v for v in values if v not in out[key]]
    return out


def _has_word(value: str, word: str) -> bool:
    return f" {vendors.normalize_label(word)} " in f" {' '.join(_words(value))} "


def _words(value: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in vendors.normalize_label(value)).split()


def is_report_page(ds: Dataset, vendor: str) -> bool:
    """Whether an SC/CR object is a rendered report page (see the module and generic.toml)."""
    rule = _rule(vendor)
    ours = (vendor != "unknown" or is_dxa_object(ds, vendor)
            or (text(ds, "Modality") or "").upper() in rule.get("modalities", []))
    if not ours:
        return False
    named = any(_has_word(value, word) for key in rule.get("attributes", [])
                if (value := text(ds, key)) for word in rule.get("words", []))
    if named:
        return True
    burned_in = (text(ds, "BurnedInAnnotation") or "").upper() == "YES"
    converted = (text(ds, "ConversionType") or "").upper() in rule.get("conversion_types", [])
    return burned_in and converted and not _names_a_scan(ds, vendor)


def _names_a_scan(ds: Dataset, vendor: str) -> bool:
    if any(scan_of_name(vendor, n) or scan_of_words(vendor, n)
           for k in _SCAN_NAME_KEYWORDS if (n := text(ds, k))):
        return True
    body_part = text(ds, "BodyPartExamined")   # an empty body part names no scan here
    return body_part is not None and scan_of_body_part(vendor, body_part) is not None


def read_report_page(path: Path, ds: Dataset, options: ReadOptions) -> Findings:
    """The report printed on the object's frames (one page each), read by OCR, gaps filled from the header."""
    from ..ocr import available
    from ..ocr.pdf import ocr_page_images

    if not options.ocr:
        raise InputError(path, f"{WHAT}: OCR is off")
    if not available():
        raise InputError(path, f"{WHAT}: OCR not available (install the ocr extra, "
                               "pip install 'dxaparse[ocr]')")
    findings = ocr_page_images(path, page_images(path, ds, options), "dicom-image", WHAT, options.date_order)
    return with_header(findings, ds, path)


def page_images(path: Path, header: Dataset, options: ReadOptions) -> list:
    """Each frame of the object as a page image at its effective resolution, placed on its own page.
    Frames and their size are checked against the limits from the `header` before any pixel is decoded."""
    from ..ocr.engine import Placement
    from ..ocr.pages import PageImage
    from ..ocr.prepare import ocr_size

    rows, columns = _int(header, "Rows"), _int(header, "Columns")
    check_pages(path, WHAT, _int(header, "NumberOfFrames") or 1, options)
    if rows and columns:   # without them pydicom cannot decode the pixels either, and says so below
        check_pixels(path, WHAT, ocr_size(columns, rows, page_dpi(header, columns)), options)
    try:
        ds = pydicom.dcmread(path, force=True)
        pixels = ds.pixel_array
    except Exception as err:  # a decoder missing, a bad length: the pixels are unreadable
        raise InputError(path, f"{WHAT}: pixel data cannot be decoded ({type(err).__name__})") from None
    frames = int(ds.get("NumberOfFrames") or 1)
    pixels = pixels if frames > 1 else pixels[None, ...]
    out = []
    for i, frame in enumerate(pixels):
        image = to_image(frame, str(ds.get("PhotometricInterpretation") or "MONOCHROME2"))
        dpi = page_dpi(ds, image.width)
        where = Placement(i, 0.0, 0.0, image.width / dpi * 72, image.height / dpi * 72)
        out.append(PageImage(image, dpi, where))
    return out


def _int(ds: Dataset, keyword: str) -> int:
    """A count from the header (0 when absent or not a number: pydicom decodes it, and says so there)."""
    try:
        return int(ds.get(keyword) or 0)
    except (TypeError, ValueError):
        return 0


def to_image(frame, photometric: str) -> Image.Image:
    """A frame's pixels as an 8-bit Pillow image: grey (MONOCHROME1 inverted) or RGB, any bit depth."""
    import numpy as np

    a = np.asarray(frame)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.dtype != np.uint8:   # 16-bit, signed or single-bit pixels stretched to 0–255
        a = a.astype(np.float64)
        low, high = float(a.min()), float(a.max())
        a = ((a - low) * (255.0 / (high - low)) if high > low else np.zeros_like(a)).round().astype(np.uint8)
    if photometric.upper() == "MONOCHROME1":
        a = 255 - a
    return Image.fromarray(a, "RGB" if a.ndim == 3 else "L")


def page_dpi(ds: Dataset, width_px: int) -> float:
    """Dots per inch from the pixel spacing (PixelSpacing, ImagerPixelSpacing, NominalScannedPixelSpacing:
    row\\column mm), else from the page width taken as Letter's."""
    for key in ("PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"):
        try:
            spacing = float(ds.get(key)[1])
        except (TypeError, IndexError, ValueError):
            continue
        if spacing > 0 and _DPI_RANGE[0] <= (dpi := 25.4 / spacing) <= _DPI_RANGE[1]:
            return dpi
    return width_px / LETTER_WIDTH_IN
