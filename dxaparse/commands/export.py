"""`dxaparse export`: dump the result store — jsonl (one contract-v1 object per exam) or csv."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..emit.store import default_path


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="dump the result store as jsonl or csv",
                       description="Write every stored exam, in the order stored. See docs/store.md.")
    p.add_argument("--store", type=Path, help=f"SQLite store (default {default_path()})")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                   help="jsonl: one result-v1 object per line (default); csv: one row per measurement")
    p.add_argument("--since", type=_when, metavar="DATE",
                   help="only exams stored on or after DATE (YYYY-MM-DD or ISO date-time; UTC unless an "
                        "offset is given)")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    return p


def run(args: argparse.Namespace) -> int:
    from ..emit.csv_out import write_csv
    from ..emit.store import Store

    path = args.store or default_path()
    if not path.is_file():
        print(f"dxaparse export: no store at {path}", file=sys.stderr)
        return 2
    with Store(path) as store:
        out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
        try:
            results = store.iter_results(args.since)
            if args.format == "csv":
                write_csv(results, out)
            else:
                for r in results:
                    out.write(r.model_dump_json() + "\n")
        finally:
            if args.output:
                out.close()
    return 0


def _when(text: str) -> dt.date | dt.datetime:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO date-time: {text!r}") from None
