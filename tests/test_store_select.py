"""The export filters as the store runs them (`Selection`, `Store.select`): each alone and combined
(AND), among the current results unless all versions are asked for, as SQL on the store's columns —
and the schema 4 migration that gave the store the columns they need."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from dxaparse.billing import release
from dxaparse.emit.store import MIGRATIONS, Selection, Store

from ._exams import FILED, exam, fill

UTC = dt.UTC


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite3") as s:
        s.names = {sha: name for name, sha in fill(s).items()}
        yield s


def _picked(store: Store, **criteria) -> list[str]:
    return [store.names[s.result.source.sha256] for s in store.select(Selection(**criteria))]


ALONE = [
    ({}, ["s1v2", "s2", "s3", "pdf"]),
    ({"all_versions": True}, ["s1v1", "s1v2", "s2", "s3", "pdf"]),
    ({"held": True}, ["s1v2", "s2"]),                       # s3 was released: no longer held
    ({"needs_review": True}, ["s1v2", "pdf"]),
    ({"study_uid": "1.2.9.1"}, ["s1v2"]),                    # the study's current result
    ({"study_uid": "1.2.9.1", "all_versions": True}, ["s1v1", "s1v2"]),  # its history
    ({"study_uid": "1.2.9"}, []),                            # exact, not a prefix
    ({"accession": "A1"}, ["s1v2"]),
    ({"accession": "A2"}, ["s2"]),
    ({"since": dt.date(2026, 1, 20)}, ["s1v2", "s2", "s3", "pdf"]),
    ({"since": dt.date(2026, 1, 21)}, ["s3", "pdf"]),
    ({"since": dt.date(2026, 1, 11), "all_versions": True}, ["s1v2", "s2", "s3", "pdf"]),
    ({"since": dt.datetime(2026, 1, 20, 10, 0)}, ["s1v2", "s2", "s3", "pdf"]),   # naive = UTC, inclusive
    ({"since": dt.datetime(2026, 1, 20, 10, 0, 0, 1)}, ["s2", "s3", "pdf"]),
    ({"since": dt.datetime(2026, 1, 21, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))},
     ["s2", "s3", "pdf"]),                                   # 23:30 UTC on the 20th
    ({"until": dt.date(2026, 1, 20)}, ["s1v2", "s2"]),       # a date is its whole day
    ({"until": dt.date(2026, 1, 19), "all_versions": True}, ["s1v1"]),
    ({"until": dt.datetime(2026, 1, 20, 23, 59, 59)}, ["s1v2"]),
    ({"until": dt.datetime(2026, 1, 20, 23, 59, 59, 500000)}, ["s1v2", "s2"]),  # inclusive
    ({"until": dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-2)))},
     ["s1v2", "s2", "s3"]),                                  # 01:00 UTC on 1 February
]

COMBINED = [
    ({"held": True, "needs_review": True}, ["s1v2"]),
    ({"held": True, "since": dt.datetime(2026, 1, 20, 12, 0)}, ["s2"]),
    ({"needs_review": True, "until": dt.date(2026, 1, 31)}, ["s1v2"]),
    ({"needs_review": True, "all_versions": True, "study_uid": "1.2.9.1"}, ["s1v2"]),
    ({"accession": "A1", "all_versions": True, "until": dt.date(2026, 1, 15)}, ["s1v1"]),
    ({"accession": "A2", "needs_review": True}, []),
    ({"since": dt.date(2026, 1, 20), "until": dt.date(2026, 1, 20)}, ["s1v2", "s2"]),
    ({"since": dt.date(2026, 1, 20), "until": dt.date(2026, 2, 1), "held": True, "needs_review": True,
      "study_uid": "1.2.9.1", "accession": "A1"}, ["s1v2"]),
]


@pytest.mark.parametrize("criteria, expected", ALONE, ids=[str(c) for c, _ in ALONE])
def test_each_filter_alone(store, criteria, expected):
    assert _picked(store, **criteria) == expected


@pytest.mark.parametrize("criteria, expected", COMBINED, ids=[str(c) for c, _ in COMBINED])
def test_filters_combine_with_and(store, criteria, expected):
    assert _picked(store, **criteria) == expected
    # AND: the result is what every criterion alone keeps, in common
    alone = [set(_picked(store, **{k: v} | ({"all_versions": True} if criteria.get("all_versions") else {})))
             for k, v in criteria.items() if k != "all_versions"]
    assert set(expected) == set.intersection(*alone)


def test_a_selection_reads_only_the_results_it_picks(store, monkeypatch):
    """The filters are SQL: results the filter leaves out are never parsed."""
    from dxaparse import models

    parsed = []
    real = models.ExamResult.model_validate_json.__func__

    def counting(cls, text, *args, **kwargs):
        parsed.append(1)
        return real(cls, text, *args, **kwargs)
    monkeypatch.setattr(models.ExamResult, "model_validate_json", classmethod(counting))
    assert _picked(store, accession="A2") == ["s2"]
    assert len(parsed) == 1


def test_stored_at_is_when_the_result_was_stored(store):
    stored = {store.names[s.result.source.sha256]: s.stored_at
              for s in store.select(Selection(all_versions=True))}
    assert stored == {name: when for name, (*_, when) in FILED.items()}


def test_the_billing_status_column_follows_releases(tmp_path):
    with Store(tmp_path / "r.sqlite3") as s:
        held = exam(1, billing={"status": "held", "holds": [{"reason": "needs_review", "message": "x"}]})
        s.add(held)
        assert [x.result.source.sha256 for x in s.select(Selection(held=True))] == [held.source.sha256]
        s.set_billing(held.source.sha256, release(held.billing, "coder"))
        assert list(s.select(Selection(held=True))) == []
        (back,) = s.select(Selection())
        assert back.result.billing.status.value == "released"


def test_a_version_3_store_gets_the_filter_columns_from_its_results(tmp_path):
    """Migrating fills accession and billing status from each stored result; a result stored before
    billing states existed (no billing block) reads back held, and is held for `--held` too."""
    path = tmp_path / "v3.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(";\n".join(MIGRATIONS[:3]) + ";\nPRAGMA user_version=3;")
    ready, old = exam(1), exam(2).model_dump(mode="json")
    del old["billing"]
    for n, (sha, doc) in enumerate(((ready.source.sha256, ready.model_dump_json()),
                                    (exam(2).source.sha256, exam(2).model_validate(old).model_dump_json(
                                        exclude={"billing"}))), 1):
        db.execute("INSERT INTO exams(id, sha256, source_path, source_kind, vendor, study_uid, category, "
                   "needs_review, result_json, created_at) VALUES (?, ?, '', '', '', ?, '', 0, ?, ?)",
                   (n, sha, f"9.{n}", doc, f"2026-01-0{n}T00:00:00.000000+00:00"))
    db.commit()
    db.close()
    with Store(path) as s:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 5
        assert [x.result.source.sha256 for x in s.select(Selection(held=True))] == [exam(2).source.sha256]
        by_accession = s.select(Selection(accession="ACC1"))
        assert [x.result.source.sha256 for x in by_accession] == [ready.source.sha256]
        assert [x.result.billing.holds[0].reason.value for x in s.select(Selection(held=True))] == [
            "not_assessed"]
