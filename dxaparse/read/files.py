"""What a file is, from its first bytes, and its content hash."""

from __future__ import annotations

import codecs
import hashlib
from enum import Enum
from pathlib import Path

from ..errors import InputError


class Kind(Enum):
    DICOM = "dicom"
    PDF = "pdf"
    JSON = "json"
    UNKNOWN = "unknown"


def sniff(path: Path) -> Kind:
    """DICOM (Part 10 preamble, or a bare dataset starting with group 0002/0008), PDF, JSON or unknown."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as err:
        raise InputError(path, f"cannot open: {err.strerror or err}") from None
    if not head:
        raise InputError(path, "empty file (0 bytes)")
    if head[128:132] == b"DICM":
        return Kind.DICOM
    if b"%PDF-" in head:
        return Kind.PDF
    if head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"["):  # Windows tools write a BOM
        return Kind.JSON
    if len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00") and head[2:4] < b"\x10\x00":
        return Kind.DICOM
    return Kind.UNKNOWN


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_of_hashes(hashes: list[str]) -> str:
    """Content hash of a multi-object exam: independent of file names and order."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()
