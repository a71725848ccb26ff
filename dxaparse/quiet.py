"""What the readers' libraries say, kept off stderr: one mechanism for every command and entry point.

pdfminer, pdfplumber, pydicom, Pillow and pypdfium2 warn (`warnings`) and log about every damaged byte
they meet, some quoting values (a DICOM header's patient name). A rejected input must be exactly one
stderr line — its reason, which dxaparse words — and a coded one none; so while `captured()` is active
their warnings and their loggers' records of level WARNING and above are re-logged at DEBUG by the
logger `dxaparse.libraries` (shown with `-vv`, which is for a developer on a test exam), one line each,
and their own debug chatter is dropped.

The pipeline reads and codes every input inside `captured()`, so the CLI, the watcher, the PACS hook
and batch workers (local processes or a cluster) inherit it; `dxaparse pacs` holds it for its whole run,
since pynetdicom decodes received datasets with pydicom outside any reading. `captured()` may be
entered from several threads and nested: the first entry installs the capture, the last exit removes
it, and Python warnings from any thread in between are captured too.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import one_line

LIBRARIES = ("pdfminer", "pdfplumber", "pydicom", "PIL", "pypdfium2")
"""The loggers captured (with their child loggers: `pdfminer.pdfpage`, `pydicom.pixels` …)."""

LOGGER = "dxaparse.libraries"
"""Where library messages caught while reading are re-logged, at debug level."""
log = logging.getLogger(LOGGER)


class _ToDebug(logging.Handler):
    """Hands a library's record on to `dxaparse.libraries` at DEBUG, named by its logger and level."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s: %s", record.name, record.levelname, one_line(record.getMessage()))
        except Exception:  # a library's malformed record must not fail the reading that logged it
            self.handleError(record)


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    """`warnings.showwarning` while captured: the warning as one debug line, never on stderr."""
    log.debug("%s at %s:%d: %s", category.__name__, Path(filename).name, lineno, one_line(str(message)))


_handler = _ToDebug()
_lock = threading.Lock()
_depth = 0
_saved: dict[str, object] = {}


@contextmanager
def captured() -> Iterator[None]:
    """Within the block, library warnings and log records go to the debug log instead of stderr."""
    _enter()
    try:
        yield
    finally:
        _exit()


def _enter() -> None:
    global _depth
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        _saved["showwarning"] = warnings.showwarning
        warnings.showwarning = _show
        for name in LIBRARIES:
            logger = logging.getLogger(name)
            _saved[name] = logger.propagate
            logger.propagate = False
            logger.addHandler(_handler)


def _exit() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth > 0:
            return
        warnings.showwarning = _saved.pop("showwarning")
        for name in LIBRARIES:
            logger = logging.getLogger(name)
            logger.removeHandler(_handler)
            logger.propagate = _saved.pop(name)
