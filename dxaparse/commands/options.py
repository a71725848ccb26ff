"""Option parsers, shared options and the error line the commands (code, watch, pacs, batch) share."""

from __future__ import annotations

import argparse
import sys

from ..emit import EXTENSIONS, FHIR_BUNDLES


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


def add_fhir_bundle(p: argparse.ArgumentParser) -> None:
    """`--fhir-bundle`, the one definition `code`, `watch` and `pacs` share."""
    p.add_argument("--fhir-bundle", choices=FHIR_BUNDLES, metavar="|".join(FHIR_BUNDLES),
                   help="how each exam is written as FHIR: a collection Bundle (default), or a transaction "
                        "Bundle a FHIR server takes in one POST, re-sendable without duplicates "
                        "(docs/exports.md#fhir-r4)")


def fhir_bundle(args: argparse.Namespace, chosen: list[str]) -> tuple[str, str | None]:
    """The Bundle type, and the error when `--fhir-bundle` was given without the fhir format."""
    if args.fhir_bundle and "fhir" not in chosen:
        return "collection", "--fhir-bundle needs the fhir format"
    return args.fhir_bundle or "collection", None


def error(command: str, message: str, status: int = 2) -> int:
    """One line on stderr naming the command, and the exit status to return."""
    print(f"dxaparse {command}: {message}", file=sys.stderr)
    return status
