"""`dxaparse batch`: a tree of mixed reports into the store — failures reported, resumable, DICOM studies
assembled across folders, and the same results from one job, a process pool and a Dask cluster."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dxaparse.batch.executors import RestartingPool, completed
from dxaparse.batch.plan import Plan, Seen
from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.pipeline import process
from dxaparse.read.files import Kind, sha256_file
from dxaparse.unit import Unit

from .conftest import ROOT

SAMPLES = ROOT / "samples"
STUDY = SAMPLES / "dicom" / "hologic-study-sr-iva"
BAD = "2024/notes.txt"


@pytest.fixture
def tree(tmp_path) -> Path:
    """Reports as an archive holds them: nested by year and kind, one study split over two folders,
    one copy of a report, one file that is no report."""
    root = tmp_path / "archive"
    for sub, files in {
        "2023/pdf": [SAMPLES / "pdf" / f"{n}.pdf" for n in ("hologic-spine-hip-pram", "ge-encore-v16",
                                                             "narrative-normal-screening")],
        "2023/copies": [SAMPLES / "pdf" / "ge-encore-v16.pdf"],
        "2024/sr": [SAMPLES / "dicom" / f"{n}.dcm" for n in ("hologic-sr-spine-hip", "ge-sr-dual-hip")],
        "2024/json": [SAMPLES / "findings" / "postmenopausal-osteoporosis.json"],
        "2024/study/a": [STUDY / "sr.dcm", STUDY / "spine.dcm"],
        "2024/study/b": [STUDY / "hip.dcm", STUDY / "iva.dcm", STUDY / "iva-ps.dcm"],
    }.items():
        (root / sub).mkdir(parents=True)
        for f in files:
            shutil.copy(f, root / sub)
    (root / BAD).write_text("call the patient back\n")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "junk").write_text("never read")
    return root


def _batch(cli, root: Path, store: Path, *more: str):
    return cli("batch", str(root), "--store", str(store), *more)


def _results(store: Path) -> dict[str, dict]:
    with Store(store) as s:
        return {r.source.sha256: r.to_json_dict() for r in s.iter_results()}


def test_tree_is_coded_with_failures_named_and_counted(tree, tmp_path, cli):
    run = _batch(cli, tree, tmp_path / "s.sqlite3", "--jobs", "1")
    assert run.code == 2, run.err
    # named by content hash: an archive's file names are often patients' names
    bad = sha256_file(tree / BAD)[:12]
    reason = "not a DICOM object, PDF report or findings JSON"
    assert run.err.splitlines() == [f"dxaparse batch: {bad}: {reason}"]
    named = _batch(cli, tree, tmp_path / "s.sqlite3", "--jobs", "1", "--log-paths")
    assert named.err.splitlines() == [f"dxaparse batch: {BAD}: {reason}"]
    results = _results(tmp_path / "s.sqlite3")
    kinds = sorted(r["source"]["kind"] for r in results.values())
    assert kinds == ["dicom-sr", "dicom-sr", "dicom-study", "findings-json", "pdf", "pdf", "pdf"]
    out = run.out
    assert out.startswith("dxaparse batch: 13 files in ") and "files/s (1 job)" in out
    assert "stored         7 new exams: dicom-sr 2, dicom-study 1, findings-json 1, pdf 3" in out
    assert "copies         1 files with the same content as another file here" in out
    assert "failed         1 files" in out
    assert "1 × not a DICOM object, PDF report or findings JSON" in out


def test_second_run_skips_everything_stored(tree, cli):
    store = tree / "store.sqlite3"  # inside the tree: never taken as input
    assert _batch(cli, tree, store).code == 2
    before = _results(store)
    again = _batch(cli, tree, store)
    assert again.code == 2  # the bad file is still bad
    assert "stored         0 new exams" in again.out
    assert "skipped       11 files already in the store" in again.out
    assert _results(store) == before


def test_study_split_over_folders_is_one_exam(tree, tmp_path, cli):
    assert _batch(cli, tree, tmp_path / "s.sqlite3").code == 2
    (study,) = [r for r in _results(tmp_path / "s.sqlite3").values() if r["source"]["kind"] == "dicom-study"]
    (alone,) = process(STUDY, CodingSettings())  # the same objects as `dxaparse code FOLDER` sees them
    assert study["source"]["path"] == str(tree / "2024" / "study")
    assert study["source"]["sha256"] == alone.source.sha256
    assert {**study, "source": None} == {**alone.to_json_dict(), "source": None}


def test_two_jobs_code_as_one_job(tree, tmp_path, cli):
    one = _batch(cli, tree, tmp_path / "one.sqlite3", "--jobs", "1")
    two = _batch(cli, tree, tmp_path / "two.sqlite3", "--jobs", "2")
    assert one.code == two.code == 2
    assert _results(tmp_path / "one.sqlite3") == _results(tmp_path / "two.sqlite3")
    assert len(_results(tmp_path / "two.sqlite3")) == 7


def test_dask_cluster_codes_as_the_local_pool(tree, tmp_path, cli):
    from distributed import LocalCluster  # dxaparse[dask]; scripts/setup installs it

    local = _batch(cli, tree, tmp_path / "local.sqlite3", "--jobs", "2")
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        dask = _batch(cli, tree, tmp_path / "dask.sqlite3", "--dask", cluster.scheduler_address)
    assert dask.code == local.code == 2, dask.err
    assert f"(Dask at {cluster.scheduler_address})" in dask.out
    assert _results(tmp_path / "dask.sqlite3") == _results(tmp_path / "local.sqlite3")


def test_plan_skips_known_content_and_groups_studies():
    known = {"k1", "k2"}
    plan = Plan(known.__contains__)
    for seen in [Seen("/a.pdf", "pdf", "k1"), Seen("/b.pdf", "pdf", "n1"), Seen("/c.pdf", "pdf", "n1"),
                 Seen("/s/1.dcm", "dicom", "k2", "1.2.3"), Seen("/t/2.dcm", "dicom", "n2", "1.2.3"),
                 Seen("/u/3.dcm", "dicom", "n3"), Seen("/x", reason="cannot open: Permission denied")]:
        plan.add(seen)
    assert plan.units() == [Unit((Path("/b.pdf"),), ("n1",), Kind.PDF),
                            Unit((Path("/s/1.dcm"), Path("/t/2.dcm")), ("k2", "n2"), Kind.DICOM, "1.2.3",
                                 root=Path("/")),
                            Unit((Path("/u/3.dcm"),), ("n3",), Kind.DICOM)]
    assert (plan.skipped, plan.copies, [s.path for s in plan.failed]) == (1, 1, ["/x"])


def _exit_on_bad(items: list[str]) -> list[str]:
    """A task whose worker process dies on a "bad…" item, as a reader's C library crashing would."""
    if any(i.startswith("bad") for i in items):
        os._exit(1)
    return items


def test_a_file_that_kills_its_worker_fails_alone():
    with RestartingPool(2) as pool:
        got = list(completed(pool, _exit_on_bad, [["a", "b"], ["c", "bad", "d"], ["e"]], 2))
    coded = sorted(x for _, r in got if not isinstance(r, BaseException) for x in r)
    assert coded == ["a", "b", "c", "d", "e"]
    assert [task for task, r in got if isinstance(r, BaseException)] == [["bad"]]


def test_workers_that_keep_dying_stop_the_run():
    with RestartingPool(2) as pool, pytest.raises(RuntimeError, match="worker processes keep dying"):
        list(completed(pool, _exit_on_bad, [["bad1", "bad2", "bad3", "ok"]], 2))
