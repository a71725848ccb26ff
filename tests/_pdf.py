"""Helpers of the PDF reader tests: the sample generator, positioned words made by hand, and PDFs
drawn into a test's tmp_path."""

from __future__ import annotations

import functools
import importlib.util
import sys
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
