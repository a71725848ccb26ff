"""What operators install and copy from the docs: the example site settings, the systemd unit, the HL7
reading recipe. Each is checked against the code, so none of them can drift from it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hl7apy.parser import parse_message

from dxaparse.cli import build_parser
from dxaparse.code import CodingSettings, load_settings
from dxaparse.emit.store import Store
from dxaparse.serve.sink import ResultSink

from ._exams import exam

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
SITE_TOML = "/etc/dxaparse/site.toml"
WATCH_UNIT = EXAMPLES / "dxaparse-watch.service"
PACS_UNIT = EXAMPLES / "dxaparse-pacs.service"
# unit → (the command it runs, the doc that installs it)
UNITS = {WATCH_UNIT: ("watch", "watcher.md"), PACS_UNIT: ("pacs", "pacs.md")}


# --- docs/examples/site.toml ---------------------------------------------------------------------------


def test_example_site_toml_loads_and_sets_every_setting():
    path = EXAMPLES / "site.toml"
    assert load_settings(path) == CodingSettings()  # it shows the defaults
    with path.open("rb") as fh:
        given = set(tomllib.load(fh))
    # a setting without a default TOML can write (a file name) is shown commented out
    shown = set(re.findall(r"^# ?(\w+) = ", path.read_text(encoding="utf-8"), re.M))
    assert given | (shown & set(CodingSettings.model_fields)) == set(CodingSettings.model_fields)


def test_every_doc_names_the_one_settings_file():
    named = {m for p in [*DOCS.glob("*.md"), *EXAMPLES.iterdir(), ROOT / "README.md"]
             for m in re.findall(r"/etc/dxaparse/[\w.-]+\.toml", p.read_text(encoding="utf-8"))}
    # the one site settings file; beside it only the precision study it may name (docs/history.md)
    assert named - {"/etc/dxaparse/precision.toml"} == {SITE_TOML}


# --- the systemd unit ------------------------------------------------------------------------------------


def _unit(path: Path) -> dict[str, list[str]]:
    """key → values of a unit file, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def _argv(unit: Path) -> list[str]:
    """ExecStart without the global options before the command (`-v`)."""
    argv = shlex.split(_unit(unit)["ExecStart"][0])
    return [argv[0], *[a for a in argv[1:] if a not in ("-v", "-vv")]]


@pytest.mark.parametrize("unit_file", UNITS, ids=lambda p: p.name)
def test_unit_runs_as_documented(unit_file):
    command, doc = UNITS[unit_file]
    unit = _unit(unit_file)
    assert unit["User"] == ["dxaparse"] and unit["UMask"] == ["0027"]
    assert unit["Restart"] == ["on-failure"] and unit["RestartPreventExitStatus"] == ["2"]
    argv = _argv(unit_file)
    assert argv[:2] == ["/opt/dxaparse/bin/dxaparse", command]
    assert argv[argv.index("--config") + 1] == SITE_TOML
    doc_text = (DOCS / doc).read_text(encoding="utf-8")
    assert f"examples/{unit_file.name}" in doc_text
    assert "[Service]" not in doc_text  # the unit lives in one place, the file the tests check
    assert f"install -m 0644 docs/examples/{unit_file.name} /etc/systemd/system/{unit_file.name}" in doc_text
    assert "[dev" not in doc_text


def test_watcher_doc_installs_user_group_venv_settings_and_export_folder():
    watcher_md = (DOCS / "watcher.md").read_text(encoding="utf-8")
    for step in ("useradd --system", "dxaparse-export", "-m 2750 /srv/dxaparse/out",
                 "/opt/dxaparse/bin/pip install 'dxaparse[ocr]'", SITE_TOML):
        assert step in watcher_md, step
    # the PACS unit's install starts from those steps, and both units share what they create
    assert "watcher.md#running-it-as-a-service-systemd" in (DOCS / "pacs.md").read_text(encoding="utf-8")
    watch, pacs = _argv(WATCH_UNIT), _argv(PACS_UNIT)
    for option in ("--store", "--out-dir", "--config"):
        assert watch[watch.index(option) + 1] == pacs[pacs.index(option) + 1], option


@pytest.mark.parametrize("unit_file", UNITS, ids=lambda p: p.name)
def test_unit_options_are_options_of_its_command(unit_file):
    command, _ = UNITS[unit_file]
    argv = _argv(unit_file)
    helped = subprocess.run([sys.executable, "-m", "dxaparse.cli", command, "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    known = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", helped.stdout))
    used = [a for a in argv[2:] if a.startswith("-")]
    assert used and set(used) <= known, set(used) - known
    args = build_parser().parse_args(shlex.split(_unit(unit_file)["ExecStart"][0])[1:])  # values parse
    assert str(args.config) == SITE_TOML and args.out_format


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed (scripts/install-peers installs systemd)")
@pytest.mark.parametrize("unit_file", UNITS, ids=lambda p: p.name)
def test_unit_passes_systemd_analyze_verify(tmp_path, unit_file):
    # verify checks that ExecStart's program exists: point it at a stand-in, the rest unchanged
    program = tmp_path / "opt" / "dxaparse" / "bin" / "dxaparse"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    text = unit_file.read_text(encoding="utf-8")
    assert text.count("/opt/dxaparse/bin/dxaparse ") == 1
    unit = tmp_path / unit_file.name
    unit.write_text(text.replace("/opt/dxaparse/bin/dxaparse ", f"{program} "), encoding="utf-8")
    run = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                         timeout=60)
    # a misspelt key or a bad value is only a warning ("…, ignoring"): any output is a failure
    assert (run.returncode, run.stdout + run.stderr) == (0, "")


def test_exports_under_the_units_umask_are_readable_by_the_folder_group(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o2750)
    old = os.umask(0o027)
    try:
        with Store(tmp_path / "s.sqlite3") as store:
            ResultSink(store, out, ["hl7", "csv"]).commit([exam(1)])
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 2
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o640, p
        assert p.stat().st_gid == out.stat().st_gid
    for folder in (out / "hl7", out / "csv"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o2750, folder


# --- the HL7 recipe in docs/exports.md ----------------------------------------------------------------


def _recipe() -> dict:
    text = (DOCS / "exports.md").read_text(encoding="utf-8")
    section = text.split("## HL7 v2.5.1", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(blocks[0], namespace)
    return namespace


def test_hl7_recipe_reads_the_segments_of_dxaparse_code_output(tmp_path, cli):
    sample = ROOT / "samples" / "findings" / "axial-vfa-forearm-tbs.json"
    out = tmp_path / "exam.hl7"
    site = tmp_path / "site.toml"  # the sample's date of service is past any filing window: no limit
    site.write_text("timely_filing_months = 0\n", encoding="utf-8")
    run = cli("code", "--config", str(site), "--format", "hl7", "-o", str(out), str(sample))
    assert run.code == 0, run.err
    raw = out.read_bytes()
    assert b"\r" in raw  # the file does hold CRs, which a plain open() would turn into LFs

    coding = json.loads(cli("code", "--config", str(site), str(sample)).out)["coding"]
    ft1, dg1 = ["FT1"] * len(coding["cpt"]), ["DG1"] * len(coding["icd10"])

    messages = _recipe()["read_hl7"](out)
    assert len(messages) == 2
    dft, oru = messages
    assert [s[:3] for s in dft] == ["MSH", "EVN", "PID", "PV1", *ft1, *dg1] and ft1 and dg1
    assert [s[:3] for s in oru[:6]] == ["MSH", "PID", "PV1", "ORC", "OBR", "NTE"]
    assert len(oru) > 6 and {s[:3] for s in oru[6:]} == {"OBX"}
    assert all("\r" not in s and "\n" not in s for m in messages for s in m)
    # the segments are the file's, byte for byte; each ends with CR, the last one of a message too
    records = [m for m in raw.split(b"\n") if m]
    assert all(m.endswith(b"\r") and not m.endswith(b"\r\r") for m in records)
    expected = [m[:-1].split(b"\r") for m in records]
    assert [[s.encode() for s in m] for m in messages] == expected
    for message, kind in zip(messages, ("DFT^P03", "ORU^R01"), strict=True):
        parsed = parse_message("\r".join(message), find_groups=True)
        assert parsed.msh.msh_9.to_er7().startswith(kind)

    # what the recipe avoids: plain open() and split("\n") give a record per segment
    with out.open(encoding="utf-8") as fh:
        naive = [m for m in fh.read().split("\n") if m]
    assert len(naive) == sum(len(m) for m in messages)
