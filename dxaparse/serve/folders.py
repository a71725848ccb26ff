"""Filing inputs away: into done/ after their result is committed, into failed/ with the reason.

Nothing is ever overwritten: a name already taken gets a `-1`, `-2`, … suffix. Moves use a hard link
then unlink where the file system allows it, so a crash between the two leaves a second name for the
same file, which the next move recognises (same inode) instead of filing the input twice.

What is moved is the entry itself: a symbolic link is moved as a link, never as the file it leads to,
and only a regular file is ever copied (across file systems) — copying a FIFO would block, copying a
device would never end. Such an entry that cannot be renamed stays where it is (OSError).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from ..names import path_to_text
from ..read.files import is_regular, open_regular

TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".filepart", ".download", "~")
"""Names writers use while a file is incomplete; such files are taken only once renamed."""


def is_temp(name: str) -> bool:
    return name.startswith((".", "~$")) or name.lower().endswith(TEMP_SUFFIXES)


def move_unique(src: Path, folder: Path, before: Callable[[Path], None] | None = None) -> Path:
    """Move `src` into `folder` under its name or the first free suffixed one; returns the new path.
    `before(dest)` runs once the destination is chosen, before the move (failed/ writes the reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = _split(src.name)
    n = 0
    while True:
        dest = folder / (src.name if n == 0 else f"{stem}-{n}{suffix}")
        n += 1
        if os.path.lexists(dest):
            if _same_file(src, dest):  # an earlier move was interrupted after the link
                src.unlink()
                return dest
            continue
        if before:
            before(dest)
        try:
            os.link(src, dest, follow_symlinks=False)  # never replaces an existing file
        except FileExistsError:
            continue
        except OSError:  # no hard links here (some SMB mounts) or another file system
            _move(src, dest)
            return dest
        src.unlink()
        return dest


def _move(src: Path, dest: Path) -> None:
    """Rename, or across file systems copy a regular file's bytes then remove it."""
    try:
        os.rename(src, dest)
        return
    except OSError as err:
        if err.errno != errno.EXDEV or not is_regular(src):
            raise
        crossing = err
    try:
        fin = open_regular(src)
    except InputError:  # it was swapped for a link or a special file meanwhile
        raise crossing from None
    with fin, open(dest, "xb") as fout:
        shutil.copyfileobj(fin, fout)
    shutil.copystat(src, dest, follow_symlinks=False)
    src.unlink()


def free_name(src: Path, folder: Path) -> Path:
    """The name `move_unique` would file `src` under now (the watcher records it with the result first)."""
    stem, suffix = _split(src.name)
    n = 0
    while True:
        dest = folder / (src.name if n == 0 else f"{stem}-{n}{suffix}")
        if not os.path.lexists(dest) or _same_file(src, dest):
            return dest
        n += 1


def fail_into(src: Path, folder: Path, reason: str) -> Path:
    """Move `src` into `folder` with `<name>.error.txt` beside it: one line, `<original name>: <reason>`
    (the name as text: `names.path_to_text`). If it cannot be moved, no reason is left behind."""
    line = f"{path_to_text(src.name)}: {' '.join(reason.split())}\n"
    written: list[Path] = []

    def write_reason(dest: Path) -> None:
        written.append(error_file(dest))
        _write_atomic(written[-1], line)

    try:
        return move_unique(src, folder, before=write_reason)
    except OSError:
        if written:
            written[-1].unlink(missing_ok=True)
        raise


def error_file(dest: Path) -> Path:
    return dest.with_name(dest.name + ".error.txt")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _split(name: str) -> tuple[str, str]:
    p = Path(name)
    return (p.stem, p.suffix) if p.suffix and p.stem else (name, "")


def _same_file(a: Path, b: Path) -> bool:
    """The same entry under two names (links compared as links, not as what they lead to)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
