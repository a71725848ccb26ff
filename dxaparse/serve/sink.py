"""Where a coded exam goes: the store, then one file per configured export format.

Shared by the folder watcher and the PACS hook. Exports are rendered before anything is written (a
result that cannot be exported fails as a whole), written under a hidden pending name, and published
(renamed) only once the store has committed the exam; `recover` finishes what a crash interrupted. So
an export file exists exactly for each stored exam, and a duplicate never produces a second charge.
An amended result (a study re-coded with more objects) gets export files of its own; its hl7 file holds
what the PACS hook sends for it (`emit.hl7.hl7_messages`): the corrected ORU^R01 and, only if the
charges changed, a credit of the last billed ones and the new charge. A held exam's hl7 file holds
its preliminary ORU^R01 alone; `dxaparse release` writes the charge once it is released. Its json and
csv files say its version and the result it supersedes, as `dxaparse export` does, so a pick-up job
can replace the earlier result instead of counting both. A fhir file holds one Bundle, a collection or a
transaction as configured (`fhir_bundle`). The version is the one the store assigns in
the commit: the files are rendered with the predicted one and rendered again in the commit if another
writer stored a result of the study in between. The csv files also say when the result was stored,
which only the commit knows: they are rendered again in it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from pathlib import Path

from ..code.settings import Hl7Envelope
from ..emit import EXTENSIONS, FHIR_BUNDLES, FORMATS, HL7_KINDS
from ..emit.csv_out import stored_csv, stored_measurements_csv
from ..emit.hl7 import DEFAULT as DEFAULT_ENVELOPE
from ..emit.hl7 import hl7_messages
from ..emit.json_out import stored_json
from ..emit.store import Inputs, Store, StoredVersion
from ..models import ExamResult

VERSIONED: dict[str, Callable[[ExamResult, StoredVersion], str]] = {
    "json": stored_json, "csv-measurements": stored_measurements_csv}
"""Formats whose files carry the result's version; hl7 says it its own way (a correction), fhir not."""
STAMPED: dict[str, Callable[[ExamResult, StoredVersion, str | None], str]] = {"csv": stored_csv}
"""Formats whose files carry the version and when the result was stored (`Store.stored_at`)."""

PENDING = ".pending"

log = logging.getLogger(__name__)


class ExportError(Exception):
    """A coded exam that a configured export format cannot represent."""


class ResultSink:
    """Commits exams to `store`; with `out_dir`, also writes `out_dir/<format>/<sha256>.<ext>` per exam
    (hl7 ones in the site's HL7 envelope, `hl7`)."""

    def __init__(self, store: Store, out_dir: Path | None = None, formats: Sequence[str] = (),
                 fhir_bundle: str = "collection", hl7: Hl7Envelope = DEFAULT_ENVELOPE):
        unknown = sorted(set(formats) - set(EXTENSIONS))
        if unknown:
            raise ValueError(f"unknown export format(s): {', '.join(unknown)}")
        if formats and out_dir is None:
            raise ValueError("export formats need an output folder")
        if fhir_bundle not in FHIR_BUNDLES:
            raise ValueError(f"unknown FHIR bundle type: {fhir_bundle}")
        self.store = store
        self.out_dir = out_dir
        self.formats = list(formats)
        self.fhir_bundle = fhir_bundle  # the fhir files' Bundle type (emit.FHIR_BUNDLES)
        self.hl7 = hl7

    def known(self, sha256: str) -> bool:
        """Was an input file with this content hash already coded and stored?"""
        return self.store.has_input(sha256)

    def recover(self) -> int:
        """Publish pending exports whose exam was committed before a crash, drop the others."""
        published = 0
        for fmt in self.formats:
            for pending in (self.out_dir / fmt).glob(f".*{PENDING}"):
                sha = pending.name[1:].split(".", 1)[0]
                if self.store.has(sha):
                    os.replace(pending, self._final(fmt, sha))
                    published += 1
                else:
                    pending.unlink()
        return published

    def commit(self, results: Sequence[ExamResult], inputs: Inputs = ()) -> list[bool]:
        """Store each exam (one transaction each) and publish its exports; True where it was new.
        `inputs` are the content hashes of the files these exams came from, recorded with the last one
        (a mapping: hash → where the file will be filed, `Store.add`).
        Raises ExportError, before writing anything, if an exam cannot be rendered."""
        planned = [(r, self.store.version_for(r)) for r in results]
        rendered = [self._render(r, version) for r, version in planned]
        inputs = dict(inputs) if isinstance(inputs, Mapping) else list(inputs)
        added = []
        for n, ((result, version), texts) in enumerate(zip(planned, rendered, strict=True), 1):
            pending: list[tuple[str, Path]] = []
            new = self.store.add(result, inputs if n == len(planned) else (),
                                 on_new=partial(self._write_all_pending, result, version, texts, pending))
            for fmt, path in pending:
                os.replace(path, self._final(fmt, result.source.sha256))
            added.append(new)
        return added

    def _write_all_pending(self, result: ExamResult, planned: StoredVersion, texts: list[tuple[str, str]],
                           pending: list[tuple[str, Path]], version: StoredVersion) -> None:
        """Inside the store's commit of a new exam: its exports under pending names, rendered again
        when the store assigned another version than planned (an earlier exam of the same commit, or
        another process, stored a result of the study meanwhile)."""
        stored_at = self.store.stored_at(result.source.sha256)
        if version != planned:
            texts = self._render(result, version, stored_at)
        elif STAMPED.keys() & set(self.formats):
            stamped = dict(self._render(result, version, stored_at, STAMPED))
            texts = [(fmt, stamped.get(fmt, text)) for fmt, text in texts]
        pending += [self._write_pending(fmt, result.source.sha256, text) for fmt, text in texts]

    def _render(self, result: ExamResult, version: StoredVersion, stored_at: str | None = None,
                only: Collection[str] | None = None) -> list[tuple[str, str]]:
        """The configured formats' texts (those in `only`, if given); `stored_at` None before the commit."""
        texts = []
        formats = [fmt for fmt in self.formats if only is None or fmt in only]
        billed = None
        if "hl7" in formats and version.supersedes:
            billed = self.store.latest(result.exam.study_uid, before=result.source.sha256, billed=True)
        for fmt in formats:
            try:
                if fmt == "hl7":  # an amended result corrects the results and credits the billed charge
                    text = "".join(er7 + "\n" for _, er7 in hl7_messages(result, billed, HL7_KINDS,
                                                                         envelope=self.hl7))
                elif fmt in STAMPED:
                    text = STAMPED[fmt](result, version, stored_at)
                elif fmt in VERSIONED:
                    text = VERSIONED[fmt](result, version)
                elif fmt == "fhir":
                    text = FORMATS[fmt]([result], False, bundle_type=self.fhir_bundle)
                else:
                    text = FORMATS[fmt]([result], False)
                texts.append((fmt, text))
            except Exception as err:  # an emitter or its library rejecting this exam's content
                # The library's message may quote values from the report: only the type is shown.
                log.debug("export %s failed", fmt, exc_info=True)
                raise ExportError(f"cannot export as {fmt} ({type(err).__name__})") from err
        return texts

    def _write_pending(self, fmt: str, sha: str, text: str) -> tuple[str, Path]:
        folder = self.out_dir / fmt
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f".{sha}.{EXTENSIONS[fmt]}{PENDING}"
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        return fmt, path

    def _final(self, fmt: str, sha: str) -> Path:
        return self.out_dir / fmt / f"{sha}.{EXTENSIONS[fmt]}"
