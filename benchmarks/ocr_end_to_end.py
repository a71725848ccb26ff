"""End-to-end OCR figures on the image-only samples: what reaches the result, and what is flagged.

    .venv/bin/python benchmarks/ocr_end_to_end.py      (from the repo root; prints the table rows of
                                                       "End to end" in benchmarks/OCR_RESULTS.md)

Each image-only sample of samples/ocr (Hologic, GE, Norland at 72, 150 and 300 dpi) is read by
`read_pdf` with the defaults (verification included) and coded; every non-blank value of every
measurement is compared with the sample's expected JSON, by (label, side). A value is exact, or wrong
and doubted, or wrong and **not** doubted (the figure that must stay 0). A row read under a misread
label counts as wrong. Time is reading (render + OCR + verification) per page.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxaparse.code import CodingSettings  # noqa: E402
from dxaparse.pipeline import result_of  # noqa: E402
from dxaparse.read.ocr import engine  # noqa: E402
from dxaparse.read.pdf import read_pdf  # noqa: E402

SAMPLES = ("hologic-spine-hip-pram", "ge-encore-v12", "norland-spine-hip")
VALUES = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")


def main() -> int:
    if not engine.available():
        print("OCR not installed: pip install -e '.[ocr]' (scripts/setup does it)")
        return 1
    print(f"language data: {engine.tessdata()}")
    print("| dpi | values | exact | wrong, doubted | wrong, **not** doubted | reports flagged for review "
          "| s / page |")
    print("|---|---|---|---|---|---|---|")
    for dpi in (72, 150, 300):
        n = exact = doubted = undoubted = flagged = pages = 0
        seconds = 0.0
        for name in SAMPLES:
            path = ROOT / "samples" / "ocr" / f"{name}-{dpi}dpi.pdf"
            want = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
            truth = {(m["label"], m["side"]): m for m in want["measurements"]}
            started = time.perf_counter()
            findings = read_pdf(path)
            seconds += time.perf_counter() - started
            pdf = pdfium.PdfDocument(str(path))
            pages += len(pdf)
            pdf.close()
            got = result_of(findings, CodingSettings()).to_json_dict()
            flagged += bool(got["coding"]["needs_review"])
            for m in got["measurements"]:
                right = truth.get((m["label"], m["side"]))
                for field in VALUES:
                    if m[field] is None:
                        continue
                    n += 1
                    if right is not None and right[field] == m[field]:
                        exact += 1
                    elif m["doubt"]:
                        doubted += 1
                    else:
                        undoubted += 1
                        print(f"  wrong, not doubted: {path.name} {m['label']} {field} {m[field]}",
                              file=sys.stderr)
        print(f"| {dpi} | {n} | {exact} ({exact / n:.0%}) | {doubted} | **{undoubted}** "
              f"| {flagged} / {len(SAMPLES)} | {seconds / pages:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
