"""Filing inputs away: into done/ after their result is committed, into failed/ with the reason.

Nothing is ever overwritten: a name already taken gets a `-1`, `-2`, … suffix. Moves use a hard link
then unlink where the file system allows it, so a crash between the two leaves a second name for the
same file, which the next move recognises (same inode) instead of filing the input twice.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

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
        if dest.exists():
            if _same_file(src, dest):  # an earlier move was interrupted after the link
                src.unlink()
                return dest
            continue
        if before:
            before(dest)
        try:
            os.link(src, dest)  # never replaces an existing file
        except FileExistsError:
            continue
        except OSError:  # no hard links here (some SMB mounts) or another file system
            shutil.move(src, dest)
            return dest
        src.unlink()
        return dest


def free_name(src: Path, folder: Path) -> Path:
    """The name `move_unique` would file `src` under now (the watcher records it with the result first)."""
    stem, suffix = _split(src.name)
    n = 0
    while True:
        dest = folder / (src.name if n == 0 else f"{stem}-{n}{suffix}")
        if not dest.exists() or _same_file(src, dest):
            return dest
        n += 1


def fail_into(src: Path, folder: Path, reason: str) -> Path:
    """Move `src` into `folder` with `<name>.error.txt` beside it: one line, `<original name>: <reason>`."""
    line = f"{src.name}: {' '.join(reason.split())}\n"
    return move_unique(src, folder, before=lambda dest: _write_atomic(error_file(dest), line))


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
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
