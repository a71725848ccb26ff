"""The expected JSON of a sample: the full output of `dxaparse code` on it, flags and prose included,
written only after it agrees with what the generator reasoned by hand from its spec.

The generators know each sample's truth (what they drew, and the codes a coder would choose, reasoned
from docs/coding.md). Writing that truth as the expected file left its prose and flag names free to
drift from the program; writing the program's output alone would check nothing. So the output is
compared with the hand-reasoned facts — every finding, the CPT lines, category, basis, ICD-10-CM
codes, flag codes and needs_review — and written only when they agree; a disagreement stops the
generator, naming the sample and the difference.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FINDINGS = ("schema_version", "source", "patient", "exam", "measurements", "vfa", "tbs", "frax",
            "indications", "impression", "history")


def decided(coding: dict) -> dict:
    """The coding without its prose (reasons, flag messages)."""
    return {"cpt": [(c["code"], c["modifiers"], c["units"]) for c in coding["cpt"]],
            "category": coding["category"], "basis": coding["basis"],
            "icd10": [c["code"] for c in coding["icd10"]], "flags": [f["code"] for f in coding["flags"]],
            "needs_review": coding["needs_review"]}


def checked_output(written: Path, rel: str, hand: dict) -> dict:
    """`dxaparse code` of the sample at `written` (reported as `rel`, its path in the repository),
    once it agrees with `hand`, the expected result reasoned by the generator."""
    from dxaparse.code import CodingSettings
    from dxaparse.pipeline import process

    [result] = process(written, CodingSettings())
    if not hasattr(result, "to_json_dict"):
        raise SystemExit(f"{rel}: dxaparse cannot read the sample: {result}")
    got = result.to_json_dict()
    got["source"]["path"] = rel
    wrong = [k for k in FINDINGS if without_evidence(got[k]) != without_evidence(hand[k])]
    wrong += unbacked(got)
    if decided(got["coding"]) != decided(hand["coding"]):
        wrong.append(f"coding {decided(got['coding'])} != {decided(hand['coding'])}")
    if wrong:
        raise SystemExit(f"{rel}: dxaparse disagrees with the generator's expectation in {', '.join(wrong)}")
    return got


def without_evidence(part):
    """A part of the result without the evidence of its values: where a value was printed is the
    reader's finding, which the generators do not reason by hand (tests/test_evidence.py checks it
    against the page and the SR)."""
    if isinstance(part, list):
        return [without_evidence(p) for p in part]
    if isinstance(part, dict):
        return {k: without_evidence(v) for k, v in part.items() if k != "evidence"}
    return part


def unbacked(got: dict) -> list[str]:
    """Evidence naming a field that holds no value: evidence must be of what the result says."""
    parts = [*got["measurements"], *(p for p in (got["tbs"], got["frax"]) if p)]
    names = {"tbs": "value", "frax_major": "major", "frax_hip": "hip"}
    return [f"evidence of {e['field']} without a value" for p in parts for e in p.get("evidence", [])
            if p.get(names.get(e["field"], e["field"])) in (None, "")]


def relative(path: Path) -> str:
    return os.path.relpath(path, ROOT).replace(os.sep, "/")
