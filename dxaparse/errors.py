"""The errors an entry point reports to a person: a bad input (readers), unusable site settings (coder),
and the warning about an input that was read all the same.

Cheap to import (the CLI catches them before any command has loaded its libraries)."""

from __future__ import annotations

import logging
from pathlib import Path


def one_line(text: str) -> str:
    """`text` with every character that is not printable — line breaks, NUL, escape sequences, Unicode
    separators, unassigned code points — written as Python writes it in a repr (`\\n`, `\\x00`,
    `\\u2028`): a reason that quotes what a file holds (a UID, a field name, a library's message) stays one
    line of stderr or of a log, and cannot drive the terminal it is printed on."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """An input that cannot be read or is not a DXA report.

    `reason` is short and specific (`not a DXA object: CT Image Storage`, `image-only PDF: no text
    layer`), holds no patient identifiers, and is what the CLI prints after the file name. It is always
    one printable line (`one_line`): a reason may quote what it found in the file, and the CLI prints
    one line per rejected input. `path` stays the file's name as it is, to find the file by; the
    message, `PATH: reason`, escapes it like the reason.
    """

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = one_line(reason)
        super().__init__(f"{one_line(self.path)}: {self.reason}")

    def __reduce__(self):
        """Pickled by its two arguments (a process pool sends it back), not by its message."""
        return type(self), (self.path, self.reason)


class OverLimit(InputError):
    """An input refused for a resource limit (time, memory): not a partial file that a writer is still
    finishing, so a service does not read it again — that would cost the limit again."""


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the problem."""


INPUT_SHA256 = "input_sha256"
"""Log record attribute of a warning about one input: the input's content hash (see `warn_input`)."""


def warn_input(log: logging.Logger, path: str | Path, sha256: str, what: str) -> None:
    """Log a warning about one input that was still read (`PATH: what`), for a person to act on.

    `what` holds no patient identifiers, like an `InputError` reason. The record carries the input's
    content hash as `INPUT_SHA256` so that an entry point which names inputs by hash rather than by path
    (the folder watcher: file names on a share are often patients' names) can rename it; the path is the
    record's first argument."""
    log.warning("%s: %s", path, what, extra={INPUT_SHA256: sha256})
