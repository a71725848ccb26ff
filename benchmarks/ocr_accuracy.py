"""OCR accuracy and speed on our own rendered report pages, to choose the OCR defaults from figures.

    .venv/bin/python benchmarks/ocr_accuracy.py        (from the repo root; writes benchmarks/OCR_RESULTS.md)

Each page of the Hologic, GE and Norland text samples is rendered by PDFium at 72, 150 and 300 dpi and
read by Tesseract under candidate settings (upscaling, sharpening, page segmentation mode). Truth is the
page's own text layer. Character accuracy is 1 − edit distance / truth length, over lines paired by
position (a truth line with no OCR line counts whole); number accuracy is the share of the printed
numbers read exactly on their line; time is rendering-free preparation + OCR per page, both readings.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxaparse.read.layout.values import number  # noqa: E402
from dxaparse.read.layout.words import Line, dedupe, group_lines  # noqa: E402
from dxaparse.read.ocr import engine  # noqa: E402
from dxaparse.read.ocr.prepare import prepare  # noqa: E402
from dxaparse.read.ocr.tokens import edit_distance  # noqa: E402
from dxaparse.read.pdf.document import read_text_layer  # noqa: E402

SAMPLES = ("hologic-spine-hip-pram", "ge-encore-v12", "norland-spine-hip")
DPIS = (72, 150, 300)


@dataclass(frozen=True)
class Setting:
    name: str
    target: float | None      # upscale to this effective dpi (None: as rendered)
    sharpen: bool
    psm: int                  # Tesseract page segmentation mode: 3 automatic, 6 one uniform block


SETTINGS = (Setting("as rendered, psm 3", None, False, 3),
            Setting("as rendered, psm 6", None, False, 6),
            Setting("upscaled to 300, psm 6", 300, False, 6),
            Setting("upscaled to 300 + sharpen, psm 3", 300, True, 3),
            Setting("upscaled to 300 + sharpen, psm 6 (default)", 300, True, 6))


def main() -> int:
    if not engine.available():
        print("OCR not installed: pip install -e '.[ocr]' (scripts/setup does it)")
        return 1
    rows = []
    for dpi in DPIS:
        for setting in SETTINGS:
            chars = Counter()
            for name in SAMPLES:
                path = ROOT / "samples" / "pdf" / f"{name}.pdf"
                truth = dedupe(read_text_layer(path).words)
                pdf = pdfium.PdfDocument(str(path))
                for index in range(len(pdf)):
                    page = pdf[index]
                    width, height = page.get_size()
                    image = page.render(scale=dpi / 72, grayscale=True).to_pil()
                    started = time.perf_counter()
                    prepared = prepare(image, dpi, setting.target or dpi, setting.sharpen)
                    engine._apis()[0].SetPageSegMode(setting.psm)
                    words = engine.read_words(prepared, engine.Placement(index, 0, 0, width, height))
                    chars["seconds"] += time.perf_counter() - started
                    chars["pages"] += 1
                    page_truth = group_lines([w for w in truth if w.page == index])
                    _score(page_truth, group_lines([w.word for w in words]), chars)
                pdf.close()
            engine._apis()[0].SetPageSegMode(6)
            rows.append((dpi, setting.name, 1 - chars["errors"] / chars["chars"],
                         chars["right"] / chars["numbers"], chars["seconds"] / chars["pages"]))
            print(*rows[-1], flush=True)
    _write(rows)
    return 0


def _score(truth: list[Line], ocr: list[Line], out: Counter) -> None:
    used = set()
    for line in truth:
        text = " ".join(line.text.split())
        near = min(range(len(ocr)), key=lambda k: abs(ocr[k].top - line.top), default=None)
        match = near is not None and abs(ocr[near].top - line.top) < line.height / 2
        got = " ".join(ocr[near].text.split()) if match else ""
        used.add(near if match else None)
        out["chars"] += len(text)
        out["errors"] += edit_distance(text, got)
        want = _numbers(line)
        out["numbers"] += len(want)
        out["right"] += sum((Counter(want) & Counter(_numbers(ocr[near]) if match else [])).values())
    out["errors"] += sum(len(ocr[k].text) for k in range(len(ocr)) if k not in used)


def _numbers(line: Line) -> list[float]:
    out = []
    for w in line.words:
        try:
            if (v := number(w.text)) is not None:
                out.append(v)
        except ValueError:
            continue
    return out


def _write(rows: list[tuple]) -> None:
    table = ["| dpi | setting | character accuracy | numbers read exactly | s / page |",
             "|---|---|---|---|---|"]
    table += [f"| {dpi} | {name} | {chars:.3f} | {nums:.3f} | {secs:.2f} |"
              for dpi, name, chars, nums, secs in rows]
    out = ROOT / "benchmarks" / "OCR_RESULTS.md"
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    head, _, tail = text.partition("<!-- figures -->")
    _, _, tail = tail.partition("<!-- end figures -->")
    figures = "\n".join(table)
    out.write_text(f"{head}<!-- figures -->\n{figures}\n<!-- end figures -->{tail}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
