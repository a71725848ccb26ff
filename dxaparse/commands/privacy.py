"""What the service commands (watch, batch, pacs) let reach their output and logs.

File names on a share or in an archive are often patients' names, so an input is named by its short
content hash unless `--log-paths` asks for names. And the libraries that read the reports quote what
they read: pydicom warns with the offending value (a StudyInstanceUID, a name), pdfminer logs what it
could not parse. Their Python warnings and log records are therefore held back: at the default
verbosity they are dropped, `-v` says that one was withheld (its source and level, not its text), and
only `-vv` — debugging, on a protected machine — shows them whole.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .. import quiet
from ..errors import INPUT_SHA256
from ..names import path_to_text

LIBRARIES = ("py.warnings", *quiet.LIBRARIES, quiet.LOGGER)
"""Loggers whose messages may quote what was read: Python warnings (`logging.captureWarnings`), the
libraries that parse DICOM, PDF and images, and what `dxaparse.quiet` re-logs of them while reading."""


def withhold_library_messages(verbose: int) -> None:
    """Route Python warnings into logging and filter the libraries' records on every handler of the
    root logger (set up by the CLI), for the verbosity `-v` count; calling it again replaces the filter."""
    logging.captureWarnings(True)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _Withheld)]:
            handler.removeFilter(old)
        handler.addFilter(_Withheld(verbose))


class _Withheld(logging.Filter):
    def __init__(self, verbose: int):
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        library = any(record.name == n or record.name.startswith(f"{n}.") for n in LIBRARIES)
        if self.verbose >= 2 or not library:
            return True
        if self.verbose == 0 or record.levelno < logging.WARNING:
            return False
        record.msg, record.args = "a %s withheld: its text may quote patient data (-vv shows it)", (
            record.levelname.lower(),)
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def input_label(path: str | Path, sha256: str | None, root: Path, paths: bool) -> str:
    """How output names an input: by its path under `root` (as text: `names.path_to_text`) with
    `--log-paths`, else by the first 12 hex digits of its content hash — `-` for one that was not read."""
    if paths:
        path = Path(path)
        return path_to_text(path.relative_to(root) if path.is_relative_to(root) else path)
    return sha256[:12] if sha256 else "-"


class InputNames(logging.Filter):
    """Readers' warnings about one input (`errors.warn_input`) name it by path; here they name it as the
    command's own lines do (`input_label`)."""

    def __init__(self, root: Path, paths: bool):
        super().__init__()
        self.root, self.paths = root, paths

    def filter(self, record: logging.LogRecord) -> bool:
        sha = getattr(record, INPUT_SHA256, None)
        if sha and isinstance(record.args, tuple) and record.args:
            record.args = (input_label(record.args[0], sha, self.root, self.paths), *record.args[1:])
        return True
