"""Helpers of the PDF reader tests: the sample generator, positioned words made by hand, and PDFs
drawn into a test's tmp_path."""

from __future__ import annotations

import functools
import importlib.util
import sys
import zlib
from pathlib import Path

from dxaparse.read.layout.words import Line, Word, group_lines

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "pdf"


@functools.cache
def sample_script(name: str):
    """samples/<name>.py as a module (the sample generators are scripts, not part of the package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "samples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def generator():
    """samples/generate_pdf.py as a module."""
    return sample_script("generate_pdf")


def words(*rows: tuple[float, list[tuple[str, float]]], page: int = 0, char: float = 5.0,
          height: float = 10.0) -> list[Word]:
    """Words as an OCR engine or a text layer gives them: (top, [(text, x0), ...]) per printed line."""
    return [Word(t, x, x + char * len(t), top, top + height, page) for top, cells in rows for t, x in cells]


def lines_of(*rows: tuple[float, list[tuple[str, float]]], **kw) -> list[Line]:
    return group_lines(words(*rows, **kw))


def draw(path: Path, draw_pages, style=None, encrypt: str | None = None) -> Path:
    """A PDF drawn by `draw_pages(canvas)` with the generator's helpers."""
    g = generator()
    c = g.new_canvas(path, style or g.Style(), encrypt=encrypt)
    draw_pages(c)
    c.save()
    return path


def text_lines(*texts: str, top: float = 100.0) -> list[Line]:
    """One printed line per text, words placed by character count (two spaces: a column gap)."""
    rows = []
    for k, s in enumerate(texts):
        x, cells = 50.0, []
        for part in s.split(" "):
            if part:
                cells.append((part, x))
            x += 5.0 * (len(part) + 1) + (20.0 if not part else 0.0)
        rows.append((top + 14 * k, cells))
    return lines_of(*rows)


def raw_pdf(path: Path, pages: list[bytes], *, media_box: tuple[float, ...] = (0, 0, 612, 792),
            compress: int | None = 6, image: tuple[int, int] | None = None) -> Path:
    """A PDF written object by object, so that a test knows every byte: one content stream per page
    (Helvetica as /F1; Flate-compressed at level `compress`, 0 storing it, None for no filter), and with
    `image` (width, height) a grey image /Im0 each page may draw. Equal page contents are one object."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    resources = f"/Font << /F1 {font} 0 R >>".encode()
    if image is not None:
        width, height = image
        pixels = zlib.compress(bytes([200]) * (width * height))
        im = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                 b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                 % (width, height, len(pixels), pixels))
        resources += f" /XObject << /Im0 {im} 0 R >>".encode()
    streams: dict[bytes, int] = {}
    for content in pages:
        if content not in streams:
            data = content if compress is None else zlib.compress(content, compress)
            flate = b"" if compress is None else b" /Filter /FlateDecode"
            streams[content] = add(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), flate, data))
    tree = len(objects) + len(pages) + 1   # the page tree follows the pages
    box = " ".join(f"{v:g}" for v in media_box).encode()
    kids = [add(b"<< /Type /Page /Parent %d 0 R /MediaBox [%s] /Resources << %s >> /Contents %d 0 R >>"
                % (tree, box, resources, streams[content])) for content in pages]
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, catalog)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


def text_content(*lines: str, top: float = 740.0, x: float = 50.0) -> bytes:
    """A page content stream printing `lines` in Helvetica 10, each at x (a tab moves 100 pt right)."""
    ops = [b"BT /F1 10 Tf"]
    for k, line in enumerate(lines):
        for j, cell in enumerate(line.split("\t")):
            text = cell.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(b"1 0 0 1 %g %g Tm (%s) Tj" % (x + 100 * j, top - 14 * k, text.encode("latin-1")))
    ops.append(b"ET")
    return b"\n".join(ops)
