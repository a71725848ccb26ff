"""`dxaparse export`: dump the result store — jsonl (one contract-v1 object per exam) or csv.

By default only each study's current result is written: a study re-coded with more objects has several
stored versions, and an analyst summing charges over the export must see each study once. Every row
says its version and the one it supersedes, so an incremental hand-off (`--since`) can replace what an
earlier one delivered; `--all-versions` writes the history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from ..emit.store import default_path
from .options import error


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="dump the result store as jsonl or csv",
                       description="Write each study's current result (with --all-versions: every stored "
                                   "result), in the order stored. See docs/store.md.")
    p.add_argument("--store", type=Path, help=f"SQLite store (default {default_path()})")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                   help="jsonl: one result-v1 object per line (default); csv: one row per measurement")
    p.add_argument("--since", type=_when, metavar="DATE",
                   help="only exams stored on or after DATE (YYYY-MM-DD or ISO date-time; UTC unless an "
                        "offset is given)")
    p.add_argument("--all-versions", action="store_true",
                   help="also the results that a later result of the same study superseded (the history)")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    return p


def run(args: argparse.Namespace) -> int:
    from ..emit.csv_out import write_versioned_csv
    from ..emit.json_out import stored_document
    from ..emit.store import Store, StoreError

    path = args.store or default_path()
    if not path.is_file():
        return error("export", f"no store at {path}")
    try:
        store = Store(path)
    except StoreError as err:
        return error("export", str(err))
    with store:
        try:
            out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
        except OSError as err:
            return error("export", f"cannot write {args.output}: {err.strerror or err}")
        try:
            stored = store.iter_versions(args.since, all_versions=args.all_versions)
            if args.format == "csv":
                write_versioned_csv(stored, out)
            else:
                for result, version in stored:
                    doc = stored_document(result, version)
                    out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
        finally:
            if args.output:
                out.close()
    return 0


def _when(text: str) -> dt.date | dt.datetime:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO date-time: {text!r}") from None
