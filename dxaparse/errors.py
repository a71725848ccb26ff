"""The errors an entry point reports to a person: a bad input (readers), unusable site settings (coder).

Cheap to import (the CLI catches them before any command has loaded its libraries)."""

from __future__ import annotations

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


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the problem."""
