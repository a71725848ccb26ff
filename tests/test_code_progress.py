"""`dxaparse code` on several inputs shows a progress bar only when stderr is a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

from ._exams import findings_json
from .conftest import ROOT


def _run(tmp_path, stderr_tty: bool) -> tuple[int, str]:
    paths = [str(findings_json(tmp_path, f"f{n}.json", n)) for n in range(3)]
    (tmp_path / "bad.json").write_text("{")
    paths.append(str(tmp_path / "bad.json"))
    master, slave = pty.openpty() if stderr_tty else (None, subprocess.PIPE)
    if stderr_tty:  # a new pty is 0 columns wide: give it a real terminal's size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "dxaparse.cli", "code", *paths, "-o", str(tmp_path / "o")],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=slave)
    if stderr_tty:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal closed: the process is done with it
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        err = b"".join(chunks).decode(errors="replace")
    else:
        err = proc.stderr.read().decode()
    return proc.wait(timeout=60), err


def test_progress_bar_on_a_terminal(tmp_path):
    code, err = _run(tmp_path, stderr_tty=True)
    assert code == 2
    assert "4/4" in err and "input" in err          # tqdm's counter
    assert "bad.json: not valid JSON" in err         # error lines still shown, above the bar


def test_no_progress_bar_in_a_pipe(tmp_path):
    code, err = _run(tmp_path, stderr_tty=False)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"dxaparse: {tmp_path / 'bad.json'}: not valid JSON")
    assert "4/4" not in err and "%|" not in err
