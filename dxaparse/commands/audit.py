"""`dxaparse audit`: the review workbench's audit trail — every view, edit, override and release, with
who, when, before, after and why — as CSV or JSON lines (docs/review.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..emit.store import default_path
from .options import error


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("audit", help="export the review workbench's audit trail",
                       description="Write the audit trail of the review workbench (views, edits, overrides, "
                                   "releases) as CSV or JSON lines, oldest first.")
    p.add_argument("--store", type=Path, help=f"SQLite result store (default {default_path()})")
    p.add_argument("--since", metavar="WHEN", help="only entries at or after this date or date-time (UTC)")
    p.add_argument("--format", choices=["csv", "jsonl"], default="jsonl",
                   help="output format (default jsonl)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output")
    return p


def run(args: argparse.Namespace) -> int:
    import csv
    import dataclasses
    import datetime as dt
    import io
    import json
    import sys

    from ..emit.store import AuditEntry, Store

    path = args.store or default_path()
    if not path.is_file():
        return error("audit", f"no store at {path}")
    since = None
    if args.since:
        try:
            since = dt.datetime.fromisoformat(args.since)
        except ValueError:
            return error("audit", f"--since {args.since!r} is not a date or date-time")
    with Store(path) as store:
        entries = store.audit(since=since)
    out = io.StringIO()
    if args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(AuditEntry.FIELDS)
        writer.writerows([getattr(e, f) for f in AuditEntry.FIELDS] for e in entries)
    else:
        out.writelines(json.dumps(dataclasses.asdict(e), ensure_ascii=False) + "\n" for e in entries)
    if args.output:
        args.output.write_text(out.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(out.getvalue())
    return 0
