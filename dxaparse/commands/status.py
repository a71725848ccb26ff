"""`dxaparse status --store PATH`: what the services writing a store have done and what waits, as a health
check (docs/store.md, "Status: a health check"): exit 0 when healthy, 1 with the reasons when not (the
rule is in `serve/health.py`), 2 for a usage error."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..emit.store import default_path


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("status", help="last coded exam, waiting work, MLLP outbox and recent failures; a "
                                      "health check (exit 0 healthy, 1 not)",
                       description="Report on the services writing STORE without touching anything. Exit "
                                   "status 0 when healthy, 1 when not, with the reasons. See docs/store.md.")
    p.add_argument("--store", type=Path, help=f"SQLite result store (default {default_path()})")
    p.add_argument("--mllp-queue", type=Path, metavar="PATH",
                   help="the MLLP outbox (default: <store>.mllp-outbox, as `dxaparse pacs` uses)")
    p.add_argument("--spool", type=Path, metavar="DIR",
                   help="the PACS hook's spool: studies waiting, failures")
    p.add_argument("--watch", type=Path, metavar="DIR",
                   help="the watched folder: files waiting, failures (in DIR/failed)")
    p.add_argument("--outbox-minutes", type=float, default=15.0, metavar="MIN",
                   help="unhealthy when an HL7 message has waited longer than this (default 15)")
    p.add_argument("--waiting-minutes", type=float, default=60.0, metavar="MIN",
                   help="unhealthy when a study or file has waited longer than this (default 60)")
    p.add_argument("--max-failures", type=int, default=10, metavar="N",
                   help="unhealthy when more inputs than this failed in the last day (default 10)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines for a person")
    return p


def run(args: argparse.Namespace) -> int:
    from ..serve.health import Rule, status

    rule = Rule(args.outbox_minutes, args.waiting_minutes, args.max_failures)
    found = status((args.store or default_path()).resolve(), args.mllp_queue, args.spool, args.watch, rule)
    if args.json:
        print(json.dumps(found.to_json_dict(), ensure_ascii=False))
    else:
        print(_text(found))
    return 0 if found.healthy else 1


def _text(s) -> str:
    last = f"{s.last_coded_at} {s.last_coded_sha256}" if s.last_coded_at else "none"
    lines = [f"store:          {s.store}", f"last coded:     {last}", f"coded (24 h):   {s.coded_last_day}"]
    if s.outbox:
        oldest = f", oldest {s.outbox_oldest_minutes:g} min" if s.outbox_oldest_minutes is not None else ""
        lines.append(f"MLLP outbox:    {s.outbox_pending} pending{oldest}; "
                     f"{s.outbox_rejected_last_day} rejected (24 h)")
    for what, waiting in (("spool waiting", s.spool_waiting), ("watch waiting", s.watch_waiting)):
        if waiting is not None:
            oldest = f", oldest {waiting.oldest_minutes:g} min" if waiting.oldest_minutes is not None else ""
            lines.append(f"{what + ':':<16}{waiting.count}{oldest}")
    lines.append(f"failed (24 h):  {s.failures_last_day}")
    lines += [f"UNHEALTHY: {p}" for p in s.problems] or ["healthy"]
    return "\n".join(lines)
