"""Is a DICOM file complete and sound? A walk over element headers, since pydicom silently reads a cut
or damaged file.

pydicom returns whatever it could parse from a truncated file (a sequence with half its items, a
deferred value that runs past the end) without an error. This walk reads only tags and lengths, seeks
over values, and fails when a value, item or sequence does not end inside the file.

Reading a file, the walk also looks for damage (`structure`): one flipped byte in a tag, a VR or a
length leaves a file pydicom still reads, but wrongly — an SR item whose value type moved to another
tag is skipped without a word, and the forearm rows under it with it. What a sound file never holds:
an explicit VR that is no VR, or not the one the dictionary gives the tag; elements out of tag order;
a public tag the standard does not define, or a private one without its private creator; an odd value
length, or one that is no multiple of its VR's size; a sequence or item whose contents do not end
exactly where its length says; a UID that is not digits and dots (a study UID with a flipped bit files
the object under another study). The first such finding is the damage, named with its tag and offset.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydicom import datadict
from pydicom.valuerep import VR

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_TAGS = {0x7FE00008, 0x7FE00009, 0x7FE00010}
_VRS = {vr.value.encode() for vr in VR if len(vr.value) == 2}
_SIZE = {b"US": 2, b"SS": 2, b"OW": 2, b"UL": 4, b"SL": 4, b"FL": 4, b"AT": 4, b"OF": 4, b"OL": 4,
         b"FD": 8, b"OD": 8, b"SV": 8, b"UV": 8, b"OV": 8}
"""Bytes per value of the binary VRs: a length that is no multiple of it cut a value in two."""
_ILLEGAL_GROUPS = {0x0001, 0x0003, 0x0005, 0x0007, 0xFFFF}
_UID = re.compile(rb"[0-9]+(?:\.[0-9]+)*")
"""A UID as PS3.5 9.1 writes it, leading zeros allowed (writers put them in; they harm nothing here)."""


class Truncated(Exception):
    """The file ends before the structure it started does."""


class Damaged(Exception):
    """The file holds what a sound file never does; the message says what and where."""


@dataclass(frozen=True)
class Structure:
    truncated: str | None   # why the file is incomplete
    damaged: str | None     # the first sign of damage in what is there
    pixels: bool            # whether the top-level dataset holds pixel data (as far as the walk got)


class _Walk:
    def __init__(self, fh: BinaryIO, size: int, check: bool = False):
        self.fh, self.size, self.check = fh, size, check
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

    def elements(self, implicit: bool, little: bool, *, until: int | None = None, end: int | None = None,
                 only_group: int | None = None, top: bool = False) -> None:
        """Elements to end of file (`until` and `end` None), up to the delimiter tag `until`, or up to
        offset `end` (a defined-length item)."""
        e = "<" if little else ">"
        last, creators = -1, set()
        while True:
            start = self.fh.tell()
            if until is None and start == (self.size if end is None else end):
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
            if self.check:
                self._sound(tag, vr, length, last, creators, start)
                last = tag
            if top and tag in PIXEL_TAGS:
                self.pixel_data = True
            known = _dictionary_vrs(tag) if vr is None and self.check else None
            sequence = vr == b"SQ" or known == {b"SQ"}
            if self.check and length != _UNDEFINED and (vr == b"UI" or known == {b"UI"}):
                self._uid(tag, start, length)
            if length == _UNDEFINED:  # a sequence, encapsulated pixels, or UN holding an implicit sequence
                self.items(implicit or vr == b"UN", little, fragments=vr in (b"OB", b"OW"))
            elif sequence and self.check:
                self._defined_items(implicit, little, self.fh.tell() + length)
            else:
                self._skip(length)
            if end is not None and self.fh.tell() > end:
                raise Damaged(f"element {_tag(tag)} at byte {start} runs past the end of its item")

    def items(self, implicit: bool, little: bool, fragments: bool = False) -> None:
        """The items of a sequence of undefined length: datasets, or the `fragments` of encapsulated
        pixel data."""
        e = "<" if little else ">"
        while True:
            at = self.fh.tell()
            group, elem, length = struct.unpack(e + "HHL", self._read(8))
            tag = group << 16 | elem
            if tag == _SEQ_END:
                if self.check and length:
                    raise Damaged(f"a sequence delimiter at byte {at} has length {length}, not 0")
                return
            if tag != _ITEM:
                raise Truncated("a sequence is not closed")
            if length == _UNDEFINED:
                self.elements(implicit, little, until=_ITEM_END)
            elif self.check and not fragments:
                self.elements(implicit, little, end=self._end(at + 8, length))
            else:
                self._skip(length)

    def _defined_items(self, implicit: bool, little: bool, end: int) -> None:
        """The items of a sequence of defined length, which must fill it exactly."""
        e = "<" if little else ">"
        if end > self.size:
            raise Truncated("a value runs past the end of the file")
        while self.fh.tell() < end:
            at = self.fh.tell()
            group, elem, length = struct.unpack(e + "HHL", self._read(8))
            if group << 16 | elem != _ITEM:
                raise Damaged(f"{_tag(group << 16 | elem)} at byte {at} where a sequence item should start")
            if length == _UNDEFINED:
                self.elements(implicit, little, until=_ITEM_END)
            else:
                self.elements(implicit, little, end=self._end(at + 8, length))
        if self.fh.tell() != end:
            raise Damaged(f"a sequence ending at byte {end} holds more than its length")

    def _uid(self, tag: int, at: int, length: int) -> None:
        """A UI value holds digits and dots: a flipped bit there moves an object to another study."""
        if self.fh.tell() + length > self.size:
            raise Truncated("a value runs past the end of the file")
        value = self.fh.read(length).rstrip(b"\0 ")
        self.fh.seek(-length, io.SEEK_CUR)
        if value and not _UID.fullmatch(value):
            raise Damaged(f"element {_tag(tag)} at byte {at} holds no UID: {value[:64].decode('latin-1')!r}")

    def _end(self, start: int, length: int) -> int:
        if start + length > self.size:
            raise Truncated("a value runs past the end of the file")
        return start + length

    def _sound(self, tag: int, vr: bytes | None, length: int, last: int, creators: set[int], at: int) -> None:
        """Damage `Damaged` names: what a sound element header never is."""
        group, elem = tag >> 16, tag & 0xFFFF
        where = f"element {_tag(tag)} at byte {at}"
        if tag <= last:
            raise Damaged(f"{where} is out of order (after {_tag(last)})")
        if group in _ILLEGAL_GROUPS:
            raise Damaged(f"{where} is in a group no DICOM element has")
        if vr is not None and vr not in _VRS:
            raise Damaged(f"{where} has an unknown VR {vr.decode('latin-1')!r}")
        if length != _UNDEFINED and length % 2:
            raise Damaged(f"{where} has an odd length {length}")
        if vr is not None and (size := _SIZE.get(vr)) and length % size:
            raise Damaged(f"{where} has a length of {length}, no multiple of {size} for VR {vr.decode()}")
        if group % 2:   # private: (gggg,0010-00FF) reserve blocks (gggg,xx00-xxFF) for their creator
            if 0x10 <= elem <= 0xFF:
                creators.add(elem)
            elif elem > 0xFF and elem >> 8 not in creators:
                raise Damaged(f"{where} is a private element without its private creator")
        elif elem and group != 0xFFFE:
            allowed = _dictionary_vrs(tag)
            if allowed is None:
                raise Damaged(f"{where} is no element of the DICOM standard")
            if vr is not None and vr != b"UN" and vr not in allowed:
                raise Damaged(f"{where} has VR {vr.decode()}, which the standard does not give it")


def _dictionary_vrs(tag: int) -> set[bytes] | None:
    """The VRs the standard allows a public tag ("US or SS"), None for a tag it does not define."""
    try:
        vr = datadict.get_entry(tag)[0]
    except KeyError:
        return None
    return {v.encode() for v in vr.split(" or ")}


def _tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _meta_end(fh: BinaryIO, start: int) -> int:
    """Where the file meta information ends by its group length, or `start` when it has none."""
    head = fh.read(12)
    fh.seek(start)
    if len(head) == 12 and head[:6] == b"\x02\x00\x00\x00UL":
        return start + 12 + struct.unpack("<L", head[8:12])[0]
    return start


def structure(path: Path, implicit: bool, little: bool) -> Structure:
    """Whether the file is complete, and sound, for the dataset's encoding."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        walk = _Walk(fh, size, check=True)
        try:
            start = 132 if fh.read(132)[128:132] == b"DICM" else 0
            fh.seek(start)
            meta_end = _meta_end(fh, start)
            walk.elements(False, True, only_group=0x0002)  # file meta: always explicit VR little endian
            if fh.tell() < meta_end:
                raise Truncated("the file ends inside its meta information")
            walk.elements(implicit, little, top=True)
        except Truncated as err:
            return Structure(str(err), None, walk.pixel_data)
        except Damaged as err:
            return Structure(None, str(err), walk.pixel_data)
    return Structure(None, None, walk.pixel_data)


def stream_truncation(data: bytes, implicit: bool, little: bool) -> str | None:
    """Why a dataset received over the network (no preamble, no file meta) is incomplete, or None.
    Only completeness: the PACS hook refuses what is cut, and the reader judges damage when it reads
    the spooled file."""
    try:
        _Walk(io.BytesIO(data), len(data)).elements(implicit, little, top=True)
    except Truncated as err:
        return str(err)
    return None
