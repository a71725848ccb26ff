"""Is a PDF damaged? Every stream decoded strictly, because PDFium reads a damaged one without a word.

PDFium draws what it can of a page: one flipped byte in a compressed content stream ends the page where
the damage starts, and a results table after it vanishes without an error (a spine T-score lost turns
osteoporosis into low bone mass). pdfplumber's parser, pdfminer, finds the objects here, but decodes
leniently (a checksum error is a logged warning, a broken stream an empty one), so each stream's filters
are applied strictly instead: a Flate stream must inflate to its end and match its checksum, ASCII85 and
hex data must hold only their digits, a filter must be one PDF names. A content stream that is stored
uncompressed has no checksum; its operators are checked instead (a flipped `Tj` hides its text).

Damage outside the streams is repaired by PDFium as silently: a page dictionary that loses its
/Contents or /Resources key, a font object that no longer parses, a stream without its /Length. So
each page is checked for what it needs to show its text, and every listed object must parse.

Image codecs (DCT, JPX, JBIG2, CCITT) are not decoded here: PDFium decodes an image only to OCR it, and
damage there shows as noise, which OCR verification doubts like any unsure reading.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.lzw import lzwdecode
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser, PDFPageInterpreter
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import (
    LITERAL_CRYPT,
    LITERALS_ASCII85_DECODE,
    LITERALS_ASCIIHEX_DECODE,
    LITERALS_CCITTFAX_DECODE,
    LITERALS_DCT_DECODE,
    LITERALS_FLATE_DECODE,
    LITERALS_JBIG2_DECODE,
    LITERALS_JPX_DECODE,
    LITERALS_LZW_DECODE,
    LITERALS_RUNLENGTH_DECODE,
    PDFObjRef,
    PDFStream,
    resolve1,
)
from pdfminer.psparser import PSEOF, PSKeyword, PSLiteral, keyword_name, literal_name
from pdfminer.runlength import rldecode

from ..limits import check_pages
from ..options import ReadOptions
from .document import PDFIUM_LOCK

logging.getLogger("pdfminer").setLevel(logging.ERROR)
"""pdfminer warns of what it repairs (an xref entry it cannot parse, a missing MediaBox): damage this
module reports itself, with where, in the result. Its warnings would only repeat it in the log, unnamed."""

_IMAGE_CODECS = (*LITERALS_DCT_DECODE, *LITERALS_JPX_DECODE, *LITERALS_JBIG2_DECODE,
                 *LITERALS_CCITTFAX_DECODE)
_BYTES_PER_PIXEL = 4
"""Of the widest image PDFium decodes (RGBA): a stream decoding to more bytes than the largest page image
the pixel limit allows is no report's content, and is not inflated to its end here (see `find_damage`)."""
_CHUNK = 1 << 20
_NON_OPERATORS = {"true", "false", "null"}
_DEPTH = 32
"""Nesting of arrays and dictionaries no sound object reaches: deeper, references are not looked for
(a damaged run of `[[[[` costs no recursion without end)."""


class _Damaged(Exception):
    """A stream that does not decode; the message says why."""


def find_damage(path: Path, options: ReadOptions) -> str | None:
    """Where the PDF is damaged (`page 1 content stream cannot be decoded (…)`), or None when every
    stream decodes or the file cannot be parsed here at all (PDFium then decides, and says why).

    The page count of the page tree is checked against `max_pages` first (its /Count: no page is
    parsed), since a check of every object of a 20,000-page file would itself take seconds."""
    password = options.password or ""
    try:
        fh = path.open("rb")
    except OSError:
        return None   # PDFium says why it cannot be opened
    with fh:
        try:
            doc = PDFDocument(PDFParser(fh), password=password)
            count = resolve1(resolve1(doc.catalog.get("Pages")).get("Count"))
        except Exception:  # pdfminer raises a zoo; what it cannot parse, PDFium judges
            return None
        if isinstance(count, int):
            check_pages(path, "PDF", count, options)
        check = _Check(doc, path, password, options.max_page_pixels * _BYTES_PER_PIXEL)
        try:
            return check.first_damage()
        finally:
            check.close()


class _Check:
    """One document's check. pdfminer caches what it parsed, so the pages and the objects are parsed
    once; but it decodes an object stream leniently to read the objects inside, and one decoded that way
    is parsed again, uncached, to be decoded strictly here."""

    def __init__(self, doc: PDFDocument, path: Path, password: str, budget: int):
        self.doc, self.path, self.password, self.budget = doc, path, password, budget
        self._uncached: PDFDocument | None = None
        self._fh: BinaryIO | None = None

    def first_damage(self) -> str | None:
        """The pages first — each a dictionary with resources whose fonts and images are there, and
        content that is streams — then every object of the cross-reference tables, parsed, and every
        stream decoded."""
        try:
            pages = list(PDFPage.create_pages(self.doc))
        except Exception:  # a page tree pdfminer cannot walk even by its fallback
            return "its page tree cannot be read"
        contents: dict[int, str] = {}
        with_text: dict[int, list[PDFStream]] = {}
        for number, page in enumerate(pages, 1):
            try:
                streams = [resolve1(s) for s in page.contents] if isinstance(page.contents, list) else [None]
                shown = _Shown.scan(streams) if all(isinstance(s, PDFStream) for s in streams) else _Shown()
                problem = _page_problem(page, streams, shown)
            except Exception:  # an object the page refers to that pdfminer cannot parse
                problem = "refers to an object that cannot be parsed"
            if problem:
                return f"page {number} {problem}"
            if shown.texts:
                with_text[number] = streams
            for stream in streams:
                contents.setdefault(stream.objid, f"page {number} content stream")
        referenced: set[int] = set()
        untyped: list[int] = []
        for objid in self._objids():
            try:
                obj = self.doc.getobj(objid)
            except Exception:  # listed in the cross-reference table, but nothing parses there
                return f"object {objid} cannot be parsed"
            _references(obj, referenced)
            if not isinstance(obj, PDFStream):
                continue
            where = contents.get(objid) or f"object {objid} ({_kind(obj)})"
            try:
                if not _decode(self._raw(obj), self.budget) and (objid in contents or _kind(obj) == "Form"):
                    _operators(obj)
            except _Damaged as err:
                return f"{where} cannot be decoded ({err})"
            except Exception:  # pdfminer failing on what the stream refers to (a filter, a password)
                return f"{where} cannot be decoded"
            if _kind(obj) == "stream":
                untyped.append(objid)
        for objid in (objid for objid in untyped if objid not in referenced):
            try:
                _operators(self.doc.getobj(objid))
            except Exception:
                continue   # no page content: a CMap or font program some writers leave unused
            # page content no page shows: a page dictionary whose /Contents key was damaged away
            return f"object {objid} (page content) is shown by no page"
        undrawn = _undrawn(self.path, self.password, list(with_text))
        if number := next((n for n in undrawn if _Shown.parse(with_text[n]).texts), None):
            return f"page {number} shows text that PDFium cannot draw (a stream it cannot find)"
        return None

    def _objids(self) -> list[int]:
        """Every object listed, those inside object streams last: a damaged object stream is then
        named itself, not by the first object that cannot be parsed out of it."""
        def packed(objid: int) -> bool:
            for xref in self.doc.xrefs:
                try:
                    return xref.get_pos(objid)[0] is not None
                except KeyError:
                    continue
            return False

        listed = dict.fromkeys(objid for xref in self.doc.xrefs for objid in xref.get_objids())
        return sorted(listed, key=packed)

    def _raw(self, stream: PDFStream) -> PDFStream:
        """The stream as read from the file, not yet decoded by pdfminer."""
        if stream.get_rawdata() is not None or stream.objid is None:
            return stream
        if self._uncached is None:
            self._fh = self.path.open("rb")   # a parser of its own: parsers seek and buffer their file
            self._uncached = PDFDocument(PDFParser(self._fh), password=self.password, caching=False)
        return self._uncached.getobj(stream.objid)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _page_problem(page: PDFPage, streams: list, shown: _Shown) -> str | None:
    """What a page needs to show its text and is missing: a damaged dictionary loses its /Resources or
    /Contents key, a damaged object its font or image (PDFium then draws the page without them)."""
    if bad := next((k for k in page.attrs if not _plain_name(k)), None):
        return f"dictionary holds a damaged name {_shown(bad)}"   # a key lost: /Contents\xa010
    if not all(isinstance(s, PDFStream) for s in streams):
        return "content is not a stream"
    if key := next((k for k, v in page.attrs.items() if k not in _PAGE_KEYS and _holds_stream(v)), None):
        return f"holds a stream under the key /{key}, which no page has"   # /Cootents 10 0 R
    if not isinstance(page.resources, dict) or (streams and "Resources" not in page.attrs):
        return "has no resources"
    if bad := next((k for k in page.resources if not _plain_name(k)), None):
        return f"resources hold a damaged name {_shown(bad)}"   # /Fon\xf4: the page's fonts are lost
    for key, kind in (("Font", dict), ("XObject", PDFStream)):
        table = resolve1(page.resources.get(key, {}))
        if not isinstance(table, dict):
            return f"has a damaged /{key} resource"
        for name, value in table.items():
            if not isinstance(resolve1(value), kind):
                return f"has a damaged /{key} resource /{name}"
    fonts = resolve1(page.resources.get("Font", {}))
    for name, value in fonts.items():
        if lacks := _font_lacks(resolve1(value)):
            return f"has a damaged /Font resource /{name} (no /{lacks})"
    if any(name not in fonts for name in shown.fonts):   # the scan's suspicion, settled by the parse
        shown = _Shown.parse(streams)
    if missing := next((name for name in shown.fonts if name not in fonts), None):
        # /Font\xa01 0 R: the key is lost, and PDFium draws the page's text in a stand-in font (a
        # Dingbats mark becomes an "n" and the row it marks is no longer read)
        return f"sets font /{missing}, which its resources lack"
    return None


@dataclass(frozen=True)
class _Shown:
    """What a page's content streams show: the fonts they select (`/F3 9 Tf`), in order of first use,
    and how many strings they show (`Tj`, `TJ`, `'`, `"`)."""

    fonts: tuple[str, ...] = ()
    texts: int = 0

    @classmethod
    def scan(cls, streams: list[PDFStream]) -> _Shown:
        """The content's bytes searched for `Tf` and text-showing operators: every page is checked, and
        pdfminer's tokenizer would double the reading time of a sound PDF. A string may hold such bytes,
        so what the scan finds wrong (a font the resources lack, text PDFium cannot draw) is settled by
        `parse` before it is called damage."""
        try:
            data = b"\n".join(s.get_data() for s in streams)
        except Exception:  # a stream that does not decode: the stream check names it
            return cls()
        names = dict.fromkeys(_name(m[1]) for m in _TF.finditer(data))
        return cls(tuple(names), len(_SHOW.findall(data)))

    @classmethod
    def parse(cls, streams: list[PDFStream]) -> _Shown:
        """The content parsed operator by operator. A stream that cannot be parsed or decoded gives what
        came before the fault: the stream check names the damage."""
        names: dict[str, None] = {}
        texts = 0
        operands: list[object] = []
        try:
            parser = PDFContentParser(streams) if streams else None  # it decodes the first stream at once
        except Exception:
            return cls()
        while parser is not None:
            try:
                _, token = parser.nextobject()
            except Exception:  # PSEOF at the end; a decoding or syntax fault
                break
            if isinstance(token, PSKeyword):
                op = keyword_name(token)
                if op == "Tf" and len(operands) >= 2 and isinstance(operands[-2], PSLiteral):
                    names.setdefault(literal_name(operands[-2]), None)
                elif op in _SHOW_TEXT and any(operands):
                    texts += 1
                operands.clear()
            else:
                operands.append(token)
        return cls(tuple(names), texts)


_SHOW_TEXT = {"Tj", "TJ", "'", '"'}
_DELIMITED = rb"[^\s/\[\]()<>{}%]"
_TF = re.compile(rb"/(" + _DELIMITED + rb"+)\s+[-+]?(?:\d+\.?\d*|\.\d+)\s+Tf(?!" + _DELIMITED + rb")")
_SHOW = re.compile(rb"[)>\]]\s*(?:Tj|TJ|'|\")(?!" + _DELIMITED + rb")")
"""A font selected (`/F3 9 Tf`) and a string shown (`(…) Tj`, `[…] TJ`, `'`, `"`), in content bytes."""


def _name(raw: bytes) -> str:
    """A name as pdfminer's `literal_name` gives it: `#xx` escapes decoded."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), raw).decode("latin-1")


def _font_lacks(font: object) -> str | None:
    """The key a font dictionary needs and lacks: every font names its /Subtype, and all but a Type 3
    font its /BaseFont (ISO 32000-2, 9.6–9.7). Without it, PDFium draws in a stand-in font: a
    /BAseFont ZapfDingbats turns each ■ mark into an "n", and the row it marks is no longer read."""
    subtype = resolve1(font.get("Subtype")) if isinstance(font, dict) else None
    if subtype is None:
        return "Subtype"
    if literal_name(subtype) != "Type3" and "BaseFont" not in font:
        return "BaseFont"
    return None


def _undrawn(path: Path, password: str, pages: list[int]) -> list[int]:
    """Of `pages` (numbered from 1), whose content shows text, those on which PDFium finds no object:
    PDFium drops a stream it cannot find (`>>` and `stream` parted by a byte that is no PDF white
    space), where pdfminer reads it."""
    if not pages:
        return []
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path), password=password or None)
        except pdfium.PdfiumError:
            return []   # the reader says why it cannot be opened
        try:
            out = []
            for number in pages:
                page = pdf[number - 1]
                try:
                    if pdfium_c.FPDFPage_CountObjects(page.raw) == 0:
                        out.append(number)
                finally:
                    page.close()
            return out
        finally:
            pdf.close()


_PAGE_KEYS = frozenset({
    "Type", "Parent", "LastModified", "Resources", "MediaBox", "CropBox", "BleedBox", "TrimBox", "ArtBox",
    "BoxColorInfo", "Contents", "Rotate", "Group", "Thumb", "B", "Dur", "Trans", "Annots", "AA", "Metadata",
    "PieceInfo", "StructParents", "ID", "PZ", "SeparationInfo", "Tabs", "TemplateInstantiated", "PresSteps",
    "UserUnit", "VP", "AF", "OutputIntents", "DPart"})
"""The keys of a page dictionary (ISO 32000-2, table 31). A writer's own key never holds a stream; one
that does is a damaged /Contents, and PDFium draws the page blank."""


def _holds_stream(value: object) -> bool:
    value = resolve1(value)
    return isinstance(value, PDFStream) or (
        isinstance(value, list) and any(isinstance(resolve1(v), PDFStream) for v in value))


def _references(obj: object, out: set[int], depth: int = 0) -> None:
    """The object numbers `obj` refers to, added to `out` (a stream's dictionary included)."""
    if isinstance(obj, PDFObjRef):
        out.add(obj.objid)
    elif depth < _DEPTH and isinstance(obj, PDFStream | dict | list):
        values = obj.attrs if isinstance(obj, PDFStream) else obj
        for value in values.values() if isinstance(values, dict) else values:
            _references(value, out, depth + 1)


def _plain_name(name: object) -> bool:
    """A name as PDF writes it: printable ASCII (other bytes must be written #xx, and no page or resource
    dictionary key needs them). pdfminer keys a name that is no UTF-8 by the repr of its bytes
    ("b'Fon\\xf4'"), which is printable, so that form is refused too."""
    return (isinstance(name, str) and all("!" <= c <= "~" for c in name)
            and not (name[:2] in ("b'", 'b"') and name[-1:] == name[1:2]))


def _shown(name: object) -> str:
    """A damaged name for a person: its bytes as Python writes them ('Fon\\xf4')."""
    text = str(name)
    return text[1:] if text[:2] in ("b'", 'b"') else repr(text)


def _kind(stream: PDFStream) -> str:
    """What a stream is, for a person: its /Subtype (Image, Form, Type1C) or /Type (ObjStm, XRef)."""
    for key in ("Subtype", "Type"):
        if (value := resolve1(stream.get(key))) is not None:
            try:
                return literal_name(value)
            except Exception:  # a damaged name is still no reason to stop
                break
    return "stream"


def _decode(stream: PDFStream, budget: int) -> bool:
    """Decode the stream through each of its filters, strictly (`_Damaged` says where it fails); False
    when it has none. Decoded data is not kept: only whether it decodes is asked."""
    if "Length" not in stream.attrs:
        raise _Damaged("its dictionary has no /Length")
    data = stream.get_rawdata() or b""
    if stream.decipher and stream.objid is not None:
        data = stream.decipher(stream.objid, stream.genno or 0, data, stream.attrs)
    filters = stream.get_filters()
    for k, (name, _params) in enumerate(filters):
        last = k == len(filters) - 1
        if name in LITERALS_FLATE_DECODE:
            data = _inflate(data, budget, keep=not last)
        elif name in LITERALS_ASCII85_DECODE:
            data = _ascii85(data)
        elif name in LITERALS_ASCIIHEX_DECODE:
            data = _hex(data)
        elif name in LITERALS_LZW_DECODE or name in LITERALS_RUNLENGTH_DECODE:
            data = _lenient_codec(name, data)
        elif name in _IMAGE_CODECS or name is LITERAL_CRYPT:
            break
        else:
            raise _Damaged(f"unknown filter {name!r}")
    return bool(filters)


def _inflate(data: bytes, budget: int, keep: bool) -> bytes:
    """Flate data inflated to its end, checksum included; past `budget` bytes it is taken as sound."""
    d = zlib.decompressobj()
    out, size, pending = [], 0, data
    try:
        while pending:
            chunk = d.decompress(pending, _CHUNK)
            size += len(chunk)
            if keep:
                out.append(chunk)
            if size > budget:
                return b"".join(out)
            pending = d.unconsumed_tail
        if not d.eof:
            raise _Damaged("the compressed data ends early")
    except zlib.error as err:
        raise _Damaged(f"zlib: {err}") from None
    return b"".join(out)


def _ascii85(data: bytes) -> bytes:
    text = data.strip()
    text = text[2:] if text.startswith(b"<~") else text
    text = text[:-2] if text.endswith(b"~>") else text.rstrip(b"~")
    try:
        return base64.a85decode(text, ignorechars=b" \t\n\r\f\v\0")
    except ValueError as err:
        raise _Damaged(f"ASCII85: {err}") from None


def _hex(data: bytes) -> bytes:
    text = bytes(c for c in data.split(b">", 1)[0] if c not in b" \t\n\r\f\0")
    try:
        return binascii.unhexlify(text + b"0" * (len(text) % 2))
    except (binascii.Error, ValueError) as err:
        raise _Damaged(f"hex: {err}") from None


def _lenient_codec(name, data: bytes) -> bytes:
    """LZW and RunLength have no checksum: what they decode is all that can be known."""
    try:
        return lzwdecode(data) if name in LITERALS_LZW_DECODE else rldecode(data)
    except Exception as err:  # pdfminer's decoders fail with assorted errors on bad data
        raise _Damaged(f"{literal_name(name)}: {err}") from None


def _operators(stream: PDFStream) -> None:
    """An uncompressed content stream holds only PDF operators and their operands."""
    parser = PDFContentParser([stream])
    while True:
        try:
            _, token = parser.nextobject()
        except PSEOF:
            return
        except Exception as err:  # PSSyntaxError and friends: the syntax is broken
            raise _Damaged(f"syntax: {err}") from None
        if isinstance(token, PSKeyword) and (name := keyword_name(token)) not in _NON_OPERATORS \
                and not hasattr(PDFPageInterpreter, _method(name)):
            raise _Damaged(f"unknown operator {name!r}")


def _method(operator: str) -> str:
    """pdfminer's interpreter method of a PDF operator (`T*` → `do_T_a`)."""
    return "do_" + operator.replace("*", "_a").replace('"', "_w").replace("'", "_q")
