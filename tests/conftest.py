"""Shared test helpers: repository paths and a CLI runner that captures stdout, stderr and exit status."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliRun:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> CliRun:
    """Run `dxaparse` as a user would: a separate process, from the repository root."""
    proc = subprocess.run([sys.executable, "-m", "dxaparse.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli
