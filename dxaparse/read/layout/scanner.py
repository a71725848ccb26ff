"""A scanner's printed report (Hologic APEX, GE enCORE, Norland …), read with its layout's data.

Lines are read in order across pages; the last printed scan type ("Scan Type: a Lumbar Spine",
"DualFemur Bone Density") is the context its tables' labels are resolved in — a bare "Total" is the
total hip on a hip page and the forearm total on a forearm page.
"""

from __future__ import annotations

import regex

from ...models import Measurement, Scan, Side, Site
from ...vendors import normalize_label, resolve_label, side_named
from .draft import Draft, first
from .fractures import fractures_in
from .layouts import Layout
from .table import Row, read_table
from .words import Line


def read_scanner(lines: list[Line], layout: Layout, draft: Draft) -> None:
    scan: Scan | None = None
    side: Side | None = None
    i = 0
    while i < len(lines):
        text = lines[i].text
        _fields(text, layout, draft)
        if (printed := layout.lines.value("scan", text)) is not None:
            scan, side = _scan(printed, layout, draft)
        anchor = next((m for p in layout.anchors if (m := p.search(text))), None)
        if anchor is not None:
            if reference := anchor.groupdict().get("reference"):
                first(draft.exam, "reference", reference.strip())
            context = _Context(layout, scan, side)
            table = read_table(lines, i + 1, layout.table, context.is_group)
            for row in table.rows:
                if (m := context.measurement(row, draft)) is not None:
                    draft.measure(m)
            i = max(table.end, i + 1)
            continue
        if scan is Scan.VFA:
            draft.add_fractures(fractures_in(text, layout.fractures))
        draft.line_values(text, layout.lines)
        i += 1


def _fields(text: str, layout: Layout, draft: Draft) -> None:
    for what, value in layout.fields.read(text):
        for pattern in layout.clean.get(what, ()):
            value = pattern.sub("", value).strip()
        draft.fill(what, value, layout.date_formats)


def _scan(printed: str, layout: Layout, draft: Draft) -> tuple[Scan | None, Side | None]:
    scan = layout.scan(printed)
    if scan is None:
        draft.unknown(f"scan type {printed!r}")
        return None, None
    draft.add_scan(scan)
    # a scan type names its side by a whole word; one-letter words are APEX scan-mode codes ("a Left Hip")
    sides = {side_named(layout.vendor, w) for w in normalize_label(printed).split() if len(w) > 1}
    named = [s for s in sides if s in ("left", "right")]
    return scan, (named[0] if len(named) == 1 else None)


class _Context:
    """How one table's row labels become sites: the scan it was printed under, and its groups."""

    def __init__(self, layout: Layout, scan: Scan | None, side: Side | None):
        self.layout, self.scan, self.side = layout, scan, side

    def is_group(self, label: str) -> bool:
        return (normalize_label(label) in self.layout.skip_rows or self._side(label) is not None
                or resolve_label(self.layout.vendor, label, self.scan) is not None)

    def measurement(self, row: Row, draft: Draft) -> Measurement | None:
        label = row.label
        for mark in self.layout.excluded_marks:
            label = regex.sub(regex.escape(mark), " ", label, flags=regex.IGNORECASE)
        excluded, label = label != row.label, " ".join(label.split())
        group = row.group or ""
        if {normalize_label(label), normalize_label(group)} & self.layout.skip_rows:
            return None
        side = self._side(group) or self.side
        if group and self._side(group) is None and self._side(label) is not None:
            label = f"{group} {label}"       # "Neck" above "Left": the left femoral neck
        match = resolve_label(self.layout.vendor, label, self.scan, side)
        if match is None:
            draft.unknown(f"region {label!r}")
            return Measurement(site=Site.OTHER, side=side, label=label, excluded=excluded, **row.values)
        return Measurement(site=match.site, side=match.side, label=label, vertebrae=list(match.vertebrae),
                           excluded=excluded, **row.values)

    def _side(self, label: str) -> Side | None:
        return side_named(self.layout.vendor, label) if label else None
