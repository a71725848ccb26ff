"""Readers against what a folder may hold besides reports (issue 15): they read only regular files —
never through a link, never blocking on a FIFO — and a result names its file by a lossless text form."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dxaparse.code import CodingSettings
from dxaparse.names import path_to_text, text_to_path
from dxaparse.pipeline import process

from ._exams import findings_json

LINK_REASON = "a symbolic link: links are not followed; drop the file itself\n"
SPECIAL = ", not a regular file: not read\n"


def test_readers_refuse_links_and_special_files_but_code_follows_a_link_it_is_named(tmp_path, cli):
    report = findings_json(tmp_path, "r.json", 11)
    (tmp_path / "link.json").symlink_to(report)
    os.mkfifo(tmp_path / "pipe.json")
    (link,) = process(tmp_path / "link.json", CodingSettings())
    (fifo,) = process(tmp_path / "pipe.json", CodingSettings())
    assert (link.reason, fifo.reason) == (LINK_REASON.strip(), f"a FIFO (named pipe){SPECIAL.strip()}")
    run = cli("code", str(tmp_path / "link.json"), str(tmp_path / "pipe.json"), timeout=60)
    assert run.code == 2 and run.err == f"dxaparse: {tmp_path / 'pipe.json'}: {fifo.reason}\n"
    (coded,) = json.loads(run.out)
    assert coded["source"]["path"] == str(report)  # the user's own link: followed


def test_names_round_trip_through_text():
    for raw in (b"plain.pdf", b"Scan-M\xfcller.pdf", b"M\xc3\xbcller.pdf", b"a\\b", b"a\\xfc", b"\\\\x41\xff",
                b"\xc3", b"x\\", bytes(range(1, 256)).replace(b"/", b"")):
        path = Path("/share") / os.fsdecode(raw)
        text = path_to_text(path)
        text.encode("utf-8")  # valid UTF-8: SQLite, JSON, HL7 and CSV take it
        assert text_to_path(text) == path, raw
    assert path_to_text(Path(os.fsdecode(b"/s/M\xfcller.pdf"))) == "/s/M\\xfcller.pdf"
    assert path_to_text(Path("/s/Müller.pdf")) == "/s/Müller.pdf"
    assert path_to_text("/s/a\\xfc") == "/s/a\\\\xfc"


def test_a_result_names_a_file_whose_name_is_not_utf8_by_its_text(tmp_path, cli):
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/M\xfcller.json"))
    path.write_bytes(findings_json(tmp_path, "x.json", 15).read_bytes())
    (result,) = process(path, CodingSettings())
    assert result.source.path == f"{tmp_path}/M\\xfcller.json"
    assert json.loads(result.model_dump_json())["source"]["path"] == result.source.path
    run = cli("code", str(path))
    assert run.code == 0 and json.loads(run.out)["source"]["path"] == result.source.path
