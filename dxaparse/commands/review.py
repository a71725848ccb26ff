"""`dxaparse review`: serve the review workbench over a store (docs/review.md).

Binds 127.0.0.1 by default: put a hospital's reverse proxy (TLS, single sign-on) in front of it to reach
it from other machines. Its libraries are the `review` extra, imported only when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..emit.store import default_path
from .options import add_release_outputs, error


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("review", help="serve the review workbench: clear held exams, correct, release",
                       description="Serve the review workbench (a web application) over the store: a "
                                   "worklist of held and flagged exams, the evidence of each value, "
                                   "corrections, overrides and releases, all audited. See docs/review.md.")
    p.add_argument("--store", type=Path, help=f"SQLite result store (default {default_path()})")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--config", type=Path, help="site settings (TOML) the exams are re-coded with and whose "
                                               "[hl7] envelope releases carry (default: $DXAPARSE_CONFIG)")
    add_release_outputs(p)
    p.add_argument("--trust-header", metavar="NAME",
                   help="trust the reverse proxy's authenticated-user header NAME (e.g. X-Remote-User) "
                        "instead of the workbench's own log-in; only behind a proxy that sets it")
    p.add_argument("--secret-file", type=Path, metavar="PATH",
                   help="a file whose content signs the session cookies, so sessions survive a restart "
                        "(default: a new random key at each start)")
    return p


def run(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from ..code import load_settings
    from ..release import default_queue
    from ..review.app import ACCESS, Config, create_app

    path = args.store or default_path()
    if not path.is_file():
        return error("review", f"no store at {path}")
    secret = args.secret_file.read_text().strip() if args.secret_file else ""
    config = Config(store=path, settings=load_settings(args.config), out_dir=args.out_dir,
                    mllp_queue=args.mllp_queue or default_queue(path), trust_header=args.trust_header,
                    secret=secret)
    ACCESS.setLevel(logging.INFO)
    # uvicorn's own access log prints query strings (a searched patient ID): ours does not.
    uvicorn.run(create_app(config), host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0
