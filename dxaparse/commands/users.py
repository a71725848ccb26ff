"""`dxaparse users add NAME --role coder|viewer`: a local user of the review workbench (docs/review.md).

The password is asked for (twice) on a terminal, or read from the first line of standard input; the
store keeps only its argon2 hash. Adding an existing user sets a new role and password.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..emit.store import default_path
from .options import error


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("users", help="manage the review workbench's local users",
                       description="Add a review workbench user (or give one a new role and password).")
    p.add_argument("action", choices=["add"], help="add (or update) a user")
    p.add_argument("name", help="the user's log-in name (as the reverse proxy names them, if one is used)")
    p.add_argument("--role", choices=["coder", "viewer"], default="viewer",
                   help="coder: may correct and release; viewer: may only look (default)")
    p.add_argument("--store", type=Path, help=f"SQLite result store (default {default_path()})")
    return p


def run(args: argparse.Namespace) -> int:
    import getpass

    from ..emit.store import Store
    from ..review.auth import hash_password

    name = args.name.strip()
    if not name:
        return error("users", "the name is empty")
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            return error("users", "the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        return error("users", "the password is shorter than 8 characters")
    path = args.store or default_path()
    with Store(path) as store:
        store.set_user(name, args.role, hash_password(password))
    print(f"dxaparse users: {name} is a {args.role} of {path}", file=sys.stderr)
    return 0
