"""Findings gathered while a report is read, page by page, and turned into `Findings` at the end.

Reports repeat their header on every page and may print one region twice (results and ancillary
tables): the first printed value wins, a second one fills gaps, and a different second value is kept
as the measurement's `doubt` rather than silently chosen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import regex

from ...models import (
    Box,
    Doubt,
    DoubtReason,
    Evidence,
    Exam,
    Findings,
    Fracture,
    Frax,
    Measurement,
    Patient,
    Printed,
    Scan,
    Site,
    Source,
    Tbs,
    TrendPoint,
    Vfa,
)
from .layouts import LinePatterns, plausible
from .values import DateOrder, date, first_number, sex
from .words import Line, Pages, Word

SCAN_OF_SITE = {
    Site.LUMBAR_SPINE: Scan.SPINE, Site.FEMORAL_NECK: Scan.HIP, Site.TOTAL_HIP: Scan.HIP,
    Site.TROCHANTER: Scan.HIP, Site.INTERTROCHANTER: Scan.HIP, Site.WARDS: Scan.HIP,
    Site.FEMORAL_SHAFT: Scan.HIP, Site.RADIUS_33: Scan.FOREARM, Site.RADIUS_MID: Scan.FOREARM,
    Site.RADIUS_UD: Scan.FOREARM, Site.RADIUS_TOTAL: Scan.FOREARM, Site.ULNA_33: Scan.FOREARM,
    Site.ULNA_UD: Scan.FOREARM, Site.FOREARM_TOTAL: Scan.FOREARM, Site.TOTAL_BODY: Scan.TOTAL_BODY,
    Site.CALCANEUS: Scan.CALCANEUS,
}
"""The acquisition a site's score comes from (the contract's site vocabulary; `other` implies none)."""

_DATE_RANK = {"exam_date": 0, "scan_date": 1, "report_date": 2}
_OLDEST = 130     # an older "age" is a misread, not a patient
_VALUES = ("bmd", "bmc", "area", "t_score", "z_score", "young_adult_percent", "age_matched_percent")


@dataclass
class Draft:
    patient: dict[str, Any] = field(default_factory=dict)
    exam: dict[str, Any] = field(default_factory=dict)
    birth_date: dt.date | None = None
    measurements: list[Measurement] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    unrecognized: list[str] = field(default_factory=list)
    vfa_performed: bool = False
    fractures: list[Fracture] = field(default_factory=list)
    tbs: float | None = None
    frax: dict[str, float] = field(default_factory=dict)
    indications: list[str] = field(default_factory=list)
    impression: str | None = None
    date_order: DateOrder = DateOrder.MONTH_FIRST
    exam_dates: list[tuple[int, dt.date]] = field(default_factory=list)
    history: list[TrendPoint] = field(default_factory=list)
    reference_sexes: set[str | None] = field(default_factory=set)
    pages: Pages = field(default_factory=dict)
    tbs_evidence: list[Evidence] = field(default_factory=list)
    frax_evidence: list[Evidence] = field(default_factory=list)

    def evidence(self, what: str, words: list[Word] | tuple[Word, ...]) -> Evidence:
        """Where a value filling `what` was printed: the words' joint box on their page (no box when the
        page's size is not known, as for lines made up by a test), and their text."""
        return Evidence(field=what, box=self._box(words), text=" ".join(w.text for w in words) or None)

    def _box(self, words: list[Word] | tuple[Word, ...]) -> Box | None:
        size = self.pages.get(words[0].page) if words else None
        if size is None or any(w.page != words[0].page for w in words):
            return None
        def at(v: float) -> float:   # a hundredth of a unit is finer than any viewer draws
            return round(size.scale * v, 2)
        return Box(page=words[0].page, x0=at(min(w.x0 for w in words)), top=at(min(w.top for w in words)),
                   x1=at(max(w.x1 for w in words)), bottom=at(max(w.bottom for w in words)),
                   page_width=round(size.width, 2), page_height=round(size.height, 2))

    def fill(self, what: str, value: str) -> None:
        """Keep a printed field's value by what the layout says it fills (patient_id, sex, age …).

        Dates of the exam are ranked, not taken first come: an acquisition date (`exam_date`, or a title's
        `scan_date`) over the date a report was printed (`report_date`)."""
        if what == "patient_id":
            first(self.patient, "id", value)
        elif what == "sex":
            first(self.patient, "sex", sex(value))
        elif what == "age" and (age := first_number(value)) is not None and age <= _OLDEST:
            first(self.patient, "age_years", age)
        elif what == "birth_date":
            self.birth_date = self.birth_date or date(value, self.date_order)
        elif what in _DATE_RANK and (on := date(value, self.date_order)) is not None:
            self.exam_dates.append((_DATE_RANK[what], on))
        elif what in ("device", "accession"):
            first(self.exam, what, value)

    def reference_sex(self, text: str, lines: LinePatterns) -> None:
        """Note the sex of a reference population printed on the line (boilerplate lines included)."""
        for pattern in lines.patterns.get("reference_sex", ()):
            for m in pattern.finditer(text):
                self.reference_sexes.add(sex(m["v"]))

    def line_values(self, text: str, lines: LinePatterns, line: Line | None = None) -> None:
        """Reference, device, its serial, TBS and FRAX printed on a line (or stated in a sentence); `line`:
        the printed line `text` is, whose words are the evidence of a TBS or FRAX value."""
        for key in ("reference", "device", "device_serial"):
            first(self.exam, key, lines.value(key, text))
        if self.tbs is None and (m := lines.match("tbs", text)):
            self.tbs = float(m["v"].strip())
            self.tbs_evidence = self._printed("tbs", m, line)
        for key, name in (("frax_major", "major"), ("frax_hip", "hip")):
            if (m := lines.match(key, text)) and name not in self.frax:
                self.frax[name] = float(m["v"].strip())
                self.frax_evidence += self._printed(key, m, line)

    def _printed(self, what: str, m: regex.Match, line: Line | None) -> list[Evidence]:
        """The evidence of a value matched (group v) on a printed line: the words its span covers."""
        if line is None:
            return []
        words, at = [], 0
        for w in line.words:            # line.text is the words joined by one space or tab
            if at < m.end("v") and m.start("v") < at + len(w.text):
                words.append(w)
            at += len(w.text) + 1
        return [self.evidence(what, words)] if words else []

    def trend(self, point: TrendPoint) -> None:
        """Keep a row of a printed trend table (once: reports repeat a page's trend on a summary page)."""
        if point not in self.history:
            self.history.append(point)

    def add_scan(self, scan: Scan) -> None:
        if scan not in self.scans:
            self.scans.append(scan)
        if scan is Scan.VFA:
            self.vfa_performed = True

    def unknown(self, text: str) -> None:
        if text not in self.unrecognized:
            self.unrecognized.append(text)

    def add_fractures(self, fractures: list[Fracture]) -> None:
        known = {f.vertebra for f in self.fractures}
        self.fractures += [f for f in fractures if f.vertebra not in known]

    def measure(self, m: Measurement) -> None:
        """Add a measurement, or complete the one already read for the same printed region."""
        same = next((o for o in self.measurements if _key(o) == _key(m)), None)
        if same is None:
            self.measurements.append(m)
            if scan := SCAN_OF_SITE.get(m.site):
                self.add_scan(scan)
            return
        notes = [m.doubt] if m.doubt else []
        for name in _VALUES:
            old, new = getattr(same, name), getattr(m, name)
            if old is None:
                setattr(same, name, new)
                if new is not None:
                    same.evidence = [*same.evidence, *(e for e in m.evidence if e.field == name)]
            elif new is not None and new != old:
                notes.append(f"{name} printed twice: {old:g} and {new:g}")
        if notes:
            same.doubt = "; ".join([same.doubt, *notes] if same.doubt else notes)

    def findings(self, source: Source) -> Findings:
        best = min(self.exam_dates, key=lambda d: d[0]) if self.exam_dates else None
        if best and "date" not in self.exam:
            # the best-ranked printed date (a "Scan Date:" field over a report's "Date created:")
            self.exam["date"] = best[1]
        if ("age_years" not in self.patient and self.birth_date and (on := self.exam.get("date"))
                and 0 <= (age := _completed_years(self.birth_date, on)) <= _OLDEST):
            self.patient["age_years"] = float(age)   # no printed age: from the birth and exam dates
        if "sex" not in self.patient and len(self.reference_sexes) == 1 and None not in self.reference_sexes:
            # no sex printed for the patient: the reference population's sex is a hint a coder confirms
            self.patient["sex"] = next(iter(self.reference_sexes))
            self.exam.setdefault("doubts", []).append(Doubt(
                field="patient.sex", reason=DoubtReason.INFERRED,
                detail=f"sex {self.patient['sex']} taken from the reference population printed with the "
                       "scores: no sex is printed for the patient"))
        if "age_years" not in self.patient and (aged := [p for p in self.history if p.age_years is not None]):
            # the age a trend table prints at its latest measurement
            self.patient["age_years"] = max(aged, key=lambda p: p.measured).age_years
        self.exam.setdefault("doubts", []).extend(self._implausible())
        out = Findings(
            source=source,
            patient=Patient(**self.patient, birth_date=self.birth_date),
            exam=Exam(**self.exam, scans=self.scans, unrecognized=self.unrecognized),
            measurements=self.measurements,
            vfa=Vfa(performed=self.vfa_performed, fractures=self.fractures),
            tbs=Tbs(value=self.tbs, evidence=self.tbs_evidence) if self.tbs is not None else None,
            frax=Frax(**self.frax, evidence=self.frax_evidence) if self.frax else None,
            indications=self.indications,
            impression=self.impression,
            history=self.history,
        )
        out.printed = Printed(birth_date=self.birth_date,
                              scan_date=best[1] if best and best[0] < _DATE_RANK["report_date"] else None)
        return out


    def _implausible(self) -> list[Doubt]:
        """TBS and FRAX no scanner prints, kept as printed (as a table's implausible values are) but
        doubted: a misread TBS must not bill 77089 unreviewed."""
        values = {"tbs": self.tbs, "frax_major": self.frax.get("major"), "frax_hip": self.frax.get("hip")}
        out = []
        for key, value in values.items():
            low, high = plausible()[key]
            if value is not None and not low <= value <= high:
                field, name = _LINE_VALUES[key]
                out.append(Doubt(field=field, reason=DoubtReason.IMPLAUSIBLE,
                                 detail=f"{name} printed as {value:g}, out of the plausible range "
                                        f"{low:g} to {high:g}"))
        return out


_LINE_VALUES = {"tbs": ("tbs", "TBS"), "frax_major": ("frax.major", "FRAX major osteoporotic fracture %"),
                "frax_hip": ("frax.hip", "FRAX hip fracture %")}
"""Line value → the result field it fills and its name in a doubt."""


def first(where: dict[str, Any], key: str, value: Any) -> None:
    """Keep the first value printed for a field (headers repeat on every page)."""
    if value is not None and value != "" and key not in where:
        where[key] = value


def _key(m: Measurement) -> tuple:
    return m.site, m.side, tuple(m.vertebrae), " ".join(m.label.lower().split())


def _completed_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
