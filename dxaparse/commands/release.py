"""`dxaparse release`: release held charges — the documented action that lets a held exam bill.

A held exam (`billing.status` held) sent no charge and only preliminary results. Releasing it records
who released it, when and why in the store, then writes and queues what a billable exam sends: the
DFT^P03 (crediting the study's last billed charge first if it changed) and the final ORU^R01. An exam
with no patient identifier or no date of service cannot be released: a charge needs both, and dxaparse
never invents them — correct the source and code it again.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..emit.store import default_path
from ..release import default_queue
from .options import add_release_outputs, error


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("release", help="release held charges so that they bill",
                       description="Release held exams: record who released them and when, then write the "
                                   "charge (DFT^P03) and the final results (ORU^R01). See docs/coding.md.")
    p.add_argument("exams", nargs="+", metavar="EXAM",
                   help="a stored exam's content hash (source.sha256), or its first 8 or more characters")
    p.add_argument("--store", type=Path, help=f"SQLite result store (default {default_path()})")
    p.add_argument("--config", type=Path,
                   help="site settings (TOML) whose [hl7] envelope the messages carry (default: "
                        "$DXAPARSE_CONFIG); see docs/configuration.md")
    p.add_argument("--by", default=None, metavar="NAME",
                   help="who releases the charges (default: the login name running the command)")
    p.add_argument("--note", metavar="TEXT", help="why they may bill (kept with the release)")
    add_release_outputs(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..code import load_settings
    from ..emit.store import Store
    from ..models import BillingStatus
    from ..release import releasable, release_stored
    from ..serve.mllp import Outbox

    envelope = load_settings(args.config).hl7
    path = args.store or default_path()
    if not path.is_file():
        return error("release", f"no store at {path}")
    by = (args.by or _login()).strip()
    if not by:
        return error("release", "--by is empty: name who releases the charges")
    queue = args.mllp_queue or default_queue(path)
    failed = 0
    with Store(path) as store:
        outbox = Outbox(queue) if queue else None
        try:
            for name in args.exams:
                result, problem = releasable(store, name.lower())
                if problem:
                    print(f"dxaparse release: {name}: {problem}", file=sys.stderr)
                    failed += 1
                    continue
                done = release_stored(store, result, by, args.note, envelope=envelope,
                                      out_dir=args.out_dir, outbox=outbox)
                if not done.where:
                    sys.stdout.write("".join(text + "\n" for _, text in done.messages))
                    done.where.append("stdout")
                kinds = ", ".join(kind for kind, _ in done.messages)
                print(f"dxaparse release: {result.source.sha256[:12]} {BillingStatus.RELEASED.value} by "
                      f"{by}: {kinds} → {'; '.join(done.where)}", file=sys.stderr)
        finally:
            if outbox:
                outbox.close()
    return 2 if failed else 0


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return ""
