"""Property tests: a findings object written as an SR in any of the shapes of `_sr_shapes` reads back as
those findings — every region at its site, side and vertebrae with its values, TBS, FRAX and VFA —
with nothing refused and nothing left unrecognised."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dxaparse.code import code_findings, load_settings
from dxaparse.models import Findings, Fracture, Frax, Measurement, Source, Tbs, Vfa
from dxaparse.read.dicom.sr import read_sr

from ._dicom import sr_dataset
from ._sr_shapes import HypothesisDraw, draw_exam, expected_rows, read_rows, write_sr


def read_back(data):
    d = HypothesisDraw(data)
    exam = draw_exam(d)
    content = write_sr(d, exam)
    return exam, read_sr(sr_dataset(content, exam.vendor), exam.vendor)


def fractures_of(exam) -> list[tuple]:
    return sorted((v, g) for v, g in (exam.fractures or {}).items() if g)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_sr_shape_reads_back_its_findings(data):
    exam, sr = read_back(data)
    assert (sr.doubts, sr.unrecognized) == ([], [])
    assert read_rows(sr.measurements) == expected_rows(exam)
    assert (sr.tbs.value if sr.tbs else None) == exam.tbs
    assert ((sr.frax.major, sr.frax.hip) if sr.frax else None) == exam.frax
    assert sr.vfa.performed is (exam.fractures is not None)
    assert sorted((f.vertebra, f.grade) for f in sr.vfa.fractures) == fractures_of(exam)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_sr_shape_codes_as_its_findings_do(data):
    """The coding of what was read equals the coding of the findings the SR was written from."""
    exam, sr = read_back(data)
    source = Source(path="x.dcm", kind="dicom-sr", sha256="0" * 64)
    truth = Findings(
        source=source,
        measurements=[Measurement(site=r.kind.site, side=r.side, vertebrae=list(r.kind.vertebrae), **r.values)
                      for r in exam.regions],
        tbs=Tbs(value=exam.tbs) if exam.tbs is not None else None,
        frax=Frax(major=exam.frax[0], hip=exam.frax[1]) if exam.frax else None,
        vfa=Vfa(performed=exam.fractures is not None,
                fractures=[Fracture(vertebra=v, grade=g) for v, g in fractures_of(exam)]))
    read = Findings(source=source, measurements=sr.measurements, tbs=sr.tbs, frax=sr.frax, vfa=sr.vfa)
    settings_ = load_settings(None)
    want, got = code_findings(truth, settings_), code_findings(read, settings_)
    assert [c.code for c in got.cpt] == [c.code for c in want.cpt]
    assert (got.category, [i.code for i in got.icd10]) == (want.category, [i.code for i in want.icd10])
    if exam.tbs is not None:
        assert "77089" in [c.code for c in got.cpt]
