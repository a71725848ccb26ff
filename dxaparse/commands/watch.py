"""`dxaparse watch DIR`: code every report dropped into a folder exactly once (docs/watcher.md).

Prints one line per processed input and a periodic count on stdout. File names on a share can hold
patient names, so lines and logs show an ordinal and a short content hash unless `--log-paths`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
from pathlib import Path

from ..emit import EXTENSIONS
from ..emit.store import Store, StoreError, default_path, network_filesystem
from .options import (
    add_fhir_bundle,
    add_run_options,
    error,
    fhir_bundle,
    formats,
    positive_seconds,
    run_options,
    seconds,
)
from .privacy import InputNames, withhold_library_messages
from .report import Printer


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("watch", help="code reports dropped into a folder (a reporting share), once each",
                       description="Watch DIR: code each complete report once into the store, then move "
                                   "it to DIR/done/ (or DIR/failed/ with <name>.error.txt). "
                                   "See docs/watcher.md.")
    p.add_argument("folder", type=Path, metavar="DIR",
                   help="folder the scanners and radiologists drop reports in")
    p.add_argument("--store", type=Path,
                   help=f"SQLite result store, on a LOCAL disk (default {default_path()})")
    p.add_argument("--poll", type=positive_seconds, metavar="SECONDS",
                   help="poll every SECONDS instead of native events: needed on SMB/NFS mounts")
    p.add_argument("--settle", type=seconds, default=5.0, metavar="SECONDS",
                   help="a file is complete once its size and mtime are unchanged this long (default 5)")
    p.add_argument("--study-quiet", type=seconds, default=30.0, metavar="SECONDS",
                   help="code a DICOM study once no object arrived for this long (default 30)")
    p.add_argument("--retry-partial", type=seconds, default=300.0, metavar="SECONDS",
                   help="read an input that gave no result again later, with back-off, while it was "
                        "modified less than this long ago: a writer may have paused (default 300; 0: "
                        "fail at once)")
    p.add_argument("--done", type=Path, metavar="DIR", help="where coded inputs go (default DIR/done)")
    p.add_argument("--failed", type=Path, metavar="DIR",
                   help="where unreadable inputs go (default DIR/failed)")
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="also write each new exam to DIR/<format>/<sha256>.<ext>")
    p.add_argument("--out-format", type=formats, metavar="LIST",
                   help=f"export formats for --out-dir, comma-separated: {','.join(EXTENSIONS)} "
                        "(default json)")
    add_fhir_bundle(p)
    add_run_options(p)
    p.add_argument("--once", action="store_true",
                   help="process what is there, exit when the folder is idle (exit status 2 if any input "
                        "failed)")
    p.add_argument("--summary-every", type=seconds, default=60.0, metavar="SECONDS",
                   help="print the counts this often while busy (default 60)")
    p.add_argument("--log-paths", action="store_true",
                   help="show file names in output and logs (they may contain patient names)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..serve.sink import ResultSink
    from ..serve.watch import Watcher, WatchOptions  # watchdog

    root = args.folder.resolve()
    store_path = (args.store or default_path()).resolve()
    out_dir = args.out_dir.resolve() if args.out_dir else None
    if not root.is_dir():
        return error("watch", f"{args.folder}: not a folder")
    if args.out_format and not out_dir:
        return error("watch", "--out-format needs --out-dir")
    chosen = (args.out_format or ["json"]) if out_dir else []
    bundle_type, problem = fhir_bundle(args, chosen)
    if problem:
        return error("watch", problem)
    for what, path in (("store", store_path), ("--out-dir", out_dir)):
        if path and path.is_relative_to(root):
            return error("watch", f"the {what} must not be inside the watched folder "
                                  "(it would be taken as input)")
    if fs := network_filesystem(store_path.parent if not store_path.exists() else store_path):
        print(f"dxaparse watch: warning: the store {store_path} is on a {fs} file system; SQLite needs a "
              "local disk (docs/store.md)", file=sys.stderr)
    run_opts = run_options(args)
    options = WatchOptions(root=root, done=args.done, failed=args.failed, settle=args.settle,
                           study_quiet=args.study_quiet, poll=args.poll, once=args.once,
                           summary_every=args.summary_every, retry_partial=args.retry_partial)
    printer = Printer("watch", root, args.log_paths)
    withhold_library_messages(args.verbose)
    for handler in logging.getLogger().handlers:
        handler.addFilter(InputNames(root, args.log_paths))
    try:
        with Store(store_path) as store:
            sink = ResultSink(store, out_dir, chosen, fhir_bundle=bundle_type, hl7=run_opts.settings.hl7)
            watcher = Watcher(options, run_opts, sink, printer)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: watcher.stop())
            how = f"polling every {args.poll:g} s" if args.poll else "native events"
            print(f"dxaparse watch: watching {root} ({how}); results in {store_path}", flush=True)
            watcher.run()
    except (OSError, sqlite3.Error, StoreError) as err:
        # Only the error's kind and text: an OSError's file name may be a patient's.
        detail = err.strerror if isinstance(err, OSError) and not args.log_paths else err
        return error("watch", f"stopped: {type(err).__name__}: {detail}", status=1)
    printer.summary(watcher.counts, watcher.waiting(), final=True)
    # Like `code` and `batch`: a scheduled `--once` run whose inputs failed must not look successful.
    return 2 if args.once and watcher.counts["failed"] else 0
