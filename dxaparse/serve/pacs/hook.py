"""The PACS hook assembled: SCP → spool → (quiet) → worker → pipeline → the watcher's ResultSink → MLLP.

Sends each stored result's HL7 messages over MLLP: `emit.hl7.hl7_messages` decides which (shared with
the watcher's hl7 export files). An amended result (a study re-coded because more instances arrived)
is sent as a corrected ORU^R01 (result status C); its charges are sent again only if they changed, as
a DFT^P03 crediting the previous lines (FT1-6 CD) and one posting the new ones, so a billing system
never receives the same charge twice.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable
from pathlib import Path

from ...emit import HL7_KINDS
from ...emit.hl7 import hl7_messages
from ...models import ExamResult
from ...unit import RunOptions
from ..mllp import Deliverer
from ..sink import ResultSink
from .defaults import ACSE_TIMEOUT, NETWORK_TIMEOUT, WORKERS
from .scp import StorageSCP
from .spool import Spool
from .worker import Report, StudyWorker

log = logging.getLogger(__name__)

STOP_WAIT = 10.0
"""Seconds `stop` waits for the workers: the studies being coded are abandoned at once, so only a
result being stored can take them this long."""


class Hook:
    """Everything `dxaparse pacs` runs; `start` serves, `stop` shuts down within seconds, leaving the
    studies being coded in the spool for the next start."""

    def __init__(self, aet: str, spool_dir: Path, sink: ResultSink, options: RunOptions, *,
                 quiet: float = 60.0, allow: list[str] | None = None, max_associations: int = 32,
                 mllp: Deliverer | None = None, hl7_kinds: Iterable[str] = HL7_KINDS,
                 report: Report = lambda outcome: None, workers: int = WORKERS,
                 acse_timeout: float = ACSE_TIMEOUT, network_timeout: float = NETWORK_TIMEOUT):
        self.spool = Spool(spool_dir)
        self.sink, self.mllp, self.hl7_kinds = sink, mllp, tuple(hl7_kinds)
        self.envelope = options.settings.hl7
        self.worker = StudyWorker(self.spool, quiet, options, self._deliver, workers=workers, report=report)
        self.scp = StorageSCP(aet, self.spool, self.worker.arrived, allow=allow,
                              max_associations=max_associations, acse_timeout=acse_timeout,
                              network_timeout=network_timeout)

    def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self.scp.start(host, port, ssl_context)  # first: a port in use fails before anything runs
        self.sink.recover()
        self.worker.start()
        if self.mllp:
            self.mllp.start()

    def stop(self) -> None:
        self.scp.stop()
        self.worker.stop()
        if self.mllp:
            self.mllp.stop()
        self.worker.join(timeout=STOP_WAIT)
        if self.mllp:
            self.mllp.join(timeout=5)

    def _deliver(self, results: list[ExamResult], hashes: list[str]) -> list[bool]:
        """Commit, then queue the HL7 messages: also when the store had the result already, so a crash
        between the two is mended when the study is coded again (the outbox takes each message once)."""
        added = self.sink.commit(results, hashes)
        if self.mllp:
            for result in results:
                billed = self.sink.store.latest(result.exam.study_uid, before=result.source.sha256,
                                                billed=True)
                for kind, text in hl7_messages(result, billed, self.hl7_kinds, envelope=self.envelope):
                    self.mllp.enqueue(kind, text)
        return added
