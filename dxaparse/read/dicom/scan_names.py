"""Scan types (models.Scan) named by DICOM image headers and SR containers, from vendors' `[scans]`.

Three kinds of evidence, tried in this order by the image reader: a protocol or container name as a
whole (`AP Spine`, `DualFemur`, `LVA`), words inside a description (`IVA` in a Hologic series), and
the BodyPartExamined a vendor sends (`LSPINE`, `HIP`).
"""

from __future__ import annotations

import functools
import re

from ... import vendors
from ...models import Scan


@functools.cache
def _table(vendor: str, key: str) -> dict[str, Scan]:
    out: dict[str, Scan] = {}
    for data in (vendors.load_all()[vendors.GENERIC], vendors.vendor_data(vendor)):
        out.update({name: Scan(scan) for name, scan in data.get("scans", {}).get(key, {}).items()})
    return out


@functools.cache
def _words(vendor: str) -> list[tuple[re.Pattern[str], Scan]]:
    out = []
    for data in (vendors.load_all()[vendors.GENERIC], vendors.vendor_data(vendor)):
        for scan, words in data.get("scans", {}).get("words", {}).items():
            out += [(re.compile(rf"\b{re.escape(vendors.normalize_label(w))}\b"), Scan(scan)) for w in words]
    return out


def scan_of_name(vendor: str, text: str | None) -> Scan | None:
    """The scan a protocol or container name names as a whole, with or without a side word."""
    if not text:
        return None
    norm = vendors.normalize_label(text)
    table = _table(vendor, "protocol")
    return table.get(norm) or table.get(vendors.split_side(vendor, norm)[1])


def scan_of_words(vendor: str, text: str | None) -> Scan | None:
    """The scan named by a word anywhere in a description (`IVA` in `IVA Lateral`)."""
    norm = vendors.normalize_label(text or "")
    return next((scan for pattern, scan in _words(vendor) if pattern.search(norm)), None)


def scan_of_body_part(vendor: str, body_part: str) -> Scan | None:
    """The scan a vendor means by a BodyPartExamined value ("" included: Hologic whole body)."""
    return _table(vendor, "body_part").get(body_part.strip().lower())
