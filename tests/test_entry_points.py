"""Every entry point hands the pipeline one `RunOptions` and one `Unit` (issue 16): an option given to a
command reaches the readers on every path — `--no-ocr` was dropped twice, by `watch` and by `batch` —
and the same objects give the same result whichever command coded them. Real commands in processes of
their own; the hook is `dxaparse pacs` on a loopback port."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.models import ExamResult
from dxaparse.pipeline import run_unit
from dxaparse.read import dicom as dicom_reader
from dxaparse.read import findings_json, pdf
from dxaparse.unit import RunOptions, dicom_unit, units_of

from ._pacs import Hook, comparable, send, wait_for
from .conftest import ROOT

PAGE = ROOT / "samples" / "ocr" / "ge-encore-report-page-sc.dcm"
OCR_OFF = "report page image: OCR is off"
STUDY = ROOT / "samples" / "dicom" / "hologic-study-sr-iva"


def _stored(store: Path) -> list[ExamResult]:
    with Store(store) as s:
        return list(s.iter_results())


def _watch(cli, tmp_path: Path, files: list[Path], *options: str):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for f in files:
        shutil.copy(f, inbox / f.name)
    run = cli("watch", str(inbox), "--store", str(tmp_path / "w.sqlite3"), "--settle", "0.1", "--study-quiet",
              "0.2", "--retry-partial", "0", "--once", *options)
    return run, inbox


def _batch(cli, tmp_path: Path, files: list[Path], *options: str):
    tree = tmp_path / "tree"
    tree.mkdir()
    for f in files:
        shutil.copy(f, tree / f.name)
    return cli("batch", str(tree), "--store", str(tmp_path / "b.sqlite3"), "--jobs", "1", *options)


def _pacs(tmp_path: Path, files: list, *options: str) -> Hook:
    hook = Hook(tmp_path / "hook", *options, quiet=0.5)
    with hook:
        assert send(hook.port, list(files)) == [0x0000] * len(files)
        wait_for(lambda: hook.settled() and "dxaparse.outcomes" in hook.log_text(), 60, "the study coded")
    return hook


# -- an option reaches the readers on every path --------------------------------------------------------


def test_code_no_ocr_reaches_the_report_page(cli):
    run = cli("code", str(PAGE), "--no-ocr")
    assert run.code == 2 and run.err.strip() == f"dxaparse: {PAGE}: {OCR_OFF}"


def test_watch_no_ocr_reaches_the_report_page(cli, tmp_path):
    run, inbox = _watch(cli, tmp_path, [PAGE], "--no-ocr")
    assert run.code == 2, run.err
    assert f"failed: {OCR_OFF}" in run.out
    assert (inbox / "failed" / f"{PAGE.name}.error.txt").read_text().strip() == f"{PAGE.name}: {OCR_OFF}"


def test_batch_no_ocr_reaches_the_report_page(cli, tmp_path):
    run = _batch(cli, tmp_path, [PAGE], "--no-ocr", "--log-paths")
    assert run.code == 2
    assert f"dxaparse batch: {PAGE.name}: {OCR_OFF}" in run.err


def test_pacs_no_ocr_reaches_the_report_page(tmp_path):
    page = pydicom.dcmread(PAGE)
    page.decompress()  # the sample is RLE; the test's SCU offers Explicit VR Little Endian only
    hook = _pacs(tmp_path, [page], "--no-ocr")
    [note] = (hook.spool / "failed").glob("*.error.txt")
    assert note.read_text().strip() == OCR_OFF
    assert f"failed: {OCR_OFF}" in hook.log_text()


# -- the same unit, the same outcome ---------------------------------------------------------------------


def test_the_same_study_gives_the_same_result_through_every_entry_point(cli, tmp_path):
    objects = sorted(STUDY.iterdir())
    code = cli("code", str(STUDY))
    assert code.code == 0, code.err
    [coded] = [ExamResult.model_validate_json(code.out)]
    watched, _ = _watch(cli, tmp_path, objects)
    assert watched.code == 0, watched.err
    batched = _batch(cli, tmp_path, objects)
    assert batched.code == 0, batched.err
    hook = _pacs(tmp_path, objects)
    [w], [b], [h] = _stored(tmp_path / "w.sqlite3"), _stored(tmp_path / "b.sqlite3"), hook.results()
    assert comparable(w) == comparable(b) == comparable(h) == comparable(coded)
    # the files are the same bytes for code, watch and batch: the same exam, by content hash
    assert w.source.sha256 == b.source.sha256 == coded.source.sha256
    assert f" {coded.source.sha256[:12]} coded " in watched.out  # named by the exam's hash


# -- the readers take the unit's hashes -------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["pdf/hologic-forearm.pdf", "findings/total-body-only.json",
                                    "dicom/hologic-study-sr-iva", "ocr/ge-encore-v12-72dpi.pdf"])
def test_a_unit_is_read_without_hashing_its_files_again(monkeypatch, sample):
    [unit] = units_of(ROOT / "samples" / sample)  # the entry point hashes, once

    def hashed(path):
        raise AssertionError(f"a reader hashed {path}")

    for module in (pdf, findings_json, dicom_reader):
        monkeypatch.setattr(module, "sha256_file", hashed)
    options = RunOptions(CodingSettings(seconds_per_input=0, memory_per_worker_mb=0))  # in this process
    outcome = run_unit(unit, options)
    assert outcome.failure is None, outcome.failure
    assert [r.source.sha256 for r in outcome.results] == [unit.sha256]


def test_a_study_unit_names_its_exam_by_the_hash_of_its_objects():
    unit = dicom_unit(sorted(STUDY.iterdir()))
    outcome = run_unit(unit, RunOptions(CodingSettings()))
    assert outcome.sha256 == outcome.results[0].source.sha256 == unit.sha256
    assert outcome.failed == [] and outcome.failure is None
