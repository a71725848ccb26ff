"""Poison inputs and poison coding functions for the limit tests (issue 15).

The functions run in the child processes of `dxaparse.isolate.Isolator`, which import them by name:
this module imports nothing heavy (the PDF writer of tests/_pdf.py), so that a child loads it in
milliseconds.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from dxaparse.errors import INPUT_SHA256, InputError

from ._pdf import raw_pdf

log = logging.getLogger("tests.poison")


def dense_pdf(path: Path, lines: int, words: int = 50) -> Path:
    """A valid one-page PDF of `lines` × `words` tiny words: a few hundred kilobytes that the PDF reader
    takes seconds to read (about 2.3 s per 1,000 lines here). One page and no image, so no page or pixel
    limit refuses it first: only the time limit stops it."""
    ops = [b"BT /F1 2 Tf"]
    for y in range(lines):
        text = b" ".join(b"w%d" % k for k in range(words))
        ops.append(b"1 0 0 1 10 %d Tm (%s) Tj" % (780 - (y % 380) * 2, text))
    ops.append(b"ET")
    content = b"\n".join(ops)
    return raw_pdf(path, [content], compress=None)


def sleeps(seconds: float) -> list:
    time.sleep(seconds)
    return ["slept"]


def spins(seconds: float) -> list:
    """Busy Python code, as a reader stuck in a loop."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return [n]


def allocates(mb: int) -> list:
    data = bytearray(mb * 2**20)
    return [len(data)]


def reads_damaged(path: str, mb: int) -> list:
    """A reader that takes any error of its library for a damaged file, as the PDF reader does."""
    try:
        allocates(mb)
    except Exception as err:
        raise InputError(path, "damaged PDF") from err
    return []


def yields_damaged(path: str, mb: int) -> list:
    """The same, handing the error back as a value as the readers do with bad inputs."""
    try:
        reads_damaged(path, mb)
    except InputError as err:
        return [err, "another object of the study"]
    return ["read", "another object of the study"]


def logs(path: str) -> list:
    log.warning("%s: %s", path, "looked odd", extra={INPUT_SHA256: "ab" * 32})
    return ["logged"]


def raises(text: str) -> list:
    raise ValueError(text)


def crashes() -> list:
    os.kill(os.getpid(), signal.SIGSEGV)
    return []


def pid() -> list:
    return [os.getpid()]


def runs_out_of_memory() -> list:
    raise MemoryError
