"""Option parsers and the error line the service commands (watch, pacs, batch) share."""

from __future__ import annotations

import argparse
import sys

from ..emit import EXTENSIONS


def seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more seconds")
    return value


def positive_seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def jobs(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def formats(text: str) -> list[str]:
    """A comma-separated list of export formats (`--out-format hl7,csv`)."""
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    if not chosen or any(f not in EXTENSIONS for f in chosen):
        raise argparse.ArgumentTypeError(f"choose from {','.join(EXTENSIONS)}")
    return chosen


def error(command: str, message: str, status: int = 2) -> int:
    """One line on stderr naming the command, and the exit status to return."""
    print(f"dxaparse {command}: {message}", file=sys.stderr)
    return status
