"""Which acquisitions an exam holds: the readers' `exam.scans` plus what the measurements imply.

A reader may know a scan was done without having its scores (an image object with no numbers), or
have scores without naming the scan (a findings JSON); billing needs the union of both.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Findings, Scan
from .tables import diagnosis


@dataclass(frozen=True)
class Scans:
    performed: frozenset[Scan]
    unknown: tuple[str, ...]          # scan types or site labels the reader could not map

    def kinds(self) -> set[str]:
        """axial / peripheral / vfa / none (not a bone density study), for billing."""
        return {diagnosis().scan_kind[s] for s in self.performed}

    def of_kind(self, kind: str) -> str:
        """The scans of one billing kind, for reasons: "hip, spine"."""
        return ", ".join(sorted(s.value for s in self.performed if diagnosis().scan_kind[s] == kind))


def scans_performed(findings: Findings) -> Scans:
    sites = diagnosis().sites
    performed = set(findings.exam.scans)
    performed |= {sites[m.site].scan for m in findings.measurements if sites[m.site].scan}
    if findings.vfa.performed or findings.vfa.fractures:
        performed.add(Scan.VFA)
    # A known region without a contract site (Hologic "Ulna MID") is site `other` and routine; only what
    # the reader could not map at all reaches `exam.unrecognized` and a human.
    return Scans(performed=frozenset(performed), unknown=tuple(findings.exam.unrecognized))
