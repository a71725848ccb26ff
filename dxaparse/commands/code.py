"""`dxaparse code PATH ...`: read and code reports, write them to stdout in one format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..emit import FORMATS
from ..errors import InputError
from .options import add_fhir_bundle, add_run_options, error, fhir_bundle, run_options


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("code", help="read and code DXA reports (DICOM files or folders, PDFs, findings JSON)",
                       description="Read and code each input. Exit 0 when all were coded, 2 when any "
                                   "could not be read (one stderr line per bad input).")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="DICOM object, folder holding one exam, PDF report, or findings JSON")
    p.add_argument("--format", choices=sorted(FORMATS), default="json", help="output format (default json)")
    add_fhir_bundle(p)
    add_run_options(p)
    p.add_argument("--history-store", type=Path, metavar="PATH",
                   help="a result store holding the patients' earlier exams: each exam is compared with "
                        "its prior one and checked against the payer's frequency rule (docs/history.md)")
    p.add_argument("--progress", action="store_true",
                   help="one stderr line per input as it is read (`dxaparse: [2/9] PATH`), for logs and "
                        "scripts; without it several inputs show a progress bar when stderr is a terminal")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    return p


def run(args: argparse.Namespace) -> int:
    from ..pipeline import run_unit
    from ..unit import units_of

    bundle_type, problem = fhir_bundle(args, [args.format])
    if problem:
        return error("code", problem)
    options = run_options(args)   # one for the run: every input is coded with the same choices
    try:  # before any input is read: a wrong -o must not cost a long run
        out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
    except OSError as err:
        return error("code", f"cannot write {args.output}: {err.strerror or err}")
    results, bad = [], 0
    # A progress bar only for a person watching several inputs: never in pipes, logs or CI output.
    paths, say = args.paths, _say
    if len(args.paths) > 1 and sys.stderr.isatty() and not args.progress:
        from tqdm import tqdm

        paths, say = tqdm(args.paths, unit="input", file=sys.stderr), tqdm.write
    for n, path in enumerate(paths, 1):
        if args.progress:
            say(f"dxaparse: [{n}/{len(args.paths)}] {path}", file=sys.stderr)
        # Readers never follow a link (read/files.py); one named here is the user's own choice.
        target = path.resolve() if path.is_symlink() else path
        for unit in units_of(target):
            # In this process, under an alarm: a child process per input would double a one-report
            # run's time.
            if isinstance(unit, InputError):
                errors = [unit]
            else:
                outcome = run_unit(unit, options)
                results += outcome.results
                errors = outcome.rejected
            for err in errors:
                bad += 1
                say(f"dxaparse: {err}", file=sys.stderr)
    written = ({"bundle_type": bundle_type} if args.format == "fhir"
               else {"envelope": options.settings.hl7} if args.format == "hl7" else {})
    text = FORMATS[args.format](results, len(args.paths) > 1, **written) if results else ""
    if args.output:
        with out:
            out.write(text)
    elif text:
        out.write(text)
    return 2 if bad else 0


def _say(line: str, file) -> None:
    print(line, file=file, flush=True)
