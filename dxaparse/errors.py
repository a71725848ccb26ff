"""The errors an entry point reports to a person: a bad input (readers), unusable site settings (coder),
and the warning about an input that was read all the same.

Cheap to import (the CLI catches them before any command has loaded its libraries)."""

from __future__ import annotations

import logging
from pathlib import Path


class InputError(Exception):
    """An input that cannot be read or is not a DXA report.

    `reason` is short and specific (`not a DXA object: CT Image Storage`, `image-only PDF: no text
    layer`), holds no patient identifiers, and is what the CLI prints after the file name.
    """

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self):
        """Rebuilt from path and reason: it travels back from the processes that code inputs."""
        return type(self), (self.path, self.reason)


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
