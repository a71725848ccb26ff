"""Page images made fit for Tesseract: grey, at the resolution its models were trained for.

Tesseract reads best with text 20–40 px high (about 300 dpi for 9-point print). A report screenshotted
or faxed at 72 dpi prints its digits 6–7 px high, so it is upscaled (Lanczos keeps the strokes of small
glyphs; plain thresholding after it merges them, see benchmarks/OCR_RESULTS.md) and lightly sharpened.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps

TARGET_DPI = 300
"""Effective resolution fed to Tesseract (benchmarks/OCR_RESULTS.md: 72-dpi pages read best at 288–300)."""
MIN_DPI = 250
"""Images at or above this resolution are read as they are: upscaling them gains nothing."""
SHARPEN = ImageFilter.UnsharpMask(radius=2, percent=150, threshold=0)


@dataclass(frozen=True)
class Prepared:
    image: Image.Image
    dpi: float          # the effective resolution of `image`


def prepare(image: Image.Image, dpi: float, target: float = TARGET_DPI, sharpen: bool = True) -> Prepared:
    """Grey, inverted to dark text on light ground if need be, upscaled from low resolutions."""
    grey = ImageOps.grayscale(image) if image.mode != "L" else image
    if _light_on_dark(grey):
        grey = ImageOps.invert(grey)
    if dpi >= MIN_DPI:
        return Prepared(grey, dpi)
    factor = upscale(dpi, target)
    big = grey.resize((grey.width * factor, grey.height * factor), Image.Resampling.LANCZOS)
    return Prepared(big.filter(SHARPEN) if sharpen else big, dpi * factor)


def upscale(dpi: float, target: float = TARGET_DPI) -> int:
    """How many times `prepare` enlarges an image of this resolution (1: not at all)."""
    return 1 if dpi >= MIN_DPI else max(1, round(target / dpi))


def ocr_size(width: int, height: int, dpi: float) -> tuple[int, int]:
    """The size of an image as OCR reads it, after `prepare`: what the pixel limit is checked on before
    an image is decoded or rendered (a 72-dpi page is read 4 times wider and higher)."""
    factor = upscale(dpi)
    return width * factor, height * factor


def _light_on_dark(grey: Image.Image) -> bool:
    """Screenshots of a viewer in dark mode: mostly dark pixels."""
    hist = grey.histogram()
    return sum(hist[:128]) > sum(hist[128:])
