"""File names as text: one lossless rule wherever a path must be valid UTF-8.

A POSIX file name is bytes. Shares written by older Windows or Mac clients (or copied with another
code page) hold names that are not UTF-8 — `Scan-M\\xfcller.pdf` in Latin-1 — which Python gives as a
str with lone surrogates (`os.fsdecode`). Such a str opens, moves and hashes the file, but SQLite, JSON,
HL7 and CSV cannot hold it, nor can a strict UTF-8 stdout print it. So where a path becomes text — a
result's `source.path`, the store's `filed` column, an `.error.txt` line, output with `--log-paths` —
it is written as its bytes decoded as UTF-8, with each byte that is not part of valid UTF-8 written
`\\xNN` (two lower-case hex digits) and each backslash written `\\\\`. The name's own backslashes are
escaped so that an escape in the text can only have come from a byte: the rule is lossless
(`text_to_path(path_to_text(p)) == p` for every name), and for the names that occur in practice —
valid UTF-8, no backslash — the text is the plain name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_ESCAPE = re.compile(rb"\\(\\|x[0-9a-f]{2})")


def path_to_text(path: str | os.PathLike) -> str:
    """The path as valid UTF-8 text, by the module's rule."""
    return os.fsencode(path).replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def text_to_path(text: str) -> Path:
    """The path `path_to_text` wrote as `text`."""
    raw = _ESCAPE.sub(lambda m: b"\\" if m[1] == b"\\" else bytes([int(m[1][1:], 16)]), text.encode("utf-8"))
    return Path(os.fsdecode(raw))
