"""The `dxaparse` command: one sub-command per entry point, each in `dxaparse/commands/`.

Each command module has `add_parser(subparsers)` (its options) and `run(args) -> int` (exit status).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .code import SettingsError

COMMANDS = ["code", "watch", "export", "pacs", "batch"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dxaparse", description="Read DXA bone-density results and code them for billing.")
    parser.add_argument("--version", action="version", version=f"dxaparse {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f".commands.{name}", __package__)
        module.add_parser(sub).set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except SettingsError as err:
        print(f"dxaparse: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
