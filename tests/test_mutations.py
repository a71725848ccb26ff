"""Hostile input (issue 15): a seeded run of byte flips and truncations over the PDF and DICOM samples.

Whatever a mutation does, no exception escapes `process`, and no damaged input codes differently from
its original without a flag: it is refused, or flagged (`needs_review`), or coded exactly as the
original (same CPT codes, category and ICD-10-CM codes). The run is bounded (`COUNT` mutations, a few
seconds) and seeded, so that a failure names the sample, the offset and the bit to replay it.

The issue's acceptance run — a few thousand mutations, each under the site's time and memory limits,
counting tracebacks and inputs over the time limit instead of stopping at the first — is the same loop:

    .venv/bin/python -m tests.test_mutations --count 3000 --seed 17
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError, OverLimit
from dxaparse.isolate import Limits, code_here
from dxaparse.models import ExamResult
from dxaparse.pipeline import process

from .conftest import ROOT

SEED = 15
COUNT = 300
TRUNCATE = 0.15        # the share of mutations that cut the file instead of flipping a bit
SETTINGS = CodingSettings()
NO_LIMITS = Limits()
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
    tracebacks: list[str] = field(default_factory=list)   # an exception escaped `process`
    over_time: list[str] = field(default_factory=list)    # refused at the time limit
    slowest: float = 0.0         # seconds, the longest input


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


def run(tmp: Path, count: int = COUNT, seed: int = SEED, limits: Limits = NO_LIMITS,
        catch: bool = False) -> Tally:
    """`count` mutations; with `limits`, each input is coded under them (`code_here`); with `catch`, an
    exception escaping `process` is counted with its traceback instead of ending the run."""
    rng = random.Random(seed)
    originals = {source: coding_of(list(process(source, SETTINGS))) for source in INPUTS}
    tally = Tally()
    for n in range(count):
        source = rng.choice(INPUTS)
        folder = tmp / str(n)
        folder.mkdir()
        path, what = mutate(rng, source, folder)
        started = time.monotonic()
        try:
            items = code_here(limits, path, process, path, SETTINGS)
        except Exception:
            if not catch:
                raise
            tally.tracebacks.append(f"{what}\n{traceback.format_exc()}")
            shutil.rmtree(folder)
            continue
        finally:
            tally.slowest = max(tally.slowest, time.monotonic() - started)
        results = [r for r in items if isinstance(r, ExamResult)]
        tally.inputs += 1
        tally.damaged_input += any(f.code == "damaged_input" for r in results for f in r.coding.flags)
        if any(isinstance(i, OverLimit) for i in items):
            tally.over_time.append(what)
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


def main() -> int:
    parser = argparse.ArgumentParser(description="a seeded mutation run over the samples (issue 15)")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    limits = Limits.of(SETTINGS)
    with tempfile.TemporaryDirectory() as tmp:
        tally = run(Path(tmp), args.count, args.seed, limits, catch=True)
    print(f"seed {args.seed}: {args.count} mutations, limits {limits.seconds:g} s / {limits.memory_mb} MB")
    print(f"  refused {tally.refused}, coded as the original {tally.unchanged}, changed and flagged "
          f"{tally.flagged}, with damaged_input {tally.damaged_input}")
    print(f"  tracebacks {len(tally.tracebacks)}, over the time limit {len(tally.over_time)}, "
          f"changed unflagged {len(tally.changed_unflagged)}, slowest input {tally.slowest:.1f} s")
    for what in [*tally.tracebacks, *tally.over_time, *tally.changed_unflagged]:
        print("  -", what)
    return 1 if tally.tracebacks or tally.over_time or tally.changed_unflagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
