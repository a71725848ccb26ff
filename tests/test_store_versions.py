"""Result versions: a study coded again is the next version of its result, exactly one is current, and
`export` writes the current one unless asked for the history (issue 14, case 7)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.emit.csv_out import COLUMNS, STORED_LINE_COLUMNS, VERSION_COLUMNS
from dxaparse.emit.store import MIGRATIONS, Store, StoredVersion
from dxaparse.serve.sink import ResultSink

from ._exams import exam
from .conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "result-v1.schema.json").read_text(encoding="utf-8"))
STUDY = "1.2.840.99999.7"


def _of_study(n: int, study: str | None):
    r = exam(n)
    r.exam.study_uid = study
    return r


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite3") as s:
        yield s


def _sha(n: int) -> str:
    return exam(n).source.sha256


def test_case_7_export_writes_the_current_result_and_with_all_versions_the_history(store, cli):
    """The PACS hook coded the SR, more objects came, the whole study was coded again: the store holds
    both results, and an analyst's export must not count the study twice."""
    store.add(_of_study(1, STUDY))
    store.add(_of_study(2, "9.9"))  # another study in between: versions count per study
    store.add(_of_study(3, STUDY))

    run = cli("export", "--store", str(store.path))
    assert run.code == 0, run.err
    docs = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["source"]["sha256"], d["store"]) for d in docs] == [
        (_sha(2), {"version": 1, "supersedes": None, "current": True}),
        (_sha(3), {"version": 2, "supersedes": _sha(1), "current": True})]
    for doc in docs:
        jsonschema.validate(doc, SCHEMA)

    run = cli("export", "--store", str(store.path), "--all-versions")
    docs = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["source"]["sha256"], d["store"]) for d in docs] == [
        (_sha(1), {"version": 1, "supersedes": None, "current": False}),
        (_sha(2), {"version": 1, "supersedes": None, "current": True}),
        (_sha(3), {"version": 2, "supersedes": _sha(1), "current": True})]

    for extra, expected in (((), {(_sha(2), "1", "", "1"), (_sha(3), "2", _sha(1), "1")}),
                            (("--all-versions",), {(_sha(1), "1", "", "0"), (_sha(2), "1", "", "1"),
                                                   (_sha(3), "2", _sha(1), "1")})):
        for fmt, columns, per_exam in (
                ("csv", STORED_LINE_COLUMNS, len(exam().coding.cpt)),
                ("csv-measurements", COLUMNS + VERSION_COLUMNS, len(exam().measurements))):
            run = cli("export", "--store", str(store.path), "--format", fmt, *extra)
            reader = csv.DictReader(io.StringIO(run.out))
            assert reader.fieldnames == columns  # version columns last: no column moves
            rows = list(reader)
            assert {(r["sha256"], r["version"], r["supersedes"], r["current"]) for r in rows} == expected
            assert len(rows) == len(expected) * per_exam


def test_export_since_keeps_to_the_current_results(store, cli):
    """An incremental hand-off gets the new version with what it supersedes, never the old one again."""
    store.add(_of_study(1, STUDY))
    db = sqlite3.connect(store.path)
    db.execute("UPDATE exams SET created_at = '2020-01-01T00:00:00.000000+00:00'")
    db.commit()
    store.add(_of_study(2, STUDY))
    for extra in ((), ("--all-versions",)):
        run = cli("export", "--store", str(store.path), "--since", "2021-01-01", *extra)
        (doc,) = map(json.loads, run.out.splitlines())
        assert doc["store"] == {"version": 2, "supersedes": _sha(1), "current": True}


def test_versions_of_a_study_and_results_without_a_study_uid(store):
    assert store.add(_of_study(1, STUDY)) and store.add(_of_study(2, None)) and store.add(_of_study(3, ""))
    assert store.add(_of_study(4, STUDY)) and not store.add(_of_study(1, STUDY))  # stored again: no version
    assert store.version(_sha(1)) == StoredVersion(1, None, False)
    assert store.version(_sha(4)) == StoredVersion(2, _sha(1), True)
    # no study UID, none or empty: nothing says two such results are one exam, each is its own chain
    assert store.version(_sha(2)) == store.version(_sha(3)) == StoredVersion(1, None, True)
    assert store.version("0" * 64) is None
    assert store.latest(STUDY) == _of_study(4, STUDY)
    assert [(r.source.sha256, v.version) for r, v in store.iter_versions()] == [
        (_sha(2), 1), (_sha(3), 1), (_sha(4), 2)]
    assert store.version_for(_of_study(5, STUDY)) == StoredVersion(3, _sha(4), True)  # what it would get
    assert store.version_for(_of_study(1, STUDY)) == StoredVersion(1, None, False)  # what it has
    assert store.version_for(_of_study(6, None)) == StoredVersion(1, None, True)


def test_on_new_sees_the_assigned_version_and_can_roll_the_result_back(store):
    store.add(_of_study(1, STUDY))
    seen = []
    assert store.add(_of_study(2, STUDY), on_new=seen.append)
    assert seen == [StoredVersion(2, _sha(1), True)]
    assert not store.add(_of_study(2, STUDY), on_new=seen.append) and len(seen) == 1  # not new: not called

    def refuse(version):
        raise OSError("disk full")

    with pytest.raises(OSError):
        store.add(_of_study(3, STUDY), on_new=refuse)
    assert not store.has(_sha(3)) and store.version(_sha(2)).current  # the old version is current again


def test_the_store_refuses_a_second_current_result_of_a_study(store):
    store.add(_of_study(1, STUDY))
    store.add(_of_study(2, STUDY))
    db = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE exams SET current = 1")


# A store written by the code before versions: schema 2, the two migrations applied one by one.
OLD_SCHEMA = MIGRATIONS[0] + ";\n" + MIGRATIONS[1] + ";\nPRAGMA user_version=2;"


def test_a_version_2_store_gets_versions_in_the_order_its_results_were_stored(tmp_path):
    path = tmp_path / "v2.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    studies = [STUDY, "9.9", None, STUDY, "", "9.9", STUDY]
    for n, study in enumerate(studies, 1):
        r = _of_study(n, study)
        db.execute("INSERT INTO exams(id, sha256, source_path, source_kind, vendor, study_uid, category, "
                   "needs_review, result_json, created_at) VALUES (?, ?, '', '', '', ?, '', 0, ?, ?)",
                   (n * 10, r.source.sha256, study, r.model_dump_json(), f"2024-01-0{n}"))
    db.commit()
    db.close()

    with Store(path) as store:
        assert [(r.source.sha256, v) for r, v in store.iter_versions(all_versions=True)] == [
            (_sha(1), StoredVersion(1, None, False)), (_sha(2), StoredVersion(1, None, False)),
            (_sha(3), StoredVersion(1, None, True)), (_sha(4), StoredVersion(2, _sha(1), False)),
            (_sha(5), StoredVersion(1, None, True)), (_sha(6), StoredVersion(2, _sha(2), True)),
            (_sha(7), StoredVersion(3, _sha(4), True))]
        store.add(_of_study(8, STUDY))  # the migrated chain goes on
        assert store.version(_sha(8)) == StoredVersion(4, _sha(7), True)
        assert store.latest(STUDY, before=_sha(7)) == _of_study(4, STUDY)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("SELECT supersedes FROM exams WHERE id = 70").fetchone() == (40,)  # by row id


def _check_chains(store: Store, committed: list[int], study_of: list[str | None]) -> None:
    """Every chain is 1..n in commit order of first appearance, linked, with its last version current."""
    expected: dict[str, list[int]] = defaultdict(list)
    for n in dict.fromkeys(committed):  # first appearance only: the same content is stored once
        expected[study_of[n] or f"alone-{n}"].append(n)
    rows = sqlite3.connect(store.path).execute(
        "SELECT id, sha256, study_uid, version, supersedes, current FROM exams ORDER BY id").fetchall()
    chains: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        chains[row[2] or f"alone-{row[0]}"].append(row)
    assert sorted(len(c) for c in chains.values()) == sorted(len(c) for c in expected.values())
    for chain in chains.values():
        assert [row[3] for row in chain] == list(range(1, len(chain) + 1))
        assert [row[4] for row in chain] == [None] + [row[0] for row in chain[:-1]]
        assert [row[5] for row in chain] == [0] * (len(chain) - 1) + [1]
    for study, members in expected.items():
        if not study.startswith("alone-"):
            assert [row[1] for row in chains[study]] == [exam(n).source.sha256 for n in members]
            assert store.latest(study).source.sha256 == exam(members[-1]).source.sha256
    current = [r.source.sha256 for r, v in store.iter_versions() if v.current]
    assert len(current) == len(chains) == len(list(store.iter_versions()))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([STUDY, "9.9", "1.2.3", None]), min_size=8, max_size=8),
       st.lists(st.lists(st.integers(0, 7), min_size=1, max_size=4), max_size=8), st.booleans())
def test_any_commit_sequence_leaves_one_current_result_per_chain(study_of, batches, one_by_one):
    """Results of a few studies (content n always belongs to study_of[n]) committed in any order, in
    batches (`add_many`, as `batch` does) or one by one (`add`, as the watcher does), identical
    content re-committed included."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.sqlite3") as store:
        for batch in batches:
            items = [(_of_study(n, study_of[n]), ()) for n in batch]
            if one_by_one:
                for result, _ in items:
                    store.add(result)
            else:
                store.add_many(items)
        _check_chains(store, [n for batch in batches for n in batch], study_of)


def test_amended_result_files_say_their_version(store, tmp_path):
    out = tmp_path / "out"
    sink = ResultSink(store, out, ["json", "csv", "csv-measurements", "fhir"])
    first, amended = _of_study(1, STUDY), _of_study(2, STUDY)
    assert sink.commit([first]) == [True]
    assert sink.commit([amended]) == [True]
    doc = json.loads((out / "json" / f"{_sha(2)}.json").read_text())
    assert doc["store"] == {"version": 2, "supersedes": _sha(1), "current": True}
    assert json.loads((out / "json" / f"{_sha(1)}.json").read_text())["store"]["version"] == 1
    for fmt in ("csv", "csv-measurements"):
        rows = list(csv.DictReader(io.StringIO((out / fmt / f"{_sha(2)}.csv").read_text())))
        assert {(r["version"], r["supersedes"], r["current"]) for r in rows} == {("2", _sha(1), "1")}
    # the csv file says when the result was stored: the commit's time, as the store holds it
    for n in (1, 2):
        rows = list(csv.DictReader(io.StringIO((out / "csv" / f"{_sha(n)}.csv").read_text())))
        assert {r["stored_at"] for r in rows} == {store.stored_at(_sha(n))}
        assert store.stored_at(_sha(n)).endswith("+00:00")
    assert "store" not in json.loads((out / "fhir" / f"{_sha(2)}.json").read_text())


def test_files_rendered_before_the_commit_are_rendered_again_when_the_version_moved(store, tmp_path):
    """Two results of one study in one commit: the second was planned as version 1 (the first was not
    stored yet); the store made it version 2, and its files — the hl7 a correction — say so."""
    out = tmp_path / "out"
    sink = ResultSink(store, out, ["json", "hl7"])
    assert sink.commit([_of_study(1, STUDY), _of_study(2, STUDY)]) == [True, True]
    doc = json.loads((out / "json" / f"{_sha(2)}.json").read_text())
    assert doc["store"] == {"version": 2, "supersedes": _sha(1), "current": True}
    oru = (out / "hl7" / f"{_sha(2)}.hl7").read_bytes().decode().split("\n")[-2]
    assert oru.split("|")[8].startswith("ORU") and "|C\r" in oru + "\r"  # corrected, not final
    assert not any(p.name.endswith(".pending") for p in out.rglob("*"))
