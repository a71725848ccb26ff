"""DXA image objects (Hologic Secondary Capture, GE Lunar CR): which scan was done, from the header.

Images carry no scores, but they prove a scan was performed, which is what CPT coding needs when no
report came along (AP spine + femur + LVA is 77085 even without a single T-score). Only headers are
read; the vendors' proprietary scan files in private OB elements are never loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from ... import vendors
from ...models import Scan
from .header import private_creators, text
from .scan_names import scan_of_body_part, scan_of_name, scan_of_words

IMAGE_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.7",      # Secondary Capture (Hologic APEX)
    "1.2.840.10008.5.1.4.1.1.7.1",    # Multi-frame Single Bit SC
    "1.2.840.10008.5.1.4.1.1.7.2",    # Multi-frame Grayscale Byte SC
    "1.2.840.10008.5.1.4.1.1.7.3",    # Multi-frame Grayscale Word SC
    "1.2.840.10008.5.1.4.1.1.7.4",    # Multi-frame True Color SC
    "1.2.840.10008.5.1.4.1.1.1",      # Computed Radiography (GE Lunar enCORE)
    "1.2.840.10008.5.1.4.1.1.1.1",    # Digital X-Ray, for presentation
    "1.2.840.10008.5.1.4.1.1.1.1.1",  # Digital X-Ray, for processing
}
PRESENTATION_STATES = {
    "1.2.840.10008.5.1.4.1.1.11.1",   # Grayscale Softcopy PS (sent with Hologic IVA)
    "1.2.840.10008.5.1.4.1.1.11.2",   # Color Softcopy PS
}
_NAME_KEYWORDS = ("ProtocolName", "PerformedProcedureStepDescription", "SeriesDescription")
_WORD_KEYWORDS = (*_NAME_KEYWORDS, "ImageComments", "StudyDescription")


@dataclass(frozen=True)
class ImageScan:
    scan: Scan | None
    unrecognized: str | None  # the protocol text when no scan could be named


def is_dxa_object(ds: Dataset, vendor: str) -> bool:
    """A DXA vendor's private creator, a DXA device name, or a body part the vendor's DXA images use.

    The manufacturer alone is not enough: "GE Healthcare" also makes radiographs of femurs.
    """
    creators = private_creators(ds)
    known = {c for d in vendors.load_all().values() for c in d.get("image", {}).get("private_creators", [])}
    if creators & known:
        return True
    device = vendors.normalize_label(" ".join(filter(None, (text(ds, "Manufacturer"),
                                                            text(ds, "ManufacturerModelName")))))
    if any(word in device for word in vendors.vendor_data(vendor).get("image", {}).get("devices", [])):
        return True
    body_part = text(ds, "BodyPartExamined")
    return vendor != "unknown" and body_part is not None and scan_of_body_part(vendor, body_part) is not None


def read_image(ds: Dataset, vendor: str) -> ImageScan:
    """The scan an image shows: by protocol name, then by words (IVA), then by body part."""
    names = [text(ds, k) for k in _NAME_KEYWORDS]
    scan = (next((s for n in names if (s := scan_of_name(vendor, n))), None)
            or next((s for k in _WORD_KEYWORDS if (s := scan_of_words(vendor, text(ds, k)))), None)
            or scan_of_body_part(vendor, text(ds, "BodyPartExamined") or ""))
    if scan is not None:
        return ImageScan(scan, None)
    body_part = text(ds, "BodyPartExamined")
    what = next((n for n in names if n), None) or (f"BodyPartExamined {body_part}" if body_part else None)
    return ImageScan(None, what or "image without a protocol name")
