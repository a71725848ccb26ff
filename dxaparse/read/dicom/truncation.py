"""Is a DICOM file complete? A walk over element headers, since pydicom silently reads a cut file.

pydicom returns whatever it could parse from a truncated file (a sequence with half its items, a
deferred value that runs past the end) without an error. This walk reads only tags and lengths, seeks
over values, and fails when a value, item or sequence does not end inside the file.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import BinaryIO

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_TAGS = {0x7FE00008, 0x7FE00009, 0x7FE00010}


class Truncated(Exception):
    """The file ends before the structure it started does."""


class _Walk:
    def __init__(self, fh: BinaryIO, size: int):
        self.fh, self.size = fh, size
        self.pixel_data = False

    def _read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) < n:
            raise Truncated("the file ends inside an element header")
        return data

    def _skip(self, length: int) -> None:
        end = self.fh.tell() + length
        if end > self.size:
            raise Truncated("a value runs past the end of the file")
        self.fh.seek(end)

    def elements(self, implicit: bool, little: bool, *, until: int | None = None,
                 only_group: int | None = None, top: bool = False) -> None:
        """Elements to end of file (`until` None) or up to the delimiter tag `until`."""
        e = "<" if little else ">"
        while True:
            start = self.fh.tell()
            if until is None and start == self.size:
                return
            head = self._read(8)
            group, elem = struct.unpack(e + "HH", head[:4])
            tag = group << 16 | elem
            if tag == until:
                return
            if only_group is not None and group != only_group:
                self.fh.seek(start)
                return
            vr = None if implicit or group == 0xFFFE else head[4:6]
            if vr is None:
                length = struct.unpack(e + "L", head[4:8])[0]
            elif vr in _LONG_VRS:
                length = struct.unpack(e + "L", self._read(4))[0]
            else:
                length = struct.unpack(e + "H", head[6:8])[0]
            if top and tag in PIXEL_TAGS:
                self.pixel_data = True
            if length != _UNDEFINED:
                self._skip(length)
            else:  # a sequence, encapsulated pixel data, or UN holding an implicit VR sequence
                self.items(implicit or vr == b"UN", little)

    def items(self, implicit: bool, little: bool) -> None:
        e = "<" if little else ">"
        while True:
            group, elem, length = struct.unpack(e + "HHL", self._read(8))
            tag = group << 16 | elem
            if tag == _SEQ_END:
                return
            if tag != _ITEM:
                raise Truncated("a sequence is not closed")
            if length == _UNDEFINED:
                self.elements(implicit, little, until=_ITEM_END)
            else:
                self._skip(length)


def _meta_end(fh: BinaryIO, start: int) -> int:
    """Where the file meta information ends by its group length, or `start` when it has none."""
    head = fh.read(12)
    fh.seek(start)
    if len(head) == 12 and head[:6] == b"\x02\x00\x00\x00UL":
        return start + 12 + struct.unpack("<L", head[8:12])[0]
    return start


def truncation(path: Path, implicit: bool, little: bool) -> tuple[str | None, bool]:
    """(why the file is incomplete or None, whether it holds pixel data) for the dataset's encoding."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        walk = _Walk(fh, size)
        try:
            start = 132 if fh.read(132)[128:132] == b"DICM" else 0
            fh.seek(start)
            meta_end = _meta_end(fh, start)
            walk.elements(False, True, only_group=0x0002)  # file meta: always explicit VR little endian
            if fh.tell() < meta_end:
                raise Truncated("the file ends inside its meta information")
            walk.elements(implicit, little, top=True)
        except Truncated as err:
            return str(err), walk.pixel_data
    return None, walk.pixel_data


def stream_truncation(data: bytes, implicit: bool, little: bool) -> str | None:
    """Why a dataset received over the network (no preamble, no file meta) is incomplete, or None."""
    try:
        _Walk(io.BytesIO(data), len(data)).elements(implicit, little, top=True)
    except Truncated as err:
        return str(err)
    return None
