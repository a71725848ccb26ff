"""`dxaparse batch DIR --store PATH [--jobs N | --dask ADDRESS]`: back-fill the store from a tree of
archived reports (docs/batch.md). Run it again to resume: content already stored is skipped.

Progress goes to stderr (a bar on a terminal), one line per file that could not be coded, named by its
short content hash (its path under DIR with `--log-paths`: archive names are often patients' names);
the closing summary goes to stdout. Exit 0 when every file was coded (or was stored
already), 2 when any failed, 1 when the run itself stopped, 130 when interrupted (Ctrl-C, SIGTERM):
what was coded by then is committed, and the next run goes on from there.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
from pathlib import Path

from ..batch import default_jobs
from ..emit.store import Store, StoreError, default_path, network_filesystem
from .options import add_run_options, error, jobs, run_options
from .privacy import InputNames, input_label, withhold_library_messages


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("batch", help="back-fill the store from a tree of reports (resumable)",
                       description="Code every PDF, findings JSON and DICOM object under DIR into the "
                                   "store; DICOM objects are grouped by study across the whole tree. "
                                   "Content already stored is skipped. See docs/batch.md.")
    p.add_argument("folder", type=Path, metavar="DIR", help="root of the tree of reports")
    p.add_argument("--store", type=Path, metavar="PATH",
                   help=f"SQLite result store, on a LOCAL disk (default {default_path()})")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=jobs, default=default_jobs(), metavar="N",
                       help="worker processes on this machine (default: one per core, here "
                            f"{default_jobs()})")
    where.add_argument("--dask", metavar="SCHEDULER_ADDRESS",
                       help="run on a Dask cluster instead, e.g. tcp://host:8786 (needs dxaparse[dask] "
                            "on every worker and DIR at the same path there)")
    add_run_options(p)
    p.add_argument("--log-paths", action="store_true",
                   help="show file names in output and logs (they may contain patient names)")
    return p


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..batch.executors import open_executor
    from ..batch.runner import run_batch
    from ..batch.tally import summary

    root = args.folder.resolve()
    if not root.is_dir():
        return error("batch", f"{args.folder}: not a folder", 2)
    store_path = (args.store or default_path()).resolve()
    if fs := network_filesystem(store_path if store_path.exists() else store_path.parent):
        print(f"dxaparse batch: warning: the store {store_path} is on a {fs} file system; SQLite needs a "
              "local disk (docs/store.md)", file=sys.stderr)
    options = run_options(args)
    withhold_library_messages(args.verbose)  # before the pool starts: its workers inherit it
    for handler in logging.getLogger().handlers:
        handler.addFilter(InputNames(root, args.log_paths))

    def failed(path: str, sha256: str | None, reason: str) -> None:
        name = input_label(path, sha256, root, args.log_paths)
        tqdm.write(f"dxaparse batch: {name}: {reason}", file=sys.stderr)

    how = f"Dask at {args.dask}" if args.dask else f"{args.jobs} job{'s' if args.jobs > 1 else ''}"
    signal.signal(signal.SIGTERM, _interrupt)  # a scheduler's kill stops the run as Ctrl-C does
    try:
        with Store(store_path) as store, open_executor(args.jobs, args.dask) as (executor, slots):
            tally = run_batch(root, store, options, executor, slots=slots, on_failure=failed,
                              progress=sys.stderr.isatty())
    except KeyboardInterrupt:
        return error("batch", "interrupted; what was coded is stored, run again to resume", 130)
    except RuntimeError as err:  # no Dask installed, or workers that keep dying
        return error("batch", f"stopped: {err}", 1)
    except (OSError, sqlite3.Error, StoreError) as err:
        # Only the error's kind and text: an OSError's file name may hold a patient's name.
        detail = err.strerror if isinstance(err, OSError) and err.strerror else err
        return error("batch", f"stopped: {type(err).__name__}: {detail}", 1)
    print(summary(tally, how), flush=True)
    return 2 if tally.failed else 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt

