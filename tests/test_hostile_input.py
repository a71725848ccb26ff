"""Hostile inputs (issue 15): each input of `dxaparse code` is isolated — one that trips a reader or
that the models refuse is exactly one stderr line and exit status 2, and the other inputs' results are
still written — and a result holds only typed, finite numbers, whichever format writes it."""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import struct
import warnings
from pathlib import Path

import pytest
import regex
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from dxaparse.errors import InputError
from dxaparse.models import DoubtReason
from dxaparse.quiet import captured
from dxaparse.read.dicom.sr import MAX_DEPTH, read_sr

from ._dicom import bmd, gen, spine_container, sr_dataset, sr_file, t_score, write

FINDINGS = {
    "patient": {"sex": "F", "age_years": 67, "menopausal_status": "post", "id": "MRN1"},
    "exam": {"date": "2026-02-03", "scans": ["spine", "hip"]},
    "measurements": [
        {"site": "lumbar_spine", "label": "L1-L4", "vertebrae": ["L1", "L2", "L3", "L4"], "bmd": 0.801,
         "t_score": -2.7, "z_score": -1.1},
        {"site": "total_hip", "side": "left", "label": "Total", "bmd": 0.75, "t_score": -1.6},
    ],
}


NON_FINITE = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)   # as Python, JSON or CSV would print it


def strict_json(text: str):
    """JSON as the standard has it: NaN and Infinity are not numbers of JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def good_sr(path: Path) -> Path:
    return sr_file(path, [spine_container(bmd(), t_score())])


def good_json(path: Path) -> Path:
    path.write_text(json.dumps(FINDINGS), encoding="utf-8")
    return path


# -- hostile DICOM, patched byte by byte from a good SR (explicit VR little endian) ---------------------
def _tag(group: int, elem: int) -> bytes:
    return struct.pack("<HH", group, elem)


def _element_at(data: bytes, group: int, elem: int, vr: bytes) -> int:
    at = data.find(_tag(group, elem) + vr)
    assert at > 0, f"({group:04X},{elem:04X}) {vr} not in the test SR"
    return at


def _vr_swapped(path: Path, group: int, elem: int, vr: bytes, new_vr: bytes) -> Path:
    """The test SR with one explicit VR overwritten in place (same length: nothing else moves)."""
    data = bytearray(good_sr(path).read_bytes())
    at = _element_at(data, group, elem, vr)
    data[at + 4:at + 6] = new_vr
    path.write_bytes(data)
    return path


def unknown_vr(path: Path) -> Path:
    """StudyDate sent with a VR no standard knows: pydicom raises NotImplementedError when it is read."""
    return _vr_swapped(path, 0x0008, 0x0020, b"DA", b"ZZ")


def wrong_vr_sequence(path: Path) -> Path:
    """The content tree sent as text (UT): its items are characters, not datasets."""
    return _vr_swapped(path, 0x0040, 0xA730, b"SQ", b"UT")


def uid_not_a_string(path: Path) -> Path:
    """The transfer syntax UID sent as a number (US): pydicom gives an int where a UID goes."""
    data = good_sr(path).read_bytes()
    at = _element_at(data, 0x0002, 0x0010, b"UI")
    old = 8 + struct.unpack("<H", data[at + 6:at + 8])[0]
    new = _tag(0x0002, 0x0010) + b"US" + struct.pack("<HH", 2, 1)
    data = data[:at] + new + data[at + old:]
    group = _element_at(data, 0x0002, 0x0000, b"UL")   # the file meta's group length
    length = struct.unpack("<L", data[group + 8:group + 12])[0] - old + len(new)
    path.write_bytes(data[:group + 8] + struct.pack("<L", length) + data[group + 12:])
    return path


def sequence_cut_short(path: Path) -> Path:
    """The content tree sent as UN (pydicom reads it as the sequence its tag is) holding 4 stray bytes
    where an item header (8 bytes) should be: `No tag to read` (OSError) when the tree is read."""
    data = good_sr(path).read_bytes()
    at = _element_at(data, 0x0040, 0xA730, b"SQ")
    path.write_bytes(data[:at] + _tag(0x0040, 0xA730) + b"UN\0\0" + struct.pack("<L", 4) + b"\1\2\3\4")
    return path


def _encoded(ds: Dataset) -> bytes:
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    write_dataset(fp, ds)
    return fp.getvalue()


def _content(items: list[bytes]) -> bytes:
    """A ContentSequence of undefined length holding the encoded `items`."""
    undefined, end = struct.pack("<L", 0xFFFFFFFF), struct.pack("<L", 0)
    body = b"".join(_tag(0xFFFE, 0xE000) + undefined + it + _tag(0xFFFE, 0xE00D) + end for it in items)
    return _tag(0x0040, 0xA730) + b"SQ\0\0" + undefined + body + _tag(0xFFFE, 0xE0DD) + end


def nested_sr(path: Path, depth: int) -> Path:
    """An SR whose BMD sits `depth` containers deep, written byte by byte: pydicom's writer recurses
    and cannot write one 2,000 deep."""
    region = _encoded(gen.container(gen.local("Region"), []))
    inner = _encoded(bmd())
    for _ in range(depth):
        inner = region + _content([inner])
    ds = sr_dataset([])
    del ds.ContentSequence
    write(ds, path)
    path.write_bytes(path.read_bytes() + _content([inner]))
    return path


def pdf_pdfminer_warns_about(path: Path) -> Path:
    """A PDF that PDFium cannot open (its trailer names no /Root) with a cross-reference entry whose
    position is no number: pdfminer, asked how many pages it has, logs a warning quoting the bytes."""
    from ._pdf import draw

    data = draw(path, lambda c: (c.drawString(72, 720, "Bone density report"), c.showPage())).read_bytes()
    xref = data.rindex(b"\nxref\n")
    entry = xref + regex.search(rb"\n(\d{10}) 00000 n", data[xref:]).start(1)
    path.write_bytes((data[:entry + 9] + b"\xbb" + data[entry + 10:]).replace(b"/Root", b">Root"))
    return path


# -- hostile findings JSON ---------------------------------------------------------------------------
def _json_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _with_t_score(path: Path, literal: str) -> Path:
    """FINDINGS with the spine T-score written as `literal`, verbatim."""
    text = json.dumps(FINDINGS).replace('"t_score": -2.7', f'"t_score": {literal}')
    assert literal in text
    return _json_text(path, text)


HOSTILE = {
    # name: (writer, file name, the reason printed)
    "unknown VR": (unknown_vr, "bad.dcm",
                   "damaged DICOM: element (0008,0020) at byte 456 has an unknown VR 'ZZ'"),
    "wrong VR on the SR tree": (wrong_vr_sequence, "bad.dcm",
                                "damaged DICOM: element (0040,A730) at byte 974 has VR UT, which the "
                                "standard does not give it"),
    "sequence cut short": (sequence_cut_short, "bad.dcm", "unreadable input (internal error: OSError)"),
    "SR nested 2,000 deep": (lambda p: nested_sr(p, 2000), "bad.dcm",
                             "unreadable DICOM (sequences nested too deep)"),
    "SR nested 100 deep": (lambda p: nested_sr(p, 100), "bad.dcm",
                           f"SR content nested deeper than {MAX_DEPTH} levels: not read"),
    "PDF that pdfminer warns about": (pdf_pdfminer_warns_about, "bad.pdf", "corrupt PDF: cannot be parsed"),
    "integer of 5,000 digits": (lambda p: _with_t_score(p, "1" * 5000), "bad.json",
                                "findings JSON holds a number of more than 4300 digits"),
    "JSON nested 100k deep": (lambda p: _json_text(p, '{"exam": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                              "bad.json", "findings JSON nested too deep"),
    "t_score true": (lambda p: _with_t_score(p, "true"), "bad.json",
                     "findings JSON invalid at measurements.0.t_score: Input should be a valid number"),
    "exam.date 0": (lambda p: _json_text(p, json.dumps({**FINDINGS, "exam": {"date": 0}})), "bad.json",
                    "findings JSON invalid at exam.date: Value error, a date is a YYYY-MM-DD string, "
                    "not a number"),
    "NaN": (lambda p: _with_t_score(p, "NaN"), "bad.json", "findings JSON holds NaN, which is not a number"),
    "Infinity": (lambda p: _with_t_score(p, "-Infinity"), "bad.json",
                 "findings JSON holds -Infinity, which is not a number"),
    "a number too large for a float": (lambda p: _with_t_score(p, "-1e400"), "bad.json",
                                       "findings JSON invalid at measurements.0.t_score: "
                                       "Input should be a finite number"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_input_is_one_line_and_the_others_are_written(tmp_path, cli, name):
    writer, file_name, reason = HOSTILE[name]
    first, last = good_sr(tmp_path / "first.dcm"), good_json(tmp_path / "last.json")
    bad = writer(tmp_path / file_name)
    run = cli("code", str(first), str(bad), str(last))
    assert run.code == 2
    assert run.err.splitlines() == [f"dxaparse: {bad}: {reason}"]
    results = strict_json(run.out)
    assert [r["source"]["path"] for r in results] == [str(first), str(last)]


def test_the_documented_refusals_are_the_readers(tmp_path):
    """docs/result-format.md quotes the findings reader's refusals of hostile values as it words them."""
    from dxaparse.read.findings_json import read_findings_json

    from .conftest import ROOT

    doc = (ROOT / "docs" / "result-format.md").read_text(encoding="utf-8")
    section = doc.split("## Findings JSON as input\n")[1].split("\n## ")[0]
    for name in ("t_score true", "exam.date 0", "NaN", "a number too large for a float",
                 "integer of 5,000 digits", "JSON nested 100k deep"):
        with pytest.raises(InputError) as refused:
            read_findings_json(HOSTILE[name][0](tmp_path / "bad.json"))
        assert f"`{refused.value.reason}`" in section


def test_a_byte_order_mark_is_read(tmp_path, cli):
    """Windows tools write UTF-8 with a BOM: the findings are read as without it."""
    plain = good_json(tmp_path / "plain.json")
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(FINDINGS), encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    run = cli("code", str(plain), str(bom))
    assert run.code == 0, run.err
    a, b = strict_json(run.out)
    assert b["source"]["path"] == str(bom)
    assert (a["measurements"], a["coding"]) == (b["measurements"], b["coding"])


@pytest.mark.parametrize("fmt", ["json", "csv", "hl7", "fhir"])
def test_no_format_ever_writes_nan(tmp_path, cli, fmt):
    """A NaN or infinite score never reaches an emitter: the input holding it is refused, whichever
    format the good inputs are written in (JSON has no NaN; CSV, HL7 and FHIR would print `nan`)."""
    good = good_json(tmp_path / "good.json")
    bad = [_with_t_score(tmp_path / f"{n}.json", literal) for n, literal in
           enumerate(("NaN", "Infinity", "1e999", '"NaN"'))]
    run = cli("code", "--format", fmt, str(good), *map(str, bad))
    assert run.code == 2
    assert len(run.err.splitlines()) == len(bad)
    assert run.out and not NON_FINITE.search(run.out)
    if fmt in ("json", "fhir"):
        strict_json(run.out)


def test_the_sr_walk_stops_at_its_depth_limit(tmp_path):
    """A content tree deeper than the limit, as a dataset in memory: the values above the limit are
    read, the rest is refused with a doubt (once), and no RecursionError escapes."""
    inner = [bmd()]
    for _ in range(2000):
        inner = [gen.container(gen.local("Region"), inner)]
    ds = sr_dataset([spine_container(bmd(0.9), t_score(-1.2)), *inner])
    sr = read_sr(ds, "hologic")
    assert [(m.bmd, m.t_score) for m in sr.measurements] == [(0.9, -1.2)]
    assert [(d.field, d.reason) for d in sr.doubts] == [("measurements", DoubtReason.UNREADABLE)]
    assert sr.doubts[0].detail == f"SR content nested deeper than {MAX_DEPTH} levels: not read"


def test_an_input_error_is_one_line(tmp_path):
    """Reasons may quote what a file holds (a SOP class UID, a field name): control characters and line
    breaks are escaped, so that a reason never starts a second line."""
    err = InputError(tmp_path / "x.dcm", "not a DXA object: 1.2\n3\r\x1b[31m\u2028end")
    assert err.reason == "not a DXA object: 1.2\\n3\\r\\x1b[31m\\u2028end"
    assert "\n" not in str(err)


def test_models_refuse_non_finite_numbers():
    """No reader, input or assignment puts NaN or infinity into a result: every float field refuses it."""
    from dxaparse import models

    checked = 0
    for model in vars(models).values():
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            continue
        for name, field in model.model_fields.items():
            if "float" not in str(field.annotation):
                continue
            for bad in (math.nan, math.inf, -math.inf):
                with pytest.raises(ValueError, match="finite number"):
                    model.__pydantic_validator__.validate_assignment(model.model_construct(), name, bad)
            checked += 1
    assert checked >= 12   # patient age, the measurement values, TBS, FRAX, the coding basis


TOO_LONG = "1" * 400 + ".5"   # a float reads it as infinity


@pytest.mark.parametrize("sentences", [
    [f"FINDINGS: Left femoral neck: BMD 0.602 g/cm2, T-score -{TOO_LONG}, Z-score -0.9."],
    # the same site stated again: the doubt of the second statement is kept with the first's values
    ["FINDINGS: Left femoral neck: BMD 0.602 g/cm2.",
     f"Left femoral neck: T-score -{TOO_LONG}, Z-score -0.9."],
])
def test_a_printed_score_too_long_for_a_float_is_a_doubt(sentences):
    """A reader never puts infinity into a result (the models refuse it): the score is not read, and
    the measurement says why."""
    from dxaparse.models import Source
    from dxaparse.read.layout.report import read_report

    from ._pdf import text_lines

    found = read_report(text_lines(" ".join(sentences)),
                        Source(path="report.pdf", kind="pdf", sha256="0" * 64))
    [m] = found.measurements
    assert (m.bmd, m.t_score, m.z_score) == (0.602, None, -0.9)
    assert m.doubt == "t-score printed with too many digits to be read"


def test_a_table_cell_too_long_for_a_float_is_unreadable():
    from dxaparse.read.layout.values import Cell, cell_value, number

    assert cell_value(TOO_LONG).kind is Cell.TEXT   # the table reader doubts the row's unreadable cells
    with pytest.raises(ValueError):
        number(TOO_LONG)


def test_library_output_while_captured_is_one_debug_line_each(caplog, capsys):
    """Inside `captured()`, a library's log records (of its child loggers too) and Python warnings
    become one-line DEBUG records of `dxaparse.libraries`, nothing on stderr; nested entries keep the
    capture until the outermost one ends, which restores what was there."""
    caplog.set_level(logging.DEBUG)
    before = (warnings.showwarning, logging.getLogger("pydicom").propagate)
    with captured():
        with captured():
            logging.getLogger("pydicom.pixels.decoders.base").warning("pixel data %s\nlonger", "is")
        warnings.warn("a damaged xref", UserWarning, stacklevel=1)
        logging.getLogger("pdfminer.pdfpage").debug("chatter")   # a library's own debug: dropped
    assert (warnings.showwarning, logging.getLogger("pydicom").propagate) == before
    logging.getLogger("pydicom").warning("after")
    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert records[0] == ("dxaparse.libraries", "DEBUG",
                          "pydicom.pixels.decoders.base WARNING: pixel data is\\nlonger")
    assert records[1][:2] == ("dxaparse.libraries", "DEBUG")
    assert regex.fullmatch(r"UserWarning at test_hostile_input\.py:\d+: a damaged xref", records[1][2])
    assert records[2:] == [("pydicom", "WARNING", "after")]
    assert capsys.readouterr().err == ""


# -- the commands' own files: one line and exit status 2, never a traceback ---------------------------
def test_export_from_a_file_that_is_no_store(tmp_path, cli):
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database\n" * 100)
    run = cli("export", "--store", str(text))
    assert (run.code, run.err.splitlines()) == (2, [f"dxaparse export: {text}: not an SQLite database"])
    assert text.read_text() == "not a database\n" * 100   # left as it was


def test_export_from_a_store_of_a_newer_dxaparse(tmp_path, cli):
    from dxaparse.emit.store import MIGRATIONS, Store

    path = tmp_path / "store.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    run = cli("export", "--store", str(path))
    assert (run.code, run.err.splitlines()) == (
        2, [f"dxaparse export: {path}: written by a newer dxaparse (schema {len(MIGRATIONS) + 1})"])


@pytest.mark.parametrize("command", ["code", "export"])
def test_output_into_a_missing_folder(tmp_path, cli, command):
    from dxaparse.emit.store import Store

    source = good_json(tmp_path / "f.json") if command == "code" else tmp_path / "store.sqlite3"
    if command == "export":
        Store(source).close()
    out = tmp_path / "missing" / "out.json"
    run = cli(command, *(["--store"] if command == "export" else []), str(source), "-o", str(out))
    assert (run.code, run.err.splitlines()) == (
        2, [f"dxaparse {command}: cannot write {out}: No such file or directory"])


def test_a_coder_failure_fails_that_exam_alone(tmp_path, monkeypatch):
    """A bug of the coder on one exam of a folder: that exam is an InputError naming its file, the
    folder's other exam is still coded."""
    from dxaparse import pipeline
    from dxaparse.code import CodingSettings

    real = pipeline.code_findings

    def coder(findings, settings):
        if findings.patient.id == "CRASH":
            raise KeyError("a bug")
        return real(findings, settings)

    monkeypatch.setattr(pipeline, "code_findings", coder)
    folder = tmp_path / "exams"
    folder.mkdir()
    good = good_json(folder / "a.json")
    bad = _json_text(folder / "b.json", json.dumps({**FINDINGS, "patient": {"id": "CRASH"}}))
    items = list(pipeline.process(folder, CodingSettings()))
    assert [(type(i).__name__, i.source.path if hasattr(i, "source") else str(i)) for i in items] == [
        ("ExamResult", str(good)), ("InputError", f"{bad}: not coded (internal error: KeyError)")]


def test_a_uid_that_is_not_a_string_is_read_but_flagged_as_damaged(tmp_path, cli):
    """The transfer syntax UID sent as a number: the dataset itself reads, so it is coded — never
    unflagged: the damage holds it for review (`damaged_input`)."""
    run = cli("code", str(uid_not_a_string(tmp_path / "bad.dcm")))
    assert run.code == 0 and run.err == "", run.err
    result = json.loads(run.out)
    assert "damaged_input" in [f["code"] for f in result["coding"]["flags"]]
    assert result["coding"]["needs_review"] and result["billing"]["status"] == "held"
