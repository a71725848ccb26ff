"""What a file is, from its first bytes, and its content hash — read only from a regular file.

A folder dxaparse is pointed at (a share, an archive) may hold symbolic links and special files. A link
may lead out of the folder (another department's reports, /etc/passwd), and opening a FIFO blocks until
someone writes to it, reading /dev/zero never ends. So files are opened here with O_NOFOLLOW (a link is
refused, never followed) and O_NONBLOCK (a FIFO opens at once instead of waiting for a writer), and the
open file is checked to be a regular one before a byte is read: a check made before the open could be
raced by swapping the file.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class Kind(Enum):
    DICOM = "dicom"
    PDF = "pdf"
    JSON = "json"
    UNKNOWN = "unknown"


def not_regular(mode: int) -> str | None:
    """Why an entry of this `st_mode` (from `lstat`) is not read, or None for a regular file. The
    reason describes the entry itself, never what a link leads to."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link: links are not followed; drop the file itself"
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    return f"{kind}, not a regular file: not read"


def is_regular(path: Path) -> bool:
    """A regular file itself, not a link to one (False if it is gone)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading if it is a regular file; an InputError saying what it is otherwise.
    Never follows a link, never blocks on a FIFO; other OSErrors (gone, no permission) pass."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        # ELOOP: O_NOFOLLOW met a link; ENXIO: a socket (or a device without a driver) cannot be opened
        if err.errno in (errno.ELOOP, errno.ENXIO) and (reason := not_regular_at(path)):
            raise InputError(path, reason) from None
        raise
    try:
        reason = not_regular(os.fstat(fd).st_mode)
        if reason:
            raise InputError(path, reason)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def not_regular_at(path: Path) -> str | None:
    """`not_regular` of the entry at `path`; None also when it is gone (its reader will say so)."""
    try:
        return not_regular(os.lstat(path).st_mode)
    except OSError:
        return None


def folder_files(folder: Path) -> list[Path]:
    """The files below `folder` that are read as its input, in name order: hidden names (`.DS_Store`,
    a `.partial` upload, what is below a hidden folder) are left out."""
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def sniff(path: Path) -> Kind:
    """DICOM (Part 10 preamble, or a bare dataset starting with group 0002/0008), PDF, JSON or unknown."""
    try:
        with open_regular(path) as fh:
            head = fh.read(1024)
    except OSError as err:
        raise InputError(path, f"cannot open: {err.strerror or err}") from None
    if not head:
        raise InputError(path, "empty file (0 bytes)")
    if head[128:132] == b"DICM":
        return Kind.DICOM
    if b"%PDF-" in head:
        return Kind.PDF
    if head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"["):  # Windows tools write a BOM
        return Kind.JSON
    if len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00") and head[2:4] < b"\x10\x00":
        return Kind.DICOM
    return Kind.UNKNOWN


def sha256_file(path: Path) -> str:
    """Content hash of a regular file (`open_regular`: an InputError for a link or special file)."""
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_of_hashes(hashes: list[str]) -> str:
    """Content hash of a multi-object exam: independent of file names and order."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()
