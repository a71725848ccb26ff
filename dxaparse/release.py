"""Releasing a held charge: what `dxaparse release` and the review workbench both do, in one place.

Releasing records who released the exam, when and why in the store, then writes and queues what a
billable exam sends: the DFT^P03 (crediting the study's last billed charge first if it changed) and the
final ORU^R01. An exam with no patient identifier or no date of service cannot be released: a charge
needs both, and dxaparse never invents them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .code.settings import Hl7Envelope
    from .emit.store import Store
    from .models import ExamResult
    from .serve.mllp import Outbox

_HEX = re.compile(r"[0-9a-f]{8,64}")


@dataclass
class Released:
    """A released exam: its updated result, the messages it sends, and where they went."""

    result: ExamResult
    messages: list[tuple[str, str]]
    written: Path | None = None
    queued: bool = False
    where: list[str] = field(default_factory=list)


def releasable(store: Store, name: str) -> tuple[ExamResult | None, str | None]:
    """(the stored exam named by its content hash or a prefix of 8 or more characters, None) when it may
    be released, else (None, why not)."""
    if not _HEX.fullmatch(name):
        return None, "not a content hash (8 to 64 hexadecimal characters)"
    found = store.find(name)
    if not found:
        return None, "no stored exam has this content hash"
    if len(found) > 1:
        return None, f"{len(found)} stored exams start with it; give more characters"
    return found[0], why_not(store, found[0])


def why_not(store: Store, result: ExamResult) -> str | None:
    """Why a stored exam may not be released now (None: it may)."""
    from .models import BillingStatus

    if result.billing.status is not BillingStatus.HELD:
        return f"its charge is {result.billing.status.value}, not held: nothing to release"
    if not (result.patient.id or "").strip():
        return "no patient identifier: correct the source and code it again (it is never invented)"
    if result.exam.date is None:
        return "no date of service: correct the source and code it again (it is never invented)"
    current = store.latest(result.exam.study_uid)
    if current is not None and current.source.sha256 != result.source.sha256:
        return (f"a later result of its study supersedes it ({current.source.sha256[:12]}); "
                "release that one")
    return None


def release_stored(store: Store, result: ExamResult, by: str, note: str | None, *,
                   envelope: Hl7Envelope, out_dir: Path | None = None,
                   outbox: Outbox | None = None) -> Released:
    """Release a stored held exam (checked with `why_not` first): record the release in the store, then
    write the messages to `out_dir`/hl7/<sha256>.release.hl7 and queue them in `outbox`, as asked."""
    from .billing import release
    from .emit import HL7_KINDS
    from .emit.hl7 import hl7_messages

    sha = result.source.sha256
    billed = store.latest(result.exam.study_uid, before=sha, billed=True)
    result = store.set_billing(sha, release(result.billing, by, note))
    done = Released(result, hl7_messages(result, billed, HL7_KINDS, envelope=envelope))
    if out_dir:
        done.written = write(out_dir, sha, done.messages)
        done.where.append(str(done.written))
    if outbox:
        for kind, text in done.messages:
            outbox.put(kind, text)
        done.queued = True
        done.where.append(f"queued in {outbox.path}")
    return done


def default_queue(store_path: Path) -> Path | None:
    """The store's MLLP outbox (`<store>.mllp-outbox`) when it exists: a running `dxaparse pacs --mllp`
    delivers what is queued there."""
    queue = store_path.with_name(store_path.name + ".mllp-outbox")
    return queue if queue.is_file() else None


def write(out_dir: Path, sha: str, messages: list[tuple[str, str]]) -> Path:
    """Atomically, like the sink's exports: a pick-up job never sees half a file."""
    folder = out_dir / "hl7"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{sha}.release.hl7"
    pending = folder / f".{final.name}.pending"
    with pending.open("w", encoding="utf-8", newline="") as fh:
        fh.write("".join(text + "\n" for _, text in messages))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pending, final)
    return final
