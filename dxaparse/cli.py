"""The `dxaparse` command: one sub-command per entry point, each in `dxaparse/commands/`.

Each command module has `add_parser(subparsers)` (its options) and `run(args) -> int` (exit status).
Command modules import only what their options need; `run` imports the command's libraries (pydicom,
pydantic, watchdog, pynetdicom, hl7apy, fhir.resources …), so `dxaparse --version`, `--help` and a
one-report `dxaparse code` pay only for what they use (benchmarks/startup.py measures it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .errors import SettingsError

COMMANDS = ["code", "watch", "export", "pacs", "batch", "release", "status", "review", "users", "audit",
            "precision"]


class _Version(argparse.Action):
    """`--version`: the version, the code tables in force and OCR's availability, worked out only when
    asked for (argparse's own version action takes its text when the parser is built)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .about import version_text

        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dxaparse", description="Read DXA bone-density results and code them for billing.")
    parser.add_argument("--version", action=_Version,
                        help="show the version, the code tables in force and whether OCR is available")
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
    if getattr(args, "log_format", "text") == "json":
        from .logs import OUTCOMES, use_json

        use_json()
        logging.getLogger(OUTCOMES).setLevel(logging.INFO)  # a shipper wants every exam's record
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
