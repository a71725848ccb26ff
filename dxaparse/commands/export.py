"""`dxaparse export`: dump the result store — jsonl (one contract-v1 object per exam), csv (one row per
CPT line), csv-measurements (one row per measurement), hl7 or fhir — all of it or what the filters pick.

By default only each study's current result is written: a study re-coded with more objects has several
stored versions, and an analyst summing charges over the export must see each study once. Every row
says its version and the one it supersedes, so an incremental hand-off (`--since`) can replace what an
earlier one delivered; `--all-versions` writes the history. The filters are SQL on the store's columns
(`emit.store.Selection`), so picking a few exams out of a large store reads those exams only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..emit.store import default_path
from .options import add_fhir_bundle, error, fhir_bundle

if TYPE_CHECKING:
    from ..emit.store import Store, Stored

EXPORT_FORMATS = ("jsonl", "csv", "csv-measurements", "hl7", "fhir")


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="dump the result store as jsonl, csv, csv-measurements, hl7 or fhir",
                       description="Write each study's current result (with --all-versions: every stored "
                                   "result), in the order stored; the filters combine (all must hold). "
                                   "See docs/store.md.")
    p.add_argument("--store", type=Path, help=f"SQLite store (default {default_path()})")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl",
                   help="jsonl: one result-v1 object per line (default); csv: one row per CPT line; "
                        "csv-measurements: one row per measurement; hl7: the messages each result sends; "
                        "fhir: one Bundle per line")
    p.add_argument("--since", type=_when, metavar="WHEN",
                   help="only exams stored on or after WHEN (YYYY-MM-DD or ISO date-time; UTC unless an "
                        "offset is given)")
    p.add_argument("--until", type=_when, metavar="WHEN",
                   help="only exams stored on or before WHEN (a date includes its whole day)")
    p.add_argument("--held", action="store_true", help="only exams whose charge is held (not released)")
    p.add_argument("--needs-review", action="store_true", help="only exams whose coding needs review")
    p.add_argument("--study", type=_text, metavar="UID", help="only the exams of this Study Instance UID")
    p.add_argument("--accession", type=_text, metavar="ACC", help="only the exams of this accession number")
    p.add_argument("--all-versions", action="store_true",
                   help="also the results that a later result of the same study superseded (the history)")
    p.add_argument("--config", type=Path,
                   help="site settings (TOML) whose [hl7] envelope the hl7 messages carry (default: "
                        "$DXAPARSE_CONFIG); see docs/configuration.md")
    add_fhir_bundle(p)
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    return p


def run(args: argparse.Namespace) -> int:
    from ..code import load_settings
    from ..emit.store import Selection, Store, StoreError

    bundle_type, wrong = fhir_bundle(args, [args.format])
    if wrong:
        return error("export", wrong)
    options = ({"bundle_type": bundle_type} if args.format == "fhir"
               else {"envelope": load_settings(args.config).hl7} if args.format == "hl7" else {})

    selection = Selection(since=args.since, until=args.until, held=args.held, needs_review=args.needs_review,
                          study_uid=args.study, accession=args.accession, all_versions=args.all_versions)
    low, high = selection.bounds()
    if high is not None and high <= low:
        return error("export", f"--since {args.since.isoformat()} is after --until {args.until.isoformat()}")
    path = args.store or default_path()
    if not path.is_file():
        return error("export", f"no store at {path}")
    try:
        store = Store(path)
    except StoreError as err:
        return error("export", str(err))
    with store:
        try:
            out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
        except OSError as err:
            return error("export", f"cannot write {args.output}: {err.strerror or err}")
        try:
            _write(args.format, store, store.select(selection), out, options)
        finally:
            if args.output:
                out.close()
    return 0


def _write(fmt: str, store: Store, stored: Iterable[Stored], out: TextIO, options: dict) -> None:
    """Stream `stored` in `fmt`, each result as the emitters of `dxaparse code` and of the services
    write it; `options`: the format's own (the hl7 envelope, the FHIR Bundle type)."""
    from ..emit import FORMATS, HL7_KINDS
    from ..emit.csv_out import write_stored_csv, write_stored_measurements_csv
    from ..emit.json_out import stored_document

    if fmt == "csv":
        write_stored_csv(stored, out)
    elif fmt == "csv-measurements":
        write_stored_measurements_csv(((s.result, s.version) for s in stored), out)
    elif fmt == "hl7":
        from ..emit.hl7 import hl7_messages

        for result, version, _ in stored:
            # What the services send for it: an amended result corrects the last billed one.
            billed = (store.latest(result.exam.study_uid, before=result.source.sha256, billed=True)
                      if version.supersedes else None)
            out.write("".join(er7 + "\n" for _, er7 in hl7_messages(result, billed, HL7_KINDS, **options)))
    elif fmt == "fhir":
        for result, _, _ in stored:
            out.write(FORMATS["fhir"]([result], True, **options))
    else:
        for result, version, _ in stored:
            doc = stored_document(result, version)
            out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")


def _when(text: str) -> dt.date | dt.datetime:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO date-time: {text!r}") from None


def _text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text
