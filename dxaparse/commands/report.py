"""The services' user-facing stream on stdout (`watch`, `pacs`): one line per unit, counts now and then.

A line names the unit by the exam's content hash — the name of its export files — never by a path
(unless `--log-paths`) or a patient identifier:

    #2 9a8b7c6d5e4f coded 77085 77081-XU M85.80 low_bone_mass REVIEW 2 flags
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .privacy import input_label

if TYPE_CHECKING:
    from ..serve.watch import Outcome

STATUSES = ("coded", "duplicate", "failed")


class Printer:
    """`command`'s lines; `root` and `paths`: how inputs are named with `--log-paths` (watch only)."""

    def __init__(self, command: str, root: Path, paths: bool = False):
        self.command, self.root, self.paths = command, root, paths

    def outcome(self, o: Outcome) -> None:
        parts = [f"#{o.number}", input_label(o.files[0], o.sha256, self.root, False)]
        if self.paths:
            more = f" +{len(o.files) - 1}" if len(o.files) > 1 else ""
            parts.append(f"{input_label(o.files[0], o.sha256, self.root, True)}{more}")
        if o.status == "failed":
            parts.append(f"failed: {o.reason}")
        else:
            parts.append(o.status + (" amended" if o.amended and o.status == "coded" else ""))
            parts += [codes(r) for r in o.results]
        print(" ".join(parts), flush=True)

    def summary(self, counts: Counter, waiting: int | None, final: bool = False) -> None:
        done = ", ".join(f"{counts[k]} {k}" for k in STATUSES)
        left = f"; {waiting} waiting" if waiting is not None else ""
        print(f"dxaparse {self.command}: {'stopped; ' if final else ''}{done}{left}", flush=True)


def codes(result) -> str:
    """An exam's codes on one line: CPT with modifiers, ICD-10-CM, category, and REVIEW with the count
    of flags when the coder wants a person to look."""
    c = result.coding
    cpt = ["".join([line.code, *(f"-{m}" for m in line.modifiers)]) for line in c.cpt]
    flags = len(c.flags)
    review = ["REVIEW"] if c.needs_review else []
    counted = [f"{flags} flag{'s' if flags != 1 else ''}"] if flags else []
    return " ".join([*cpt, *(line.code for line in c.icd10), c.category.value, *review, *counted])
