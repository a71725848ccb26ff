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

HEAVY = ("watchdog", "pynetdicom", "hl7apy", "fhir", "tesserocr")


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_python_m_dxaparse_version_names_the_code_tables_and_ocr():
    proc = _python("-m", "dxaparse", "--version")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"dxaparse {__version__}"
    with (about.DATA / about.CPT_TABLE).open("rb") as fh:
        year = tomllib.load(fh)["table"]["year"]
    assert lines[1].startswith("code tables: ") and f"CPT {year}" in lines[1] and "ICD-10-CM" in lines[1]
    assert lines[2].startswith(("OCR: available", "OCR: unavailable"))


def test_version_names_the_tables_the_coder_loads():
    from dxaparse.code import tables

    assert tables._load(about.CPT_TABLE)["table"] == about._header(about.CPT_TABLE)
    assert about.code_tables()[1] == tables._load(about.ICD10_TABLE)["table"]["edition"]


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
