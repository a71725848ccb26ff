"""Cross-checks of OCR-read results: every doubtful value gets a `doubt` naming what is wrong with it.

OCR misreads digits in ways that still look like numbers: a lost minus sign, `8` for `3`, a lost
decimal point. A reading is only as good as what confirms it, so each measurement read from a page
image is checked against the words it came from (confidence, a second digits-only reading, mended
glyphs) and against the report's own redundancy: the sign of a T-score must agree with its percent of
the young-adult mean, a spine range lies between its vertebrae, the mean hip between left and right, a
column printed on every row is not blank on one. What no check can confirm is doubted; the coder turns
a doubt on any site that can decide a code into `needs_review` (coding.md §6.8).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ...models import Doubt, DoubtReason, Findings, Measurement, Site
from ..layout.layouts import layout_for
from ..layout.words import Line, Word
from .tokens import LOST_MINUS, UNSURE_TEXT, value

FIELDS = {"bmd": "BMD", "bmc": "BMC", "area": "area", "t_score": "T-score", "z_score": "Z-score",
          "young_adult_percent": "young-adult %", "age_matched_percent": "age-matched %"}
CLAIM_FIELDS = {"patient_id": "patient.id", "birth_date": "patient.age_years", "age": "patient.age_years",
                "exam_date": "exam.date", "accession": "exam.accession"}
"""Header fields a claim carries → the result path they fill (a birth date gives the age)."""
SCORE_RANGE = (-6.0, 6.0)
BMD_RANGE = (0.2, 2.2)
PERCENT_RANGE = (30.0, 170.0)
PERCENT_PER_SD = (5.0, 18.0)
"""Percent of the reference mean per standard deviation: BMD's SD is 7–15% of its mean at every site,
so a score and its percent agree within this band (wider by rounding near zero)."""
_SLACK_BMD, _SLACK_SCORE = 0.011, 0.25
"""Rounding allowance when a printed range or mean is compared with its parts."""


def verify(findings: Findings, lines: list[Line], notes: dict[Word, str], ocr_pages: set[int],
           all_ocr: bool) -> Findings:
    """Mark the measurements read by OCR (`ocr=True`) and set the `doubt` of each doubtful one."""
    ocr_lines = [line for line in lines if line.page in ocr_pages]
    rows = _locate(findings.measurements, ocr_lines)
    read = [m for m in findings.measurements if all_ocr or rows.get(id(m))]
    for m in read:
        m.ocr = True
        for e in m.evidence:
            e.ocr = True
        for line in rows.get(id(m), []):
            for w in line.words:
                if w in notes and not notes[w].startswith(UNSURE_TEXT) \
                        and not (notes[w].startswith(LOST_MINUS) and _sign_confirmed(m, value(w.text))):
                    _doubt(m, f"{_field_of(m, w)} {notes[w]}")
        _row_checks(m)
    _blank_cells(read)
    _spine_ranges([m for m in read if m.site is Site.LUMBAR_SPINE])
    _hip_means([m for m in read if m.side == "mean"], read)
    _age(findings, read)
    _header(findings, ocr_lines, notes)
    for block in (findings.tbs, findings.frax):   # a value on a page read by OCR was read by OCR
        for e in block.evidence if block else []:
            e.ocr = e.box is not None and e.box.page in ocr_pages
    return findings


def _header(findings: Findings, lines: list[Line], notes: dict[Word, str]) -> None:
    """Header values a claim carries (patient ID, dates, age) read from words OCR is unsure of: doubted
    on the exam, since a wrong date of service or patient ID is as costly as a wrong score. (An age
    has no sign, so a minus seen in its second reading is no doubt.)"""
    layout = layout_for(findings.source.vendor)
    doubts = findings.exam.doubts
    for line in lines:
        for fill, text in layout.fields.read(line.text):
            for w in line.words:
                note = notes.get(w)
                if fill not in CLAIM_FIELDS or not note or w.text not in text or note.startswith(LOST_MINUS):
                    continue
                # a birth date is never written into a doubt: its reading is not quoted
                said = "unsure reading, not repeated here" if fill == "birth_date" else note
                doubt = Doubt(field=CLAIM_FIELDS[fill], reason=DoubtReason.OCR_UNCERTAIN,
                              detail=f"{fill.replace('_', ' ')} read by OCR: {said}")
                if doubt not in doubts:
                    doubts.append(doubt)


def _doubt(m: Measurement, note: str) -> None:
    m.doubt = f"{m.doubt}; {note}" if m.doubt else f"OCR: {note}"


def _values(m: Measurement) -> list[float]:
    return [v for f in FIELDS if (v := getattr(m, f)) is not None]


def _locate(measurements: list[Measurement], lines: list[Line]) -> dict[int, list[Line]]:
    """The line(s) each measurement was read from: the printed rows holding most of its values, in
    printed order (a region printed in two tables takes values from both)."""
    numbers = [Counter(v for w in line.words if (v := value(w.text)) is not None) for line in lines]
    out: dict[int, list[Line]] = {}
    start = 0
    for m in measurements:
        missing = Counter(_values(m))
        found: list[Line] = []
        while missing:
            order = [*range(start, len(lines)), *range(start)]
            best = max(order, key=lambda k: sum((numbers[k] & missing).values()), default=None)
            if best is None or not (numbers[best] & missing):
                break
            if not found:
                start = best + 1
            found.append(lines[best])
            missing -= numbers[best]
        if found:
            out[id(m)] = found
    return out


def _sign_confirmed(m: Measurement, v: float | None) -> bool:
    """A negative score whose percent of the reference mean is below 100 too."""
    return any(score == v and percent is not None and percent < 100 and _agree(score, percent)
               for score, percent in ((m.t_score, m.young_adult_percent), (m.z_score, m.age_matched_percent)))


def _field_of(m: Measurement, w: Word) -> str:
    v = value(w.text)
    name = next((FIELDS[f] for f in FIELDS if v is not None and getattr(m, f) == v), "a value")
    return f"{name} {w.text!r}" if name == "a value" else name


def _row_checks(m: Measurement) -> None:
    for score, percent, name in ((m.t_score, m.young_adult_percent, "T-score"),
                                 (m.z_score, m.age_matched_percent, "Z-score")):
        if score is not None and not SCORE_RANGE[0] <= score <= SCORE_RANGE[1]:
            _doubt(m, f"{name} {score:g} outside {SCORE_RANGE}")
        if percent is not None and not PERCENT_RANGE[0] <= percent <= PERCENT_RANGE[1]:
            _doubt(m, f"{name} percent {percent:g} outside {PERCENT_RANGE}")
        elif score is not None and percent is not None and not _agree(score, percent):
            _doubt(m, f"{name} {score:g} disagrees with its {percent:g}%")
    if m.bmd is not None and not BMD_RANGE[0] <= m.bmd <= BMD_RANGE[1]:
        _doubt(m, f"BMD {m.bmd:g} outside {BMD_RANGE}")
    if m.bmd and m.bmc is not None and m.area and abs(m.bmc / m.area - m.bmd) > 0.02 * m.bmd + 0.002:
        _doubt(m, f"BMD {m.bmd:g} is not BMC {m.bmc:g} / area {m.area:g}")


def _agree(score: float, percent: float) -> bool:
    """A score and its percent of the reference mean: same sign, plausible ratio (rounding allowed)."""
    off = percent - 100
    low, high = PERCENT_PER_SD
    return low * abs(score) - low * 0.05 - 0.5 <= abs(off) <= high * abs(score) + high * 0.05 + 0.5 and (
        score * off >= 0 or (abs(score) <= 0.1 and abs(off) <= 1.5))


def _blank_cells(read: list[Measurement]) -> None:
    """A column printed on most rows of a site's table and blank on one: a value lost by OCR."""
    by_site: dict[Site, list[Measurement]] = {}
    for m in read:
        by_site.setdefault(m.site, []).append(m)
    for rows in by_site.values():
        for f, name in FIELDS.items():
            filled = sum(getattr(m, f) is not None for m in rows)
            if 2 * filled > len(rows):
                for m in rows:
                    if getattr(m, f) is None:
                        _doubt(m, f"{name} blank where the other rows print one")


def _spine_ranges(spine: list[Measurement]) -> None:
    """A range's BMD and scores lie between its vertebrae's (it is their area-weighted mean), and a
    report that prints single vertebrae prints the range they make."""
    single = {m.vertebrae[0]: m for m in spine if len(m.vertebrae) == 1}
    for m in (m for m in spine if len(m.vertebrae) > 1):
        parts = [single[v] for v in m.vertebrae if v in single]
        if len(parts) < len(m.vertebrae):
            continue
        for f, slack in (("bmd", _SLACK_BMD), ("t_score", _SLACK_SCORE), ("z_score", _SLACK_SCORE)):
            v, vs = getattr(m, f), [getattr(p, f) for p in parts]
            if v is not None and None not in vs and not min(vs) - slack <= v <= max(vs) + slack:
                note = f"{FIELDS[f]} {v:g} outside its vertebrae's {min(vs):g}..{max(vs):g}"
                for x in (m, *parts):
                    _doubt(x, note)
    present = sorted(single)
    if present and not any(len(m.vertebrae) > 1 for m in spine):
        for m in single.values():
            _doubt(m, "single vertebrae read but no spine range")
    numbers = [int(v[1]) for v in present]
    if numbers and len(numbers) != numbers[-1] - numbers[0] + 1:
        for m in single.values():
            _doubt(m, f"vertebrae {', '.join(present)} read: one is missing")


def _hip_means(means: Iterable[Measurement], read: list[Measurement]) -> None:
    for mean in means:
        sides = [m for m in read if m.site is mean.site and m.side in ("left", "right")
                 and m.label.split()[0] == mean.label.split()[0]]
        if len(sides) != 2:
            continue
        for f, slack in (("bmd", _SLACK_BMD), ("t_score", _SLACK_SCORE), ("z_score", _SLACK_SCORE)):
            v, vs = getattr(mean, f), [getattr(s, f) for s in sides]
            if v is not None and None not in vs and not min(vs) - slack <= v <= max(vs) + slack:
                for x in (mean, *sides):
                    _doubt(x, f"mean {FIELDS[f]} {v:g} not between left and right {vs[0]:g}, {vs[1]:g}")


def _age(findings: Findings, read: list[Measurement]) -> None:
    """Age decides between T- and Z-scores: after 50 a Z-score below the T-score by more than rounding
    means one of them, or the age, was misread."""
    age = findings.patient.age_years
    if age is None or age < 50:
        return
    for m in read:
        if m.t_score is not None and m.z_score is not None and m.z_score < m.t_score - 0.3:
            _doubt(m, f"Z-score {m.z_score:g} below T-score {m.t_score:g} at age {age:g}")
