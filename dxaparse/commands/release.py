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
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..emit.store import default_path
from .options import error

if TYPE_CHECKING:
    from ..models import ExamResult

_HEX = re.compile(r"[0-9a-f]{8,64}")


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
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="write the messages of each exam to DIR/hl7/<sha256>.release.hl7, beside the "
                        "exports of `watch`/`pacs --out-dir`")
    p.add_argument("--mllp-queue", type=Path, metavar="PATH",
                   help="queue the messages in this MLLP outbox (default: <store>.mllp-outbox when it "
                        "exists), which a running `dxaparse pacs --mllp` delivers")
    return p


def run(args: argparse.Namespace) -> int:
    from ..billing import release
    from ..code import load_settings
    from ..emit import HL7_KINDS
    from ..emit.hl7 import hl7_messages
    from ..emit.store import Store
    from ..models import BillingStatus
    from ..serve.mllp import Outbox

    envelope = load_settings(args.config).hl7
    path = args.store or default_path()
    if not path.is_file():
        return error("release", f"no store at {path}")
    by = (args.by or _login()).strip()
    if not by:
        return error("release", "--by is empty: name who releases the charges")
    queue = args.mllp_queue or path.with_name(path.name + ".mllp-outbox")
    if args.mllp_queue is None and not queue.is_file():
        queue = None
    failed = 0
    with Store(path) as store:
        outbox = Outbox(queue) if queue else None
        try:
            for name in args.exams:
                result, problem = _releasable(store, name.lower())
                if problem:
                    print(f"dxaparse release: {name}: {problem}", file=sys.stderr)
                    failed += 1
                    continue
                sha = result.source.sha256
                billed = store.latest(result.exam.study_uid, before=sha, billed=True)
                result = store.set_billing(sha, release(result.billing, by, args.note))
                messages = hl7_messages(result, billed, HL7_KINDS, envelope=envelope)
                where = []
                if args.out_dir:
                    where.append(str(_write(args.out_dir, sha, messages)))
                if outbox:
                    for kind, text in messages:
                        outbox.put(kind, text)
                    where.append(f"queued in {queue}")
                if not where:
                    sys.stdout.write("".join(text + "\n" for _, text in messages))
                    where.append("stdout")
                kinds = ", ".join(kind for kind, _ in messages)
                print(f"dxaparse release: {sha[:12]} {BillingStatus.RELEASED.value} by {by}: {kinds} "
                      f"→ {'; '.join(where)}", file=sys.stderr)
        finally:
            if outbox:
                outbox.close()
    return 2 if failed else 0


def _releasable(store, name: str) -> tuple[ExamResult | None, str | None]:
    """(the stored exam, None) when it may be released, else (None, why not)."""
    from ..models import BillingStatus

    if not _HEX.fullmatch(name):
        return None, "not a content hash (8 to 64 hexadecimal characters)"
    found = store.find(name)
    if not found:
        return None, "no stored exam has this content hash"
    if len(found) > 1:
        return None, f"{len(found)} stored exams start with it; give more characters"
    result = found[0]
    if result.billing.status is not BillingStatus.HELD:
        return None, f"its charge is {result.billing.status.value}, not held: nothing to release"
    if not (result.patient.id or "").strip():
        return None, "no patient identifier: correct the source and code it again (it is never invented)"
    if result.exam.date is None:
        return None, "no date of service: correct the source and code it again (it is never invented)"
    current = store.latest(result.exam.study_uid)
    if current is not None and current.source.sha256 != result.source.sha256:
        return None, (f"a later result of its study supersedes it ({current.source.sha256[:12]}); "
                      "release that one")
    return result, None


def _write(out_dir: Path, sha: str, messages: list[tuple[str, str]]) -> Path:
    """Atomically, like the sink's exports: a pick-up job never sees half a file."""
    folder = out_dir / "hl7"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{sha}.release.hl7"
    pending = folder / f".{final.name}.pending"
    with pending.open("w", encoding="utf-8", newline="") as fh:
        fh.write("".join(text + "\n" for _, text in messages))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pending, final)
    return final


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return ""
