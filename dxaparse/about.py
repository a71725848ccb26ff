"""What `dxaparse --version` says: the version, the code tables in force and whether OCR is available.

Cheap on purpose: it reads only the tables' `[table]` headers (not the coder, which compiles every
pattern) and asks whether tesserocr is installed without importing it (importing it loads
libtesseract). `dxaparse.code.tables` loads the files named here, so what `--version` names is what
the coder uses.
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from . import __version__

DATA = Path(__file__).resolve().parent / "code" / "data"
CPT_TABLE = "cpt-2026.toml"
"""The CPT/HCPCS table the coder loads (a new year: a new file, named here)."""
ICD10_TABLE = "icd10cm-2026.toml"
"""The ICD-10-CM table the coder loads."""


def code_tables() -> list[str]:
    """The code tables in force, as their headers name them: e.g. ["CPT 2026", "ICD-10-CM FY2026"]."""
    cpt = _header(CPT_TABLE)
    icd = _header(ICD10_TABLE)
    return [f"CPT {cpt['year']}", str(icd.get("edition") or f"ICD-10-CM {icd.get('year', '?')}")]


def _header(name: str) -> dict:
    with (DATA / name).open("rb") as fh:
        return tomllib.load(fh).get("table", {})


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
    return "\n".join([f"dxaparse {__version__}", f"code tables: {', '.join(code_tables())}",
                      f"OCR: {ocr_status()}"])
