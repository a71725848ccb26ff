"""`dxaparse precision --store PATH --device SERIAL [--write FILE]`: the facility's precision error and
least significant change per site, from repeated same-day scans in the store (docs/history.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..emit.store import default_path
from .options import error


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("precision", help="precision error (RMS-SD) and LSC per site from a precision study",
                       description="Find the repeated same-day scans of each patient on one scanner in the "
                                   "store and compute the precision error (RMS-SD) and the least significant "
                                   "change (2.77 × RMS-SD) per site, as ISCD asks. Refuses a study smaller "
                                   "than 15 patients × 3 scans or 30 × 2. See docs/history.md.")
    p.add_argument("--store", type=Path, help=f"SQLite result store (default {default_path()})")
    p.add_argument("--device", required=True, metavar="SERIAL", help="the scanner's serial number")
    p.add_argument("--write", type=Path, metavar="FILE",
                   help="write the RMS-SD per site to this precision file (other devices in it are kept); "
                        "name it as precision_file in the site settings")
    return p


def run(args: argparse.Namespace) -> int:
    import tomllib

    from ..emit.store import Store, StoreError
    from ..history.precision import TooFew, precision_of, repeated_scans, settings_text

    path = (args.store or default_path()).resolve()
    if not path.is_file():
        return error("precision", f"no store at {path}")
    try:
        with Store(path) as store:
            found = repeated_scans((r for r, _ in store.iter_versions()), args.device)
    except StoreError as err:
        return error("precision", str(err))
    if not found:
        return error("precision", f"no repeated same-day scans of one patient on device {args.device}")
    done, refused = [], []
    for site, series in found.items():
        try:
            done.append(precision_of(site, series))
        except TooFew as err:
            refused.append(str(err))
    print(f"{'site':<16} {'patients':>8} {'scans':>6} {'RMS-SD g/cm²':>13} {'LSC g/cm²':>10}")
    for p in done:
        print(f"{p.site.value:<16} {p.patients:>8} {p.scans:>6} {p.rms_sd:>13.5f} {p.lsc:>10.4f}")
    for reason in refused:
        print(f"dxaparse precision: refused {reason}", file=sys.stderr)
    if not done:
        return 1
    if args.write:
        existing = {}
        if args.write.is_file():
            try:
                existing = tomllib.loads(args.write.read_text(encoding="utf-8")).get("precision", {})
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
                return error("precision", f"cannot read {args.write}: {err}")
        try:
            args.write.write_text(settings_text(args.device, done, existing), encoding="utf-8")
        except OSError as err:
            return error("precision", f"cannot write {args.write}: {err.strerror or err}")
        print(f"written to {args.write}")
    return 0
