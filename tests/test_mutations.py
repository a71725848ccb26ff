"""Hostile input (issue 15): a seeded run of byte flips and truncations over the PDF and DICOM samples.

Whatever a mutation does, no exception escapes `process`, and no damaged input codes differently from
its original without a flag: it is refused, or flagged (`needs_review`), or coded exactly as the
original (same CPT codes, category and ICD-10-CM codes). The run is bounded (`COUNT` mutations, a few
seconds) and seeded, so that a failure names the sample, the offset and the bit to replay it.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError
from dxaparse.models import ExamResult
from dxaparse.pipeline import process

from .conftest import ROOT

SEED = 15
COUNT = 300
TRUNCATE = 0.15        # the share of mutations that cut the file instead of flipping a bit
SETTINGS = CodingSettings()
INPUTS = sorted([*(ROOT / "samples" / "pdf").glob("*.pdf"), *(ROOT / "samples" / "dicom").glob("*.dcm"),
                 *(p for p in (ROOT / "samples" / "dicom").iterdir() if p.is_dir())])


def coding_of(items: list) -> list[tuple]:
    """What a claim carries of each exam coded (refusals left out)."""
    return [(tuple(line.code for line in r.coding.cpt), r.coding.category,
             tuple(line.code for line in r.coding.icd10)) for r in items if isinstance(r, ExamResult)]


@dataclass
class Tally:
    inputs: int = 0
    refused: int = 0             # nothing coded: every item an InputError
    unchanged: int = 0           # coded as the original (flagged or not)
    flagged: int = 0             # coded differently, and flagged for review
    damaged_input: int = 0       # coded (changed or not) with the damaged_input flag
    changed_unflagged: list[str] = field(default_factory=list)


def mutate(rng: random.Random, source: Path, folder: Path) -> tuple[Path, str]:
    """A copy of `source` (a file, or a study folder with one of its files) with one file damaged."""
    if source.is_dir():
        copy = shutil.copytree(source, folder / source.name)
        target = rng.choice(sorted(copy.iterdir()))
    else:
        copy = target = folder / source.name
        shutil.copyfile(source, target)
    data = bytearray(target.read_bytes())
    if rng.random() < TRUNCATE:
        cut = rng.randrange(1, len(data))
        target.write_bytes(data[:cut])
        return copy, f"{source.name}: {target.name} cut at byte {cut}"
    at, bit = rng.randrange(len(data)), rng.randrange(8)
    data[at] ^= 1 << bit
    target.write_bytes(bytes(data))
    return copy, f"{source.name}: {target.name} byte {at} bit {bit} flipped"


def run(tmp: Path, count: int = COUNT, seed: int = SEED) -> Tally:
    rng = random.Random(seed)
    originals = {source: coding_of(list(process(source, SETTINGS))) for source in INPUTS}
    tally = Tally()
    for n in range(count):
        source = rng.choice(INPUTS)
        folder = tmp / str(n)
        folder.mkdir()
        path, what = mutate(rng, source, folder)
        items = list(process(path, SETTINGS))   # an exception escaping fails the test here
        results = [r for r in items if isinstance(r, ExamResult)]
        tally.inputs += 1
        tally.damaged_input += any(f.code == "damaged_input" for r in results for f in r.coding.flags)
        if not results:
            assert all(isinstance(i, InputError) for i in items)
            tally.refused += 1
        elif coding_of(results) == originals[source]:
            tally.unchanged += 1
        elif all(r.coding.needs_review for r in results):
            tally.flagged += 1
        else:
            tally.changed_unflagged.append(what)
        shutil.rmtree(folder)
    return tally


def test_no_damaged_input_codes_differently_without_a_flag(tmp_path):
    tally = run(tmp_path)
    assert tally.inputs == COUNT
    assert tally.changed_unflagged == [], f"coded differently, unflagged: {tally.changed_unflagged}"
    assert tally.refused and tally.flagged and tally.unchanged   # the run met every outcome
