"""Option parsers, the options every coding command shares (into one `unit.RunOptions`), and the error
line the commands share."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..emit import EXTENSIONS, FHIR_BUNDLES
from ..errors import SettingsError

if TYPE_CHECKING:
    from ..unit import RunOptions


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


def add_release_outputs(p: argparse.ArgumentParser) -> None:
    """Where a release sends its messages, the one definition `release` and `review` share
    (`dxaparse/release.py` writes and queues them)."""
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="write a released exam's messages to DIR/hl7/<sha256>.release.hl7, beside the "
                        "exports of `watch`/`pacs --out-dir`")
    p.add_argument("--mllp-queue", type=Path, metavar="PATH",
                   help="queue a released exam's messages in this MLLP outbox (default: "
                        "<store>.mllp-outbox when it exists), which a running `dxaparse pacs --mllp` "
                        "delivers")


def error(command: str, message: str, status: int = 2) -> int:
    """One line on stderr naming the command, and the exit status to return."""
    print(f"dxaparse {command}: {message}", file=sys.stderr)
    return status


PASSWORD_ENV = "DXAPARSE_PDF_PASSWORD"
"""The environment variable that may hold the password of encrypted PDF reports."""


def add_run_options(p: argparse.ArgumentParser, *, password: bool = True) -> None:
    """The options every coding command shares, read into one `unit.RunOptions` by `run_options`: site
    settings, OCR, the PDF password (not for the PACS hook: it codes DICOM objects, whose Encapsulated
    PDFs are read without one), and the log format (docs/configuration.md)."""
    p.add_argument("--config", type=Path, help="site coding settings (TOML); see docs/configuration.md")
    p.add_argument("--no-ocr", dest="ocr", action="store_false", help="never OCR image-only reports")
    if password:
        p.add_argument("--password", help="password of encrypted PDF reports (visible to other users in "
                                          f"`ps`: prefer --password-file or {PASSWORD_ENV})")
        p.add_argument("--password-file", type=Path, metavar="PATH",
                       help="read the password of encrypted PDF reports from this file (its trailing "
                            "newline dropped)")
    p.add_argument("--log-format", choices=["text", "json"], default="text",
                   help="log records on stderr as text lines (default) or one JSON object each")


def run_options(args: argparse.Namespace) -> RunOptions:
    """The run's one options object, from the shared options. The password comes from --password, else
    --password-file, else $DXAPARSE_PDF_PASSWORD. The patients' history is looked up in the command's
    own store (`--store`: watch, pacs, batch) or, for `code`, in `--history-store`. Raises
    `SettingsError` (one line, exit status 2) for a settings or password file that cannot be read."""
    from ..code import load_settings
    from ..unit import RunOptions

    if hasattr(args, "store"):   # a service's or the batch's own store holds the patients' history
        from ..emit.store import default_path

        store = args.store or default_path()
    else:
        store = getattr(args, "history_store", None)
    return RunOptions(load_settings(args.config), ocr=args.ocr, password=_password(args),
                      store=store.resolve() if store else None)


def _password(args: argparse.Namespace) -> str | None:
    if getattr(args, "password", None) is not None:
        return args.password
    path = getattr(args, "password_file", None)
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            detail = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
            raise SettingsError(f"--password-file {path}: cannot read it: {detail}") from None
        return text.rstrip("\r\n")   # an editor's trailing newline is no part of it
    return os.environ.get(PASSWORD_ENV) if hasattr(args, "password") else None
