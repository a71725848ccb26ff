"""What `dxaparse --version` says: the version, the code tables and their dates, and whether OCR is
available.

Cheap on purpose: it reads only the tables' `[table]` headers (not the coder, which compiles every
pattern) and asks whether tesserocr is installed without importing it (importing it loads
libtesseract). `dxaparse.code.tables` finds its tables with `table_headers` below, so what `--version`
lists is what the coder chooses from.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import tomllib
from collections import namedtuple
from collections.abc import Iterable
from pathlib import Path

from . import __version__

DATA = Path(__file__).resolve().parent / "code" / "data"
TABLE_FILES = {"CPT": "cpt-*.toml", "ICD-10-CM": "icd10cm-*.toml"}
"""The code tables by kind: every file of the data folder whose name matches is a table of that kind,
so next year's table is one new file (docs/coding.md, "Code tables by date of service")."""


class TableHeader(namedtuple("TableHeader", "path edition effective until")):
    """A code table's `[table]` header: its file, its name ("CPT 2026", "ICD-10-CM FY2026") and the first
    and last dates of service it is in force. A named tuple, not a dataclass: `--version` stays clear of
    `dataclasses` and the `inspect` module it imports."""

    __slots__ = ()

    def covers(self, day: dt.date) -> bool:
        return self.effective <= day <= self.until

    def span(self) -> str:
        return f"{self.effective.isoformat()} to {self.until.isoformat()}"


def table_headers(kind: str, folders: Iterable[Path] = (DATA,)) -> list[TableHeader]:
    """The headers of every table of `kind` ("CPT" or "ICD-10-CM") in `folders`, oldest first."""
    out = []
    for path in sorted(p for folder in folders for p in Path(folder).glob(TABLE_FILES[kind])):
        with path.open("rb") as fh:
            head = tomllib.load(fh).get("table", {})
        try:
            out.append(TableHeader(path=path, edition=head["edition"], effective=head["effective"],
                                   until=head["until"]))
        except KeyError as err:
            raise ValueError(f"{path}: [table] has no {err.args[0]!r}") from None
    return sorted(out, key=lambda h: h.effective)


def code_tables() -> list[TableHeader]:
    """Every code table shipped, CPT then ICD-10-CM, oldest first: the coder picks, for each exam, the
    one of each kind in force on its date."""
    return [h for kind in TABLE_FILES for h in table_headers(kind)]


def ocr_status() -> str:
    """Whether image-only reports can be read: the tesserocr binding installed and English language
    data found (`dxaparse.read.ocr.engine.tessdata`). Does not import tesserocr."""
    if importlib.util.find_spec("tesserocr") is None:
        return "unavailable (tesserocr not installed: pip install 'dxaparse[ocr]', see docs/ocr.md)"
    from .read.ocr.engine import tessdata

    found = tessdata()
    if found is None:
        return "unavailable (no English language data eng.traineddata: see docs/ocr.md)"
    return f"available (tesserocr; language data in {found})"


def version_text() -> str:
    tables = code_tables()
    width = max(len(h.edition) for h in tables)
    return "\n".join([f"dxaparse {__version__}", "code tables, by date of service:",
                      *(f"  {h.edition:<{width}}  {h.span()}" for h in tables), f"OCR: {ocr_status()}"])
