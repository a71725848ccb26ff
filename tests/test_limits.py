"""The limits on one input in the commands that code files (issue 15): `watch`, `batch` (a process pool,
and one job in the command's process) and `code` refuse a report that reads too slowly, naming the
limit, and code the others. The PACS hook's are in test_pacs_limits.py."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from dxaparse.batch.work import code_units
from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.read.files import Kind
from dxaparse.unit import RunOptions, Unit

from ._poison import dense_pdf
from .conftest import ROOT

GOOD = ROOT / "samples" / "pdf" / "ge-forearm.pdf"
REASON = "over the time limit of 1 s (setting seconds_per_input)"


@pytest.fixture
def inputs(tmp_path):
    """A folder with a good report and one that takes about 7 s to read; a site limit of 1 s."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(GOOD, folder / "good.pdf")
    dense_pdf(folder / "slow.pdf", 3000)
    site = tmp_path / "site.toml"
    site.write_text("seconds_per_input = 1\n")
    return folder, site


def _stored(store) -> list[str]:
    with Store(store) as s:
        return [r.source.path for r in s.iter_results()]


def test_watch_files_a_slow_report_in_failed_with_the_time_limit_and_codes_the_rest(inputs, tmp_path, cli):
    folder, site = inputs
    store = tmp_path / "store.sqlite3"
    start = time.monotonic()
    run = cli("watch", str(folder), "--store", str(store), "--settle", "0.1", "--once", "--config", str(site),
              "--log-paths")
    assert run.code == 2, run.err  # --once: an input failed
    assert time.monotonic() - start < 20
    assert f"slow.pdf failed: {REASON}" in run.out
    assert (folder / "failed" / "slow.pdf.error.txt").read_text().strip() == f"slow.pdf: {REASON}"
    assert _stored(store) == [str(folder / "good.pdf")] and (folder / "done" / "good.pdf").is_file()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_refuses_a_slow_report_with_the_time_limit_and_codes_the_rest(inputs, tmp_path, cli, jobs):
    folder, site = inputs
    store = tmp_path / "store.sqlite3"
    start = time.monotonic()
    run = cli("batch", str(folder), "--store", str(store), "--jobs", jobs, "--config", str(site),
              "--log-paths")
    assert time.monotonic() - start < 20
    assert run.code == 2, run.err
    assert run.err.splitlines() == [f"dxaparse batch: slow.pdf: {REASON}"]
    assert _stored(store) == [str(folder / "good.pdf")]


def test_code_refuses_a_slow_report_with_the_time_limit_and_codes_the_rest(inputs, cli):
    folder, site = inputs
    start = time.monotonic()
    run = cli("code", str(folder / "slow.pdf"), str(folder / "good.pdf"), "--config", str(site))
    assert time.monotonic() - start < 20
    assert run.code == 2
    assert run.err.splitlines() == [f"dxaparse: {folder / 'slow.pdf'}: {REASON}"]
    assert '"kind": "pdf"' in run.out


def test_a_batch_unit_that_runs_out_of_memory_names_the_memory_limit(monkeypatch):
    """The readers' libraries raise MemoryError when the worker's cap is reached; a batch worker reports
    it as the limit, not as an internal error (a real allocation past the cap: test_isolate.py)."""
    def exhausted(unit, options):
        raise MemoryError
        yield

    monkeypatch.setattr("dxaparse.pipeline.read_and_code", exhausted)
    unit = Unit((Path("/in/huge.pdf"),), ("0" * 64,), Kind.PDF)
    ((texts, errors),) = code_units([unit], RunOptions(CodingSettings()))
    assert texts == []
    assert errors == [("/in/huge.pdf", "over the memory limit of 2048 MB (setting memory_per_worker_mb)")]
