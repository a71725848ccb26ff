"""What became of each unit a service handled, as its stdout line and its log record say it.

Shared by the folder watcher and the PACS hook: both report an `Outcome` per unit to a `Reporter` (the
command's `Printer`) and log it once (`log_outcome`, logger `dxaparse.outcomes`), named by the exam's
content hash — the name of its export files, `OUT/<format>/<sha256>.<ext>` — never by a path or a
patient identifier.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..logs import OUTCOMES, outcome_fields
from ..models import ExamResult

outcomes = logging.getLogger(OUTCOMES)


@dataclass
class Outcome:
    """What became of one unit: a file, or the objects of one DICOM study."""

    number: int                     # the ordinal of the output line: given when reported
    sha256: str                     # the exam's content hash (its export files' name); the unit's when
                                    # nothing was coded; "" for an entry not read
    files: list[Path]               # original paths: patient names may be in them — shown on request only
    status: str                     # "coded" | "duplicate" | "failed"
    results: list[ExamResult] = field(default_factory=list)
    reason: str | None = None
    amended: bool = False           # a late object's study, re-coded whole with its objects in done/


class Reporter(Protocol):
    def outcome(self, outcome: Outcome) -> None: ...
    def summary(self, counts: Counter, waiting: int) -> None: ...


def log_outcome(o: Outcome) -> None:
    """The unit's record (logger `dxaparse.outcomes`): named by the exam's content hash, with its codes;
    never a path or a patient identifier."""
    outcomes.info("%s %s%s", o.sha256[:12] or "-", o.status, f": {o.reason}" if o.reason else "",
                  extra=outcome_fields(o.sha256, o.status, o.results, o.reason, o.amended, len(o.files)))
