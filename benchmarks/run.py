"""dxaparse's throughput against the bare libraries, batch scaling and memory; writes RESULTS.md.

    .venv/bin/python benchmarks/run.py                  # the full run (10,000 inputs; ~5 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick          # a smoke run; prints, leaves RESULTS.md alone
    .venv/bin/python benchmarks/run.py --profile sr     # cProfile of one path (sr, pdf or images)

One run generates the inputs (benchmarks/synth.py) into a temporary folder and measures, on the same
files and in the same process, each dxaparse path (read and code, as `dxaparse code` does) against
its floor in the bare library. Loops alternate and the best of `--rounds` counts, because other work
on the machine only ever slows a loop down. Then `dxaparse batch` codes the whole tree as a user runs
it — a fresh store, a child process — with 1 and with 2 jobs, while /proc is sampled for memory.
The "Profiling" section of RESULTS.md is written by hand and kept as it is.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import importlib.metadata
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pdfplumber
import pydicom

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

from dxaparse.code import load_settings  # noqa: E402
from dxaparse.errors import InputError  # noqa: E402
from dxaparse.pipeline import process, read_and_code  # noqa: E402
from dxaparse.unit import RunOptions, dicom_unit  # noqa: E402

RESULTS = HERE / "RESULTS.md"
KEEP = "<!-- hand-written: kept by run.py -->"
TARGETS = {"sr": 0.5, "pdf": 1.0}
SETTINGS = load_settings(None)


# -- the loops: dxaparse and its floor, per kind --------------------------------------------------------

def decode_all(ds) -> int:
    """Every element value of a dataset, sequences recursively: what a full reader has to decode."""
    n = 0
    for elem in ds:
        value = elem.value
        if elem.VR == "SQ":
            for item in value:
                n += decode_all(item)
        n += 1
    return n


def bare_sr(paths):
    for p in paths:
        decode_all(pydicom.dcmread(p))


def bare_pdf(paths):
    for p in paths:
        with pdfplumber.open(p) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()


def bare_images(studies):
    for study in studies:
        for p in study:
            pydicom.dcmread(p, stop_before_pixels=True)


def _check(items) -> int:
    bad = [i for i in items if isinstance(i, InputError)]
    if bad:
        raise SystemExit(f"dxaparse could not read a benchmark input: {bad[0].path}: {bad[0].reason}")
    return len(items)


def dxa_files(paths):
    for p in paths:
        _check(list(process(p, SETTINGS)))


def dxa_images(studies):
    for study in studies:
        # as the watcher and the hook code a study: its files hashed once, then read together
        _check(list(read_and_code(dicom_unit(study, root=study[0].parent), RunOptions(SETTINGS))))


LOOPS = {  # kind: (dxaparse loop, floor loop, the floor in words)
    "sr": (dxa_files, bare_sr, "`pydicom.dcmread` + decode every element of the content tree"),
    "pdf": (dxa_files, bare_pdf, "pdfplumber `extract_text` of every page"),
    "images": (dxa_images, bare_images, "`pydicom.dcmread(stop_before_pixels=True)` of each object"),
}


def best_times(inputs: dict, rounds: int) -> dict[str, dict[str, float]]:
    """Best seconds of each loop over its inputs; loops alternate so a busy moment hits both."""
    for kind, (dxa, bare, _) in LOOPS.items():  # warm up: imports, vendor tables, caches of the readers
        dxa(inputs[kind][:3])
        bare(inputs[kind][:3])
    best = {kind: {"dxaparse": float("inf"), "bare": float("inf")} for kind in LOOPS}
    for _ in range(rounds):
        for kind, (dxa, bare, _) in LOOPS.items():
            for name, loop in (("dxaparse", dxa), ("bare", bare)):
                start = time.perf_counter()
                loop(inputs[kind])
                best[kind][name] = min(best[kind][name], time.perf_counter() - start)
    return best


# -- batch runs -----------------------------------------------------------------------------------------

class TreeMemory(threading.Thread):
    """Samples /proc while a process runs: the peak summed PSS of it and its descendants (shared pages
    counted once, so forked workers are not over-counted) and the peak RSS of any one of them."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_tree_kb = 0
        self.peak_process_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            tree = _descendants(self.pid)
            self.peak_tree_kb = max(self.peak_tree_kb, sum(_field(p, "smaps_rollup", "Pss:") for p in tree))
            self.peak_process_kb = max([self.peak_process_kb, *(_field(p, "status", "VmHWM:") for p in tree)])

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def _field(pid: int, name: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def batch(tree: Path, store: Path, *args: str) -> dict:
    """`dxaparse batch` as a user runs it; wall seconds, memory, and the summary it printed."""
    cmd = [sys.executable, "-m", "dxaparse.cli", "batch", str(tree), "--store", str(store), *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    memory.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"dxaparse batch failed ({proc.returncode}):\n{out}\n{err}")
    return {"seconds": seconds, "tree_mb": memory.peak_tree_kb / 1024,
            "process_mb": memory.peak_process_kb / 1024, "summary": out.strip()}


def batch_runs(tree: Path, tmp: Path, rounds: int) -> dict[str, dict]:
    """1 job and 2 jobs by turns, each into a fresh store: the fastest run of each counts (the peak
    memory: the highest of any); then the 2-job run again over its own store, all of it stored."""
    runs: dict[str, dict] = {}
    for n in range(rounds):
        for name, jobs in (("--jobs 1 (in-process)", "1"), ("--jobs 2 (process pool)", "2")):
            print(f"batch {name}, round {n + 1} ...", file=sys.stderr)
            store = tmp / f"store-{jobs}-{n}.sqlite3"
            run = batch(tree, store, "--jobs", jobs)
            old = runs.get(name, run)
            runs[name] = min(old, run, key=lambda r: r["seconds"]) | {
                "tree_mb": max(old["tree_mb"], run["tree_mb"]),
                "process_mb": max(old["process_mb"], run["process_mb"]), "store": store}
    print("batch resume ...", file=sys.stderr)
    runs["--jobs 2 again (resume: all stored)"] = batch(tree, runs["--jobs 2 (process pool)"]["store"],
                                                        "--jobs", "2")
    return runs


# -- the report -----------------------------------------------------------------------------------------

def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:"))
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}"
                         for p in ("pydicom", "pdfplumber", "pypdfium2", "pydantic"))
    return [f"- machine: {platform.platform()}, {cpu}, {os.cpu_count()} cores, {mem / 1024 ** 2:.0f} GB RAM",
            f"- Python {platform.python_version()}; {versions}"]


def _met(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def _files(kind: str, items: list) -> int:
    return sum(len(study) for study in items) if kind == "images" else len(items)


def report(args, made: dict, inputs: dict, best: dict, runs: dict, load: tuple) -> str:
    n = {kind: _files(kind, items) for kind, items in made.items()}
    one, two = runs["--jobs 1 (in-process)"], runs["--jobs 2 (process pool)"]
    command = " ".join(["benchmarks/run.py", *args.argv])
    lines = ["# dxaparse benchmarks", "",
             f"Generated by `.venv/bin/python {command}` "
             f"on {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.", "", *machine(),
             f"- load average (1 min) before / after the run: {load[0]:.2f} / {load[1]:.2f} — other work on "
             "the machine slows every figure below; the per-path loops take the best of "
             f"{args.rounds} alternating rounds to filter it out, the batch runs the fastest of "
             f"{args.batch_rounds}", "",
             "## Each path against its bare-library floor", "",
             "One process, files already in the page cache, dxaparse reading *and* coding each input (the "
             "floors only read). files/s = files / best time.", "",
             "| path | files | dxaparse files/s | floor | floor files/s | ratio | target |",
             "|---|---:|---:|---|---:|---:|---|"]
    for kind, (_, _, floor) in LOOPS.items():
        files = _files(kind, inputs[kind])
        dxa, bare = files / best[kind]["dxaparse"], files / best[kind]["bare"]
        ratio = dxa / bare
        target = (f"≥ {TARGETS[kind]}×: {_met(ratio >= TARGETS[kind])}" if kind in TARGETS
                  else "headers only: **met** (pixel data never parsed)")
        label = {"sr": "DICOM SR", "pdf": "PDF report", "images": "DICOM image studies"}[kind]
        lines.append(f"| {label} | {files} | {dxa:.0f} | {floor} | {bare:.0f} | {ratio:.2f}× | {target} |")
    rate = hash_rate()
    lines += ["", "The generated images carry the sample generator's 8×8 pixel data. Real DXA images "
              "hold a few MB: dxaparse never parses pixel data, but it hashes every file whole (the "
              "content hash that makes a batch resumable) once, in the survey, whose hashes the reader "
              f"reuses — at {rate:.0f} MB/s here, {1000 / rate:.1f} ms per MB of image."]
    total = sum(n.values())
    speedup = one["seconds"] / two["seconds"]
    peak = max(one["tree_mb"], two["tree_mb"])
    lines += ["", f"## `dxaparse batch` over {total:,} inputs", "",
              f"A tree of {n['sr']:,} SRs, {n['pdf']:,} PDFs and {n['images']:,} image objects in "
              f"{len(made['images']):,} studies; a fresh store each run; wall time of the whole command "
              "(start-up, survey, coding, store writes).", "",
              "| run | seconds | files/s | peak memory, process tree (PSS) | peak RSS, largest process |",
              "|---|---:|---:|---:|---:|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['seconds']:.1f} | {total / r['seconds']:.0f} | {r['tree_mb']:.0f} MB "
                     f"| {r['process_mb']:.0f} MB |")
    lines += ["", f"- scaling 1 → 2 jobs: **{speedup:.2f}×** (target ≥ 1.7×: {_met(speedup >= 1.7)})",
              f"- peak memory over {total:,} inputs: **{peak:.0f} MB** (target < 300 MB: {_met(peak < 300)})",
              "", "Summary printed by the 2-job run:", "", "```", two["summary"], "```", ""]
    return "\n".join(lines)


def hash_rate() -> float:
    """sha256 throughput of this machine, MB/s."""
    data = bytes(64 << 20)
    start = time.perf_counter()
    hashlib.sha256(data).hexdigest()
    return 64 / (time.perf_counter() - start)


def best_inputs(made: dict, args) -> dict:
    """The files of the per-path loops: the first of each kind in the tree."""
    return {"sr": made["sr"][:args.per_kind], "pdf": made["pdf"][:args.per_kind // 2],
            "images": made["images"][:max(1, args.per_kind // 2)]}


def profile(kind: str, inputs: dict) -> None:
    dxa = LOOPS[kind][0]
    dxa(inputs[kind][:3])
    prof = cProfile.Profile()
    prof.runcall(dxa, inputs[kind])
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="inputs in the batch tree (default 10000)")
    ap.add_argument("--per-kind", type=int, default=400, help="SRs in the per-path loops (PDFs and "
                    "image studies: half as many; default 400)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the loops (default 3)")
    ap.add_argument("--batch-rounds", type=int, default=2,
                    help="runs of `dxaparse batch` per job count (default 2)")
    ap.add_argument("--quick", action="store_true", help="300 inputs, 1 round, print instead of writing")
    ap.add_argument("--profile", choices=sorted(LOOPS), help="profile one path instead")
    ap.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    args = ap.parse_args(argv)
    args.argv = argv
    if args.quick:
        args.n, args.per_kind, args.rounds, args.batch_rounds = 300, 40, 1, 1
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dxaparse-bench-") as tmp:
        tree = args.keep or Path(tmp) / "tree"
        third = args.n // 3
        print(f"generating {args.n} inputs in {tree} ...", file=sys.stderr)
        made = synth.generate(tree, third, third, args.n - 2 * third, jobs=os.cpu_count() or 1)
        inputs = best_inputs(made, args)
        if args.profile:
            profile(args.profile, inputs)
            return 0
        print("per-path loops ...", file=sys.stderr)
        best = best_times(inputs, args.rounds)
        runs = batch_runs(tree, Path(tmp), args.batch_rounds)
    text = report(args, made, inputs, best, runs, (load_before, os.getloadavg()[0]))
    if args.quick:
        print(text)
        return 0
    kept = RESULTS.read_text(encoding="utf-8").split(KEEP, 1)[1] if RESULTS.exists() and KEEP in \
        RESULTS.read_text(encoding="utf-8") else "\n## Profiling\n\n(none recorded)\n"
    RESULTS.write_text(text + "\n" + KEEP + kept, encoding="utf-8")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
