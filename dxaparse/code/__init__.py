"""The coder: turn a reader's `Findings` into the contract's `coding` block (CPT, category, ICD-10-CM,
review flags), following docs/coding.md.

The rules' numbers, codes and wordings live in `data/*.toml` (see docs/coding.md); the modules here
only apply them, with the CPT and ICD-10-CM tables in force on the exam's date (`tables.in_force`).
Coding is a pure function of the findings and the site settings, so the same exam always codes the
same way wherever it enters (CLI, watcher, PACS hook), and whenever.
"""

from __future__ import annotations

from ..models import Coding, Findings
from .category import diagnose
from .cpt import cpt_lines
from .flags import in_order, unclear_terms
from .icd10 import icd10_lines
from .impression import near_misses as unclear_statement
from .impression import read_impression, reconcile
from .indications import near_misses as unclear_indications
from .indications import recognise
from .quality import uncertain_values
from .scans import scans_performed
from .settings import CodingSettings, SettingsError, load_settings
from .tables import in_force

__all__ = ["CodingSettings", "SettingsError", "code_findings", "load_settings"]


def code_findings(findings: Findings, settings: CodingSettings) -> Coding:
    tables = in_force(findings.exam.date)
    cpt, cpt_flags = cpt_lines(tables.cpt, findings, scans_performed(findings), settings)
    dx = diagnose(findings.patient, findings.measurements)
    stated = read_impression(findings.impression)
    verdict = reconcile(dx, stated)
    found = recognise(findings.indications, findings.impression)
    icd, icd_flags = icd10_lines(tables.icd10, dx, verdict, stated, found, findings.vfa)
    unclear = [*unclear_statement(findings.impression, stated),
               *unclear_indications(findings.indications, findings.impression, found)]
    flags = in_order([*cpt_flags, *dx.flags, *verdict.flags, *icd_flags,
                      *uncertain_values(findings), *unclear_terms(unclear)])
    return Coding(cpt=cpt, category=verdict.category, basis=dx.lowest.basis() if dx.lowest else None,
                  icd10=icd, flags=flags, needs_review=bool(flags))
