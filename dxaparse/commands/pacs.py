"""`dxaparse pacs`: the PACS hook — a DICOM Storage SCP that codes each DXA study it receives (docs/pacs.md).

Runs until SIGTERM/SIGINT; the studies being coded then are left in the spool for the next start.
Prints one line per study coded (or failed) and the counts when it stops (stdout); logs (stderr) name
peers by AE title and studies by the exam's content hash, never patients.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import threading
from pathlib import Path

from ..emit import EXTENSIONS, HL7_KINDS
from ..emit.store import Store, StoreError, default_path
from ..quiet import captured
from ..serve.pacs.defaults import ACSE_TIMEOUT, NETWORK_TIMEOUT, WORKERS
from .options import (
    add_fhir_bundle,
    add_run_options,
    error,
    fhir_bundle,
    formats,
    jobs,
    positive_seconds,
    run_options,
    seconds,
)
from .privacy import withhold_library_messages
from .report import Printer


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("pacs", help="receive DXA studies over DICOM (C-STORE) and code them",
                       description="A DICOM Storage SCP for DXA studies: spools every instance, codes each "
                                   "study once it is quiet, stores the result like `watch`. "
                                   "See docs/pacs.md.")
    p.add_argument("--aet", required=True, metavar="NAME",
                   help="this node's AE title, as configured in the PACS")
    p.add_argument("--port", required=True, type=int, metavar="N", help="TCP port to listen on (e.g. 11112)")
    p.add_argument("--host", default="0.0.0.0", metavar="ADDR", help="address to bind (default 0.0.0.0: all)")
    p.add_argument("--spool", required=True, type=Path, metavar="DIR",
                   help="where received instances are kept: incoming/, done/, failed/ (local disk)")
    p.add_argument("--store", type=Path,
                   help=f"SQLite result store, on a LOCAL disk (default {default_path()})")
    p.add_argument("--study-quiet", type=seconds, default=60.0, metavar="SECONDS",
                   help="code a study once no instance arrived for this long (default 60)")
    p.add_argument("--allow-aet", action="append", metavar="NAME",
                   help="accept associations only from this calling AE title (repeat for several)")
    p.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve DICOM over TLS with this certificate")
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="private key of --tls-cert")
    p.add_argument("--tls-ca", type=Path, metavar="PEM", help="require client certificates signed by this CA")
    p.add_argument("--max-associations", type=int, default=32, metavar="N",
                   help="concurrent associations accepted (default 32)")
    p.add_argument("--acse-timeout", type=positive_seconds, default=ACSE_TIMEOUT, metavar="SECONDS",
                   help="close a connection that has not asked for an association within this time "
                        f"(default {ACSE_TIMEOUT:g})")
    p.add_argument("--network-timeout", type=positive_seconds, default=NETWORK_TIMEOUT, metavar="SECONDS",
                   help=f"abort an association silent for this long (default {NETWORK_TIMEOUT:g})")
    p.add_argument("--workers", type=jobs, default=WORKERS, metavar="N",
                   help=f"studies coded at once, each in a process of its own (default {WORKERS})")
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="also write each new exam to DIR/<format>/<sha256>.<ext>")
    p.add_argument("--out-format", type=formats, default=["json"], metavar="LIST",
                   help=f"comma-separated export formats for --out-dir: {','.join(EXTENSIONS)} "
                        "(default json)")
    add_fhir_bundle(p)
    add_run_options(p, password=False)
    p.add_argument("--mllp", type=_host_port, metavar="HOST:PORT",
                   help="deliver each new result as HL7 v2 over MLLP to this receiver")
    p.add_argument("--mllp-messages", type=_kinds, default=list(HL7_KINDS), metavar="LIST",
                   help="messages to deliver: dft (DFT^P03 charges), oru (ORU^R01 results); default dft,oru")
    p.add_argument("--mllp-timeout", type=seconds, default=10.0, metavar="SECONDS",
                   help="how long to wait for the ACK (default 10)")
    p.add_argument("--mllp-retry", type=seconds, default=5.0, metavar="SECONDS",
                   help="first retry delay when the receiver is down; doubles up to 5 minutes (default 5)")
    p.add_argument("--mllp-queue", type=Path, metavar="PATH",
                   help="persistent outbox (default: <store>.mllp-outbox beside the store)")
    return p


@captured()   # pydicom's warnings quote values (patient data), also while pynetdicom decodes a dataset
def run(args: argparse.Namespace) -> int:
    import ssl

    from ..serve.mllp import Deliverer, Outbox
    from ..serve.pacs.hook import Hook  # pynetdicom, hl7apy
    from ..serve.pacs.scp import tls_context
    from ..serve.sink import ResultSink

    if bool(args.tls_cert) != bool(args.tls_key):
        return error("pacs", "--tls-cert and --tls-key go together")
    chosen = args.out_format if args.out_dir else []
    bundle_type, problem = fhir_bundle(args, chosen)
    if problem:
        return error("pacs", problem)
    store_path = (args.store or default_path()).resolve()
    if args.verbose < 2:  # pynetdicom's INFO repeats ours
        logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    withhold_library_messages(args.verbose)  # pydicom's warnings quote values (patient data)
    options = run_options(args)
    printer = Printer("pacs", args.spool.resolve())
    stop = threading.Event()
    try:
        context = tls_context(args.tls_cert, args.tls_key, args.tls_ca) if args.tls_cert else None
        with Store(store_path) as store:
            sink = ResultSink(store, args.out_dir, chosen, fhir_bundle=bundle_type, hl7=options.settings.hl7)
            mllp = None
            if args.mllp:
                queue = args.mllp_queue or store_path.with_name(store_path.name + ".mllp-outbox")
                mllp = Deliverer(Outbox(queue), *args.mllp, timeout=args.mllp_timeout, retry=args.mllp_retry)
            hook = Hook(args.aet, args.spool.resolve(), sink, options, quiet=args.study_quiet,
                        allow=args.allow_aet, max_associations=args.max_associations, mllp=mllp,
                        hl7_kinds=args.mllp_messages, report=printer.outcome, workers=args.workers,
                        acse_timeout=args.acse_timeout, network_timeout=args.network_timeout)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            hook.start(args.host, args.port, context)
            print(f"dxaparse pacs: AE {args.aet} listening on {args.host}:{args.port}"
                  f"{' (TLS)' if context else ''}; spool {args.spool}; results in {store_path}", flush=True)
            try:
                stop.wait()
            finally:
                hook.stop()
                if mllp:
                    mllp.outbox.close()
    except (OSError, ssl.SSLError, sqlite3.Error, StoreError) as err:
        return error("pacs", f"stopped: {type(err).__name__}: {err}", status=1)
    printer.summary(hook.worker.counts, len(hook.spool.waiting()), final=True)
    return 0


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host, int(port)


def _kinds(text: str) -> list[str]:
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    if not kinds or set(kinds) - set(HL7_KINDS):
        raise argparse.ArgumentTypeError(f"choose from {','.join(HL7_KINDS)}")
    return kinds
