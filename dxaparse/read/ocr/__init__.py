"""OCR of report pages that are images (scanned printouts, screenshots saved as PDF, report pages sent
as DICOM Secondary Capture): Tesseract words fed to the same layout readers as a PDF's text layer.

`pages` takes a PDF page's image at its native resolution, `prepare` makes it fit for Tesseract,
`engine` reads words with boxes and confidences, `tokens` mends known glyph confusions in numbers
(noting each), `verify` cross-checks every value read and sets `doubt` where nothing confirms it.
"""

from .engine import available

__all__ = ["available"]
