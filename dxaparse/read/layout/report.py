"""One report's lines → `Findings`: a scanner layout when the report prints one's results table,
else a narrative report; anything else is not a DXA report.

This is the entry for every source of positioned words — a PDF's text layer now, OCR later.
"""

from __future__ import annotations

from ...errors import InputError
from ...models import Findings, Source
from ...vendors import identify_pdf
from .draft import Draft
from .layouts import select
from .narrative import is_dxa_text, read_narrative
from .scanner import read_scanner
from .values import ReportError
from .words import Line


def vendor_of(lines: list[Line]) -> str:
    return identify_pdf("\n".join(line.text for line in lines))


def read_report(lines: list[Line], source: Source) -> Findings:
    draft = Draft()
    try:
        layout = select(lines, source.vendor)
        if layout is not None:
            read_scanner(lines, layout, draft)
        elif not is_dxa_text(lines):
            raise ReportError("not a DXA report: no results table and no bone density text")
        read_narrative(lines, draft, measurements=layout is None)
    except ReportError as err:
        raise InputError(source.path, str(err)) from None
    return draft.findings(source)
