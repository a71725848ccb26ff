"""One report's lines → `Findings`: a scanner's printout when it prints a results table, else a
narrative report; anything else is not a DXA report.

This is the entry for every source of positioned words — a PDF's text layer now, OCR later.
"""

from __future__ import annotations

from ...errors import InputError
from ...models import Findings, Source
from ...vendors import identify_pdf
from .draft import Draft
from .layouts import layout_for
from .narrative import is_dxa_text, read_narrative
from .scanner import read_scanner
from .values import DateOrder
from .words import Line, Pages


def vendor_of(lines: list[Line]) -> str:
    return identify_pdf("\n".join(line.text for line in lines))


def read_report(lines: list[Line], source: Source, date_order: DateOrder = DateOrder.MONTH_FIRST,
                pages: Pages | None = None) -> Findings:
    """`date_order`: how a date like 03/05/2024 is read (a site setting); `pages`: the size of each page,
    for the boxes of the values' evidence (without it, evidence names the printed text only)."""
    draft = Draft(date_order=date_order, pages=pages or {})
    tables = read_scanner(lines, layout_for(source.vendor), draft)
    if not tables and not draft.scans:
        if not is_dxa_text(lines):
            raise InputError(source.path, "not a DXA report: no results table and no bone density text")
        draft = Draft(date_order=date_order, pages=pages or {})   # a narrative report: its own vocabulary
    read_narrative(lines, draft, measurements=not tables)
    return draft.findings(source)
