"""Start-up: `python -m dxaparse` works, `--version` says what is in force, and the CLI module imports no
command's heavy libraries (benchmarks/startup.py measures the time; no test here is timed)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from dxaparse import __version__, about

from ._exams import findings_json
from .conftest import ROOT

HEAVY = ("watchdog", "pynetdicom", "hl7apy", "fhir", "tesserocr", "starlette", "uvicorn", "jinja2", "argon2")


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_python_m_dxaparse_version_lists_every_code_table_with_its_dates_and_ocr():
    proc = _python("-m", "dxaparse", "--version")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"dxaparse {__version__}"
    assert lines[1] == "code tables, by date of service:"
    files = sorted(about.DATA.glob("cpt-*.toml")) + sorted(about.DATA.glob("icd10cm-*.toml"))
    listed = lines[2:-1]
    assert len(listed) == len(files) >= 4          # this year's and last year's CPT and ICD-10-CM
    for line, path in zip(listed, files, strict=True):
        with path.open("rb") as fh:
            head = tomllib.load(fh)["table"]
        assert line.split() == [*head["edition"].split(), head["effective"].isoformat(), "to",
                                head["until"].isoformat()]
    assert lines[-1].startswith(("OCR: available", "OCR: unavailable"))


def test_version_lists_the_tables_the_coder_chooses_from():
    from dxaparse.code import tables

    assert about.code_tables() == [t.header for t in (*tables.cpt_tables(), *tables.icd10_tables())]


def test_ocr_status_without_tesserocr_does_not_import_it(monkeypatch):
    monkeypatch.setattr(about.importlib.util, "find_spec", lambda name: None)
    assert about.ocr_status().startswith("unavailable (tesserocr not installed")


def test_ocr_status_without_language_data(monkeypatch):
    from dxaparse.read.ocr import engine

    monkeypatch.setattr(about.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(engine, "tessdata", lambda: None)
    assert about.ocr_status().startswith("unavailable (no English language data")


def test_importing_the_cli_loads_no_command_libraries():
    code = ("import dxaparse.cli, sys; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_version_and_help_load_no_command_libraries():
    heavy = (*HEAVY, "pydicom", "pydantic")
    code = ("import sys, contextlib, io\nfrom dxaparse.cli import main\n"
            "for argv in (['--version'], ['--help'], ['watch', '--help'], ['pacs', '--help']):\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "        main(argv)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_code_progress_lines_on_stderr_keep_stdout_json(tmp_path):
    paths = [str(findings_json(tmp_path, f"f{n}.json", n)) for n in range(2)]
    proc = _python("-m", "dxaparse", "code", "--progress", *paths)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 2
    assert proc.stderr.splitlines() == [f"dxaparse: [1/2] {paths[0]}", f"dxaparse: [2/2] {paths[1]}"]
