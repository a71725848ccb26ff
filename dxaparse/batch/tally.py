"""What a back-fill run did, and the summary it ends with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """What a run did, file by file (`failed`: path and reason) and exam by exam (`exams`: new exams by
    source kind; `again`: exams coded again that the store already held)."""

    files: int = 0
    exams: Counter = field(default_factory=Counter)
    again: int = 0
    skipped: int = 0
    copies: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def summary(tally: Tally, how: str, reasons: int = 10) -> str:
    """The closing report: exams by kind, skipped and failed files with the reasons, files/s."""
    t = tally
    rate = t.files / t.seconds if t.seconds else 0.0
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(t.exams.items()))
    lines = [f"dxaparse batch: {t.files} files in {t.seconds:.1f} s, {rate:.1f} files/s ({how})",
             f"  stored  {sum(t.exams.values()):>8} new exams{': ' + kinds if kinds else ''}"]
    if t.again:
        lines.append(f"          {t.again:>8} exams coded again were in the store already")
    lines.append(f"  skipped {t.skipped:>8} files already in the store")
    if t.copies:
        lines.append(f"  copies  {t.copies:>8} files with the same content as another file here")
    lines.append(f"  failed  {len(t.failed):>8} files")
    counts = Counter(reason for _, reason in t.failed).most_common()
    lines += [f"          {n:>8} × {reason}" for reason, n in counts[:reasons]]
    if len(counts) > reasons:
        lines.append(f"          ({len(counts) - reasons} other reasons: see the lines naming each file)")
    return "\n".join(lines)
