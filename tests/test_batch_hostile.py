"""`dxaparse batch` against a hostile tree (issue 15), by the watcher's rules: only regular files inside
the tree are read — links and special files fail unread, named without a word about their target —,
names that are not UTF-8 are coded and stored losslessly, failures are named by content hash unless
`--log-paths`, and libraries' warnings keep their values to themselves. Every run is bounded."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.names import text_to_path
from dxaparse.pipeline import run_unit
from dxaparse.read.files import sha256_file
from dxaparse.unit import RunOptions, dicom_unit

from ._exams import findings_json
from .conftest import ROOT
from .test_read_hostile import LINK_REASON, SPECIAL
from .test_watch_hostile import _dicom_quoting, _latin1
from .test_watch_parts import write_dicom

PDF = ROOT / "samples" / "pdf" / "ge-encore-v16.pdf"
STUDY = ROOT / "samples" / "dicom" / "hologic-study-sr-iva"
NAMES = ("Meier", "Zapf", "Wolf", "Pohl", "Seidel", "Gans", "Scan-M", "Bericht", "ller", "theirs")


@pytest.fixture
def hostile(tmp_path) -> Path:
    """An archive with links out of it, special files, names that are not UTF-8, and one good report."""
    other = tmp_path / "other"
    other.mkdir()
    theirs = findings_json(other, "theirs.json", 1)
    root = tmp_path / "archive"
    root.mkdir()
    (root / "Meier.json").symlink_to(theirs)
    (root / "Zapf.pdf").symlink_to("/dev/zero")
    (root / "Wolf").symlink_to(other, target_is_directory=True)
    os.mkfifo(root / "Pohl.dcm")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "Seidel"))  # the socket file stays when it is closed
    _latin1(root, b"Scan-M\xfcller.pdf", PDF.read_bytes())
    _latin1(root, b"Bericht-\xe9.json", b'{"patient": ')
    findings_json(root, "Gans.json", 2)
    return root


def _run(cli, root: Path, store: Path, *more: str):
    return cli("batch", str(root), "--store", str(store), "--no-ocr", *more, timeout=120)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_links_and_special_files_fail_unread_and_names_stay_out_of_the_output(hostile, tmp_path, cli, jobs):
    run = _run(cli, hostile, tmp_path / "s.sqlite3", "--jobs", jobs)
    assert run.code == 2, run.err
    broken = sha256_file(hostile / os.fsdecode(b"Bericht-\xe9.json"))[:12]
    assert sorted(run.err.splitlines()) == sorted([
        f"dxaparse batch: -: {LINK_REASON.strip()}",  # Meier.json
        f"dxaparse batch: -: {LINK_REASON.strip()}",  # Wolf
        f"dxaparse batch: -: {LINK_REASON.strip()}",  # Zapf.pdf
        f"dxaparse batch: -: a FIFO (named pipe){SPECIAL.strip()}",
        f"dxaparse batch: -: a socket{SPECIAL.strip()}",
        f"dxaparse batch: {broken}: not valid JSON (line 1, column 13: Expecting value)"])
    assert not any(name in run.out + run.err for name in NAMES)
    assert "stored         2 new exams: findings-json 1, pdf 1" in run.out
    with Store(tmp_path / "s.sqlite3") as store:
        paths = sorted(r.source.path for r in store.iter_results())
    assert paths == [str(hostile / "Gans.json"), str(hostile) + "/Scan-M\\xfcller.pdf"]
    assert text_to_path(paths[1]).is_file()


def test_log_paths_names_each_failed_file_by_its_path_as_text(hostile, tmp_path, cli):
    run = _run(cli, hostile, tmp_path / "s.sqlite3", "--jobs", "1", "--log-paths")
    assert run.code == 2, run.err
    lines = sorted(run.err.splitlines())
    assert lines[0].startswith("dxaparse batch: Bericht-\\xe9.json: not valid JSON")
    assert lines[1:] == [f"dxaparse batch: Meier.json: {LINK_REASON.strip()}",
                         f"dxaparse batch: Pohl.dcm: a FIFO (named pipe){SPECIAL.strip()}",
                         f"dxaparse batch: Seidel: a socket{SPECIAL.strip()}",
                         f"dxaparse batch: Wolf: {LINK_REASON.strip()}",
                         f"dxaparse batch: Zapf.pdf: {LINK_REASON.strip()}"]


def test_a_study_object_swapped_for_a_fifo_after_the_survey_fails_alone(tmp_path):
    """The survey may be hours before the coding: an object that is a FIFO by then is not opened (pydicom
    would wait for a writer for ever); the rest of the study is coded."""
    objects = [tmp_path / "sr.dcm", tmp_path / "spine.dcm"]
    for path in objects:
        path.write_bytes((STUDY / path.name).read_bytes())
    unit = dicom_unit(objects)
    objects[1].unlink()
    os.mkfifo(objects[1])
    out: list = []
    options = RunOptions(CodingSettings(), ocr=False)
    worker = threading.Thread(target=lambda: out.append(run_unit(unit, options)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # let the stuck reader go: a writer opens the FIFO and closes it at once
        os.close(os.open(objects[1], os.O_WRONLY | os.O_NONBLOCK))
        worker.join(30)
        pytest.fail("run_unit opened the FIFO")
    fifo = (str(objects[1]), f"a FIFO (named pipe){SPECIAL.strip()}")
    [coded] = out
    assert [(e.path, e.reason) for e in coded.rejected] == [fifo] and coded.failed == [objects[1]]
    assert [r.source.kind for r in coded.results] == ["dicom-sr"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_library_warnings_keep_their_values_in_batch_and_its_workers(tmp_path, cli, jobs):
    root = tmp_path / "archive"
    root.mkdir()
    uid = "1.2.840.7QX7.8"
    _dicom_quoting(root / "IM1", uid)
    write_dicom(root / "IM2", "1.2.840.99999.2")
    quiet = _run(cli, root, tmp_path / "a.sqlite3", "--jobs", jobs)
    assert quiet.code == 2 and uid not in quiet.out + quiet.err and "withheld" not in quiet.err
    loud = cli("-vv", "batch", str(root), "--store", str(tmp_path / "b.sqlite3"), "--jobs", jobs, timeout=120)
    assert uid in loud.err  # the input does make pydicom quote it
