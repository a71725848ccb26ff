"""The watcher's parts that the PACS hook reuses: completeness, quiet studies, filing, the result sink."""

from __future__ import annotations

import errno
import os

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dxaparse.emit import FORMATS
from dxaparse.emit.store import Store
from dxaparse.serve import folders
from dxaparse.serve.folders import error_file, fail_into, is_temp, move_unique
from dxaparse.serve.settle import QuietGroups, Settler, study_uid
from dxaparse.serve.sink import ExportError, ResultSink

from ._exams import exam


def write_dicom(path, study: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # secondary capture
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.Modality, ds.PatientID = study, "OT", "MRN1"
    ds.save_as(path, enforce_file_format=True)


def test_settler_waits_for_size_and_mtime_to_stay_still(tmp_path):
    f = tmp_path / "r.pdf"
    f.write_bytes(b"%PDF-1.4 half")
    s = Settler(interval=2.0)
    s.watch(f, now=0.0)
    assert s.ready(now=0.0) == []          # first look starts the clock
    assert s.ready(now=1.9) == []
    with f.open("ab") as fh:
        fh.write(b" more")                 # still being written: the clock starts again
    assert s.ready(now=2.5) == []
    assert s.ready(now=4.4) == []
    assert s.ready(now=4.5) == [f]
    assert len(s) == 0 and s.ready(now=9.0) == []


def test_settler_takes_a_renamed_file_at_once_and_forgets_vanished_ones(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("{}")
    b.write_text("{}")
    s = Settler(interval=60)
    s.watch(a, now=0.0)
    s.renamed(b)
    assert s.ready(now=0.0) == [b]
    a.unlink()
    assert s.ready(now=100.0) == [] and len(s) == 0


def test_settler_takes_a_file_put_back_after_its_delay_or_once_it_settled_after_a_change(tmp_path):
    f = tmp_path / "r.pdf"
    f.write_bytes(b"%PDF-1.4 half")
    s = Settler(interval=1.0)
    s.again(f, delay=8.0, now=0.0)
    assert s.ready(now=7.9) == [] and s.ready(now=8.0) == [f]
    assert s.tries(f, now=10.0) == (1, 10.0)
    s.again(f, delay=16.0, now=10.0)
    with f.open("ab") as fh:
        fh.write(b" rest")                 # the writer resumed: no need to wait out the delay
    assert s.ready(now=10.5) == [] and s.ready(now=11.4) == [] and s.ready(now=11.5) == [f]
    assert s.tries(f, now=12.0) == (2, 12.0)
    s.forget(f)
    assert s.tries(f, now=12.0) == (0, 0.0)


def test_quiet_groups_wait_until_no_item_was_added_for_the_quiet_time():
    g = QuietGroups(quiet=10)
    g.add("study-a", "a1", now=0)
    g.add("study-b", "b1", now=1)
    g.add("study-a", "a2", now=8)           # a late object restarts study A's clock
    g.add("study-a", "a2", now=8)           # the same object twice counts once
    assert g.due(now=10.5) == []
    assert g.due(now=11) == [("study-b", ["b1"])]
    assert g.items() == 2 and len(g) == 1
    assert g.due(now=18) == [("study-a", ["a1", "a2"])]
    assert len(g) == 0


def test_study_uid_is_read_from_the_header(tmp_path):
    write_dicom(tmp_path / "im1", "1.2.3.4")
    (tmp_path / "r.pdf").write_bytes(b"%PDF-1.4")
    assert study_uid(tmp_path / "im1") == "1.2.3.4"
    assert study_uid(tmp_path / "r.pdf") is None


def test_temp_names():
    temp = ("r.pdf.part", ".r.pdf", "r.pdf~", "~$r.docx", "R.PDF.TMP", "x.crdownload")
    assert all(is_temp(n) for n in temp)
    assert not any(is_temp(n) for n in ("r.pdf", "IM0001", "report.json"))


def test_move_never_overwrites(tmp_path):
    done = tmp_path / "done"
    for n in range(3):
        (tmp_path / "r.pdf").write_text(str(n))
        move_unique(tmp_path / "r.pdf", done)
    assert sorted(p.name for p in done.iterdir()) == ["r-1.pdf", "r-2.pdf", "r.pdf"]
    assert [(done / n).read_text() for n in ("r.pdf", "r-1.pdf", "r-2.pdf")] == ["0", "1", "2"]


def test_move_completes_one_interrupted_after_the_link(tmp_path):
    (tmp_path / "done").mkdir()
    src = tmp_path / "r.pdf"
    src.write_text("x")
    os.link(src, tmp_path / "done" / "r.pdf")  # as if killed between link and unlink
    assert move_unique(src, tmp_path / "done") == tmp_path / "done" / "r.pdf"
    assert not src.exists() and [p.name for p in (tmp_path / "done").iterdir()] == ["r.pdf"]


def test_a_link_is_moved_as_a_link_and_a_taken_link_name_is_not_taken_for_the_same_file(tmp_path):
    target = tmp_path / "theirs.pdf"
    target.write_text("theirs")
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "r.pdf").symlink_to(target)  # another link to the same file, filed earlier
    (tmp_path / "r.pdf").symlink_to(target)
    dest = move_unique(tmp_path / "r.pdf", tmp_path / "failed")
    assert dest == tmp_path / "failed" / "r-1.pdf" and dest.is_symlink() and os.readlink(dest) == str(target)
    assert not os.path.lexists(tmp_path / "r.pdf") and target.read_text() == "theirs"


def test_across_file_systems_only_a_regular_file_is_copied(tmp_path, monkeypatch):
    def cross_device(*_, **__):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(folders.os, "link", cross_device)
    monkeypatch.setattr(folders.os, "rename", cross_device)
    (tmp_path / "r.pdf").write_bytes(b"%PDF-1.4 report")
    assert move_unique(tmp_path / "r.pdf", tmp_path / "done").read_bytes() == b"%PDF-1.4 report"
    assert not (tmp_path / "r.pdf").exists()
    os.mkfifo(tmp_path / "pipe.pdf")
    with pytest.raises(OSError) as raised:  # copying a FIFO would block: it stays where it is
        fail_into(tmp_path / "pipe.pdf", tmp_path / "failed", "a FIFO")
    assert raised.value.errno == errno.EXDEV and (tmp_path / "pipe.pdf").is_fifo()
    assert list((tmp_path / "failed").iterdir()) == []  # and no reason is left without its file


def test_failed_input_gets_a_one_line_reason(tmp_path):
    src = tmp_path / "bad.pdf"
    src.write_text("x")
    dest = fail_into(src, tmp_path / "failed", "image-only PDF:\n no text layer")
    assert dest == tmp_path / "failed" / "bad.pdf"
    assert error_file(dest).read_text() == "bad.pdf: image-only PDF: no text layer\n"


def test_sink_publishes_exports_only_for_new_exams(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        sink = ResultSink(store, tmp_path / "out", ["hl7", "csv"])
        assert sink.commit([exam(1)], inputs=["a" * 64]) == [True]
        assert sink.commit([exam(1)]) == [False]
        sha = exam(1).source.sha256
        assert sorted(p.name for p in (tmp_path / "out" / "hl7").iterdir()) == [f"{sha}.hl7"]
        assert sorted(p.name for p in (tmp_path / "out" / "csv").iterdir()) == [f"{sha}.csv"]
        assert sink.known("a" * 64) and sink.known(sha) and not sink.known("b" * 64)


def test_sink_recovers_exports_a_crash_left_pending(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        store.add(exam(1))
        folder = tmp_path / "out" / "json"
        folder.mkdir(parents=True)
        committed, orphan = exam(1).source.sha256, exam(2).source.sha256
        (folder / f".{committed}.json.pending").write_text("{}")
        (folder / f".{orphan}.json.pending").write_text("{}")
        assert ResultSink(store, tmp_path / "out", ["json"]).recover() == 1
        assert [p.name for p in folder.iterdir()] == [f"{committed}.json"]


def test_sink_stores_nothing_when_an_export_cannot_be_rendered(tmp_path, monkeypatch):
    def broken(results, many):
        raise ValueError("patient MRN00001 looks odd")

    monkeypatch.setitem(FORMATS, "fhir", broken)
    with Store(tmp_path / "s.sqlite3") as store:
        sink = ResultSink(store, tmp_path / "out", ["json", "fhir"])
        with pytest.raises(ExportError) as err:
            sink.commit([exam(1)])
        assert "MRN" not in err.value.args[0] and "fhir" in err.value.args[0]
        assert store.count() == 0 and not any((tmp_path / "out").rglob("*.*"))


def test_sink_rejects_unknown_formats(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store, pytest.raises(ValueError, match="xml"):
        ResultSink(store, tmp_path / "out", ["xml"])
