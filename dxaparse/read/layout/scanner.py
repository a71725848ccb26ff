"""A scanner's printed report (Hologic APEX, GE enCORE, Norland …), read with its vendor's vocabulary.

Lines are read in order across pages. Titles ("Scan Type: a R.Forearm", "Left Forearm Bone Density",
"ANCILLARY RESULTS [AP Spine]", "Right Hip on 2/4/2008") give the scan and side of the tables beneath
them until the next title or page; a bare "Total" is the total hip on a hip page and the forearm total
on a forearm page. A table under no title takes its scan from its own rows (a "Neck" row: a hip page).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ...models import Measurement, Scan, Side, Site, TrendPoint, Vertebra
from ...vendors import not_a_result, resolve_label, side_named
from .draft import SCAN_OF_SITE, Draft
from .fractures import fractures_in
from .layouts import Layout
from .table import Row, Table, header_run, read_table
from .values import date
from .words import Line

_SIDE_WORD = regex.compile(r"(?<![a-z])(left|right|l|r|lt|rt)(?![a-z])", regex.IGNORECASE)


@dataclass
class _Title:
    scan: Scan | None = None
    side: Side | None = None


def read_scanner(lines: list[Line], layout: Layout, draft: Draft) -> int:
    """Read every results table and header field of `lines` into `draft`; the number of tables read."""
    title = _Title()
    trend: str | None = None     # the caption of the trend table that may follow
    tables = 0
    page = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.page != page:
            page, title, trend = line.page, _Title(), None
        _fields(line.text, layout, draft)
        title = _titles(line, layout, draft) or title
        trend = layout.lines.value("trend", line.text) or trend
        table = read_table(lines, i, layout.columns) if header_run(line, layout.columns) else None
        if table is not None and table.rows:
            tables += 1
            if _is_trend(table):
                _trend(table, layout, title, trend, draft)
                trend = None
            else:
                _table(table, layout, title, draft)
            i = max(table.end, i + 1)
            continue
        if title.scan is Scan.VFA:
            draft.add_fractures(fractures_in(line.text, layout.fractures))
        draft.reference_sex(line.text, layout.lines)
        if not layout.columns.is_boilerplate(line.text):
            draft.line_values(line.text, layout.lines, line)
        i += 1
    return tables


def _fields(text: str, layout: Layout, draft: Draft) -> None:
    for what, value in layout.fields.read(text):
        for pattern in layout.clean.get(what, ()):
            value = pattern.sub("", value).strip()
        draft.fill(what, value)


def _titles(line: Line, layout: Layout, draft: Draft) -> _Title | None:
    """The scan and side the titles printed on this line name; None when it prints none. Two titles
    of one scan with different sides side by side (a dual hip) name no side."""
    found: list[_Title] = []
    for block in line.text.split("\t"):
        block = block.strip()
        for pattern in layout.titles:
            if not (m := pattern.search(block)):
                continue
            groups = m.groupdict()
            printed = (groups.get("v") or groups.get("scan") or "").strip()
            scan = layout.scan(printed) if printed else None
            if scan is None:
                if groups.get("scan"):
                    draft.unknown(f"scan type {printed!r}")
                continue
            if groups.get("date"):
                draft.fill("scan_date", groups["date"])
            draft.add_scan(scan)
            sides = {side_named(layout.vendor, w) for w in _SIDE_WORD.findall(printed.replace(".", " "))}
            sides = {s for s in sides if s in ("left", "right")}
            found.append(_Title(scan, sides.pop() if len(sides) == 1 else None))
            break
    if not found:
        return None
    scans = {t.scan for t in found}
    sides = {t.side for t in found}
    return _Title(found[0].scan if len(scans) == 1 else None, sides.pop() if len(sides) == 1 else None)


def _table(table: Table, layout: Layout, title: _Title, draft: Draft) -> None:
    reader = _Rows(layout, table, title)
    for row in table.rows:
        if (m := reader.measurement(row, draft)) is not None:
            draft.measure(m)
    if draft.tbs is None and (tbs := [r for r in table.rows if r.values.get("tbs") is not None]):
        draft.tbs = tbs[-1].values["tbs"]
        draft.tbs_evidence = [draft.evidence("tbs", [tbs[-1].cells["tbs"]])]


_TREND = {"age": "age_years", "bmd": "bmd", "change_vs_previous_percent": "change_vs_previous_percent",
          "change_vs_baseline_percent": "change_vs_baseline_percent",
          "change_vs_previous_g_cm2": "change_vs_previous_g_cm2",
          "change_vs_baseline_g_cm2": "change_vs_baseline_g_cm2"}
"""A trend table's column field → the TrendPoint field it fills."""


def _is_trend(table: Table) -> bool:
    """A table of exams over time: it has an age column or a change column (no results table has)."""
    return any(f in table.fields for f in _TREND if f != "bmd")


def _trend(table: Table, layout: Layout, title: _Title, caption: str | None, draft: Draft) -> None:
    """The rows of a trend table into `history`, one point per row that names its date. The region is
    the caption's ("L1-L4", "DualFemur Neck Mean" → the neck, mean of both sides); a caption naming
    none, or no caption, gives `other` with the caption as its label."""
    site, side, label, vertebrae = _trend_region(caption or "", layout, title)
    for row in table.rows:
        if (on := date(row.label, draft.date_order)) is None:
            continue          # no date: not a row of an exam (a caption, a footnote)
        values = {_TREND[f]: v for f, v in row.values.items() if f in _TREND}
        draft.trend(TrendPoint(site=site, side=side, label=label, vertebrae=vertebrae, measured=on, **values))


def _trend_region(caption: str, layout: Layout,
                  title: _Title) -> tuple[Site, Side | None, str, list[Vertebra]]:
    """Site, side, label and vertebrae a trend caption names: the longest tail of its words that is a
    region label (the scan's name before it, "DualFemur", only gives the context)."""
    scan = layout.scan(caption) or title.scan
    words = caption.split()
    for k in range(len(words)):
        label = " ".join(words[k:])
        if (match := resolve_label(layout.vendor, label, scan, title.side)) is not None:
            return match.site, match.side, label, list(match.vertebrae)
    return Site.OTHER, title.side, caption, []


class _Rows:
    """How one table's row labels become sites: the scan it was printed under, and its groups."""

    def __init__(self, layout: Layout, table: Table, title: _Title):
        self.layout, self.table, self.side = layout, table, title.side
        self.scan = title.scan or self._scan_of_rows()

    def _scan_of_rows(self) -> Scan | None:
        """The one scan the rows' labels name without context ("Neck": a hip table), if any."""
        scans = set()
        for row in self.table.rows:
            for label in self._candidates(row):
                match = resolve_label(self.layout.vendor, label, None)
                if match is not None and (scan := SCAN_OF_SITE.get(match.site)):
                    scans.add(scan)
                    break
        return scans.pop() if len(scans) == 1 else None

    def _candidates(self, row: Row) -> list[str]:
        """Label texts to try, most specific first: the column header and the group above, joined to
        the row's own label ("Radius + Ulna" "1/3"; "Neck" "Left"; "Fem" "Neck"), then the label alone."""
        label = self._unmarked(row.label)[1]
        out = [f"{row.group} {label}"] if row.group else []
        out.append(label)
        if self.table.head:
            out = [f"{self.table.head} {c}" for c in out] + out
        return out

    def _unmarked(self, label: str) -> tuple[bool, str]:
        clean = label
        for mark in self.layout.excluded_marks:
            clean = regex.sub(regex.escape(mark), " ", clean, flags=regex.IGNORECASE)
        return clean != label, " ".join(clean.split())

    def measurement(self, row: Row, draft: Draft) -> Measurement | None:
        excluded, _ = self._unmarked(row.label)
        candidates = self._candidates(row)
        if self.layout.columns.is_difference(row):
            return None
        values = {k: v for k, v in row.values.items() if k in _VALUES}
        doubt = self._doubt(row)
        evidence = [draft.evidence("label", row.label_words)] if row.label_words else []
        evidence += [draft.evidence(k, [w]) for k, w in row.cells.items() if k in _VALUES]
        for label in candidates:
            if not_a_result(self.layout.vendor, label, self.scan):
                return None
            match = resolve_label(self.layout.vendor, label, self.scan, self.side)
            if match is not None:
                if row.group and label.startswith(row.group) and side_named(self.layout.vendor, row.group):
                    label = label[len(row.group):].strip()     # "Left" over "Neck": the label is "Neck"
                return Measurement(site=match.site, side=match.side, label=label,
                                   vertebrae=list(match.vertebrae), excluded=excluded, doubt=doubt,
                                   evidence=evidence, **values)
        label = candidates[-1]
        if row.group and side_named(self.layout.vendor, label):
            label = f"{row.group} {label}"       # "Left" under a region not known: say which region
        draft.unknown(f"region {label!r}")
        return Measurement(site=Site.OTHER, side=self.side, label=label, excluded=excluded, doubt=doubt,
                           evidence=evidence, **values)

    def _doubt(self, row: Row) -> str | None:
        notes = [f"unreadable {u.column.replace('_', ' ')} {u.word.text!r}" for u in row.unreadable]
        notes += self.table.problems
        return "; ".join(notes) or None


_VALUES = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")
