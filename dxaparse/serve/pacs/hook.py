"""The PACS hook assembled: SCP → spool → (quiet) → worker → pipeline → the watcher's ResultSink → MLLP.

Also decides which HL7 messages a stored result sends. An amended result (a study re-coded because
more instances arrived) is sent as a corrected ORU^R01 (result status C); its charges are sent again
only if they changed, as a DFT^P03 crediting the previous lines (FT1-6 CD) and one posting the new
ones, so a billing system never receives the same charge twice.
"""

from __future__ import annotations

import logging
import sqlite3
import ssl
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from ...code import CodingSettings
from ...emit.hl7 import dft_p03, oru_r01
from ...models import ExamResult
from ...pipeline import process_study
from ...read.files import sha256_file
from ..mllp import Deliverer
from ..sink import ResultSink
from .scp import StorageSCP
from .spool import Spool
from .worker import StudyWorker

log = logging.getLogger(__name__)

HL7_KINDS = ("dft", "oru")


def hl7_messages(result: ExamResult, previous: ExamResult | None,
                 kinds: Iterable[str]) -> list[tuple[str, str]]:
    """(kind, ER7 text) to send for a newly stored result; `previous` is the study's last result."""
    out = []
    charges_changed = previous is None or _charges(previous) != _charges(result)
    if "dft" in kinds and charges_changed:
        if previous is not None and previous.coding.cpt:
            credit = dft_p03(previous)
            credit.msh.msh_10 = result.source.sha256[:19] + "R"
            for group in credit.dft_p03_financial:
                group.ft1.ft1_6 = "CD"
            out.append(("DFT^P03 credit", credit.to_er7()))
        if result.coding.cpt:
            out.append(("DFT^P03", dft_p03(result).to_er7()))
    if "oru" in kinds:
        oru = oru_r01(result)
        if previous is not None:
            order = oru.oru_r01_patient_result.oru_r01_order_observation
            order.obr.obr_25 = "C"
            for group in order.oru_r01_observation:
                group.obx.obx_11 = "C"
        out.append(("ORU^R01", oru.to_er7()))
    return out


def _charges(r: ExamResult) -> tuple:
    return ([(c.code, c.modifiers, c.units) for c in r.coding.cpt], [c.code for c in r.coding.icd10])


def previous_result(store_path: Path, result: ExamResult) -> ExamResult | None:
    """The result stored for the same study just before `result` (read straight from the store)."""
    if not result.exam.study_uid:
        return None
    with closing(sqlite3.connect(f"{store_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as db:
        row = db.execute("SELECT result_json FROM exams WHERE study_uid = ? AND id < "
                         "(SELECT id FROM exams WHERE sha256 = ?) ORDER BY id DESC LIMIT 1",
                         (result.exam.study_uid, result.source.sha256)).fetchone()
    return ExamResult.model_validate_json(row[0]) if row else None


class Hook:
    """Everything `dxaparse pacs` runs; `start` serves, `stop` shuts down after the study being coded."""

    def __init__(self, aet: str, spool_dir: Path, sink: ResultSink, settings: CodingSettings, *,
                 quiet: float = 60.0, allow: list[str] | None = None, max_associations: int = 32,
                 mllp: Deliverer | None = None, hl7_kinds: Iterable[str] = HL7_KINDS, ocr: bool = True):
        self.spool = Spool(spool_dir)
        self.sink, self.mllp, self.hl7_kinds = sink, mllp, tuple(hl7_kinds)
        self.worker = StudyWorker(self.spool, quiet,
                                  lambda files: list(process_study(files, settings, ocr=ocr)), self._deliver)
        self.scp = StorageSCP(aet, self.spool, self.worker.arrived, allow=allow,
                              max_associations=max_associations)

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
        self.worker.join(timeout=60)
        if self.mllp:
            self.mllp.join(timeout=5)

    def _deliver(self, results: list[ExamResult], files: list[Path]) -> None:
        """Commit, then queue the HL7 messages: also when the store had the result already, so a crash
        between the two is mended when the study is coded again (the outbox takes each message once)."""
        self.sink.commit(results, [sha256_file(f) for f in files])
        if self.mllp:
            for result in results:
                previous = previous_result(self.sink.store.path, result)
                for kind, text in hl7_messages(result, previous, self.hl7_kinds):
                    self.mllp.enqueue(kind, text)
