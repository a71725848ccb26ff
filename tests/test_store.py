"""The SQLite store: one transaction per result, each content hash stored once, export round-trips."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from dxaparse.emit.store import MIGRATIONS, Store, StoreError, network_filesystem

from ._exams import exam


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite3") as s:
        yield s


def _rows(store: Store, table: str) -> int:
    return sqlite3.connect(store.path).execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_same_content_is_stored_once(store):
    assert store.add(exam(1)) is True
    assert store.add(exam(1)) is False
    assert store.add(exam(2)) is True
    assert store.count() == 2
    assert _rows(store, "measurements") == 2 * len(exam().measurements)
    assert store.has(exam(1).source.sha256) and not store.has("0" * 64)


def test_result_round_trips_exactly(store):
    store.add(exam(1))
    (back,) = store.iter_results()
    assert back == exam(1)


def test_tables_hold_measurements_codes_and_flags(store):
    flagged = exam(3, coding={**exam().coding.model_dump(), "needs_review": True,
                              "flags": [{"code": "value_doubt", "message": "check"}]})
    store.add(flagged)
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT code, modifiers, units FROM cpt ORDER BY ordinal").fetchall() == [
        ("77085", "", 1), ("77081", "XU 26", 1)]
    assert [r[0] for r in db.execute("SELECT code FROM icd10 ORDER BY ordinal")] == ["M81.0", "Z79.83"]
    assert db.execute("SELECT code, message FROM flags").fetchall() == [("value_doubt", "check")]
    assert db.execute("SELECT needs_review, category, exam_date, study_uid FROM exams").fetchone() == (
        1, "osteoporosis", "2024-03-01", "1.2.840.99999.3")
    assert db.execute("SELECT vertebrae, t_score FROM measurements WHERE ordinal = 2").fetchone() == (
        "L1 L2 L3 L4", -2.1)


def test_a_failure_mid_write_leaves_nothing(store):
    """A result is all there or not there: make the third table's insert fail."""
    db = sqlite3.connect(store.path)
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON cpt BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    db.commit()
    with pytest.raises(sqlite3.IntegrityError, match="disk on fire"):
        store.add(exam(1), inputs=["f" * 64])
    assert store.count() == 0
    assert _rows(store, "measurements") == 0 and _rows(store, "inputs") == 0
    assert not store.has_input("f" * 64)
    db.execute("DROP TRIGGER boom")
    db.commit()
    assert store.add(exam(1)) is True


def test_input_hashes_are_recorded_with_the_exam(store):
    store.add(exam(1), inputs=["a" * 64, "b" * 64])
    assert store.has_input("a" * 64) and store.has_input("b" * 64)
    assert store.has_input(exam(1).source.sha256)  # the exam's own hash counts as a known input
    assert not store.has_input("c" * 64)
    store.add(exam(1), inputs=["c" * 64])  # already stored: the new input still points at it
    assert store.has_input("c" * 64) and store.count() == 1


def _of_study(n: int, study: str):
    r = exam(n)
    r.exam.study_uid = study
    return r


def test_latest_result_of_a_study_and_the_one_it_amends(store):
    assert store.latest("1.2.3") is None and store.latest(None) is None
    first, amended, other = _of_study(1, "1.2.3"), _of_study(2, "1.2.3"), _of_study(3, "9.9")
    store.add(first)
    store.add(other)
    assert store.latest("1.2.3").source.sha256 == first.source.sha256
    # before storing an amended result, and after: the result it amends is the study's earlier one
    assert store.latest("1.2.3", before=amended.source.sha256).source.sha256 == first.source.sha256
    store.add(amended)
    assert store.latest("1.2.3").source.sha256 == amended.source.sha256
    assert store.latest("1.2.3", before=amended.source.sha256).source.sha256 == first.source.sha256
    assert store.latest("1.2.3", before=first.source.sha256) is None


def test_filed_paths_of_a_study_inputs(store):
    store.add(_of_study(1, "1.2.3"), inputs={"a" * 64: "/done/A1", "b" * 64: "/done/A2"})
    store.add(_of_study(2, "1.2.3"), inputs={"a" * 64: "/elsewhere", "c" * 64: "/done/A3"})
    store.add(_of_study(3, "9.9"), inputs=["d" * 64])
    assert store.study_inputs("1.2.3") == {"a" * 64: "/done/A1", "b" * 64: "/done/A2", "c" * 64: "/done/A3"}
    assert store.study_inputs("9.9") == {"d" * 64: None}
    store.set_filed("d" * 64, "/done/B1")
    assert store.study_inputs("9.9") == {"d" * 64: "/done/B1"}


def test_a_version_1_store_is_migrated_keeping_its_inputs(tmp_path):
    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + ";\nPRAGMA user_version=1;")
    db.execute("INSERT INTO exams(id, sha256, source_path, source_kind, vendor, study_uid, category, "
               "needs_review, result_json, created_at) VALUES (1, 'e', '', '', '', '1.2.3', '', 0, '{}', '')")
    db.execute("INSERT INTO inputs VALUES (?, 1)", ("a" * 64,))
    db.commit()
    db.close()
    with Store(path):
        pass
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert "filed" in [row[1] for row in db.execute("PRAGMA table_info(inputs)")]
    with Store(path) as again:
        assert again.study_inputs("1.2.3") == {"a" * 64: None}


def test_wal_mode_and_schema_version(store, tmp_path):
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    store.add(exam(1))
    with Store(store.path) as again:  # reopening migrates nothing and keeps the data
        assert again.count() == 1
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.commit()
    with pytest.raises(StoreError, match="newer dxaparse"):
        Store(store.path)


def test_since_filters_by_time_stored(store):
    store.add(exam(1))
    store.add(exam(2))
    db = sqlite3.connect(store.path)
    db.execute("UPDATE exams SET created_at = '2020-01-01T10:00:00.000000+00:00' WHERE id = 1")
    db.commit()
    assert [r.source.sha256 for r in store.iter_results(dt.date(2021, 1, 1))] == [exam(2).source.sha256]
    assert len(list(store.iter_results(dt.date(2020, 1, 1)))) == 2
    later = dt.datetime(2020, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))  # 09:00 UTC
    assert len(list(store.iter_results(later))) == 2
    assert len(list(store.iter_results(dt.datetime(2020, 1, 1, 10, 0, 1)))) == 1


def test_concurrent_writers_lose_nothing(store):
    threads = [threading.Thread(target=lambda k=k: [store.add(exam(k * 100 + i)) for i in range(25)])
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 100


def test_network_filesystems_are_recognised(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n"
                      "//srv/dxa /mnt/dxa\\040share cifs rw 0 0\n"
                      "srv:/exports /srv/nfs nfs4 rw 0 0\n")
    assert network_filesystem(tmp_path / "x.sqlite3", mounts) is None
    assert network_filesystem(Path("/mnt/dxa share/x.sqlite3"), mounts) == "cifs"
    assert network_filesystem(Path("/srv/nfs/a/b.sqlite3"), mounts) == "nfs4"
    assert network_filesystem(Path("/srv/nfsother/b.sqlite3"), mounts) is None


def test_export_command_dumps_jsonl_and_csv(store, cli, tmp_path):
    store.add(exam(1))
    store.add(exam(2))
    run = cli("export", "--store", str(store.path))
    assert run.code == 0, run.err
    objs = [json.loads(line) for line in run.out.splitlines()]
    assert [o["source"]["sha256"] for o in objs] == [exam(1).source.sha256, exam(2).source.sha256]
    assert objs[0]["schema_version"] == "1" and objs[0]["coding"]["cpt"][0]["code"] == "77085"
    run = cli("export", "--store", str(store.path), "--format", "csv", "--since", "2999-01-01")
    assert run.code == 0 and run.out.count("\n") == 1  # header only
    out = tmp_path / "all.csv"
    assert cli("export", "--store", str(store.path), "--format", "csv", "-o", str(out)).code == 0
    assert out.read_bytes().count(b"\r\n") == 1 + 2 * len(exam().coding.cpt)
    assert cli("export", "--store", str(store.path), "--format", "csv-measurements", "-o", str(out)).code == 0
    assert out.read_bytes().count(b"\r\n") == 1 + 2 * len(exam().measurements)


def test_export_refuses_a_missing_store(cli, tmp_path):
    run = cli("export", "--store", str(tmp_path / "nope.sqlite3"))
    assert run.code == 2 and "no store" in run.err
    assert not (tmp_path / "nope.sqlite3").exists()
