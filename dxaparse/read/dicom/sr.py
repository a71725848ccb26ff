"""DXA results in a DICOM Structured Report (Enhanced or Comprehensive SR), found by meaning.

No DXA template exists in PS3.16 and vendors do not publish theirs, so the content tree is walked
generically: a value is recognised by its concept (code or name, `sr_terms`), checked against its
units, and placed at the site named by its finding-site modifier, by its own name (`L1-L4 BMD`), by the
container it sits in (`L1-L4`, `Neck` under `Left Femur`) or by the concept code (LOINC hip left BMD).
Nothing is guessed: a value whose units are missing (unless its coded concept says what it is) or do
not fit, or that is not a number, makes the whole report unreadable (`SrProblem`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from ... import vendors
from ...models import Fracture, Frax, Measurement, Scan, Side, Site, Tbs, Vfa
from .scan_names import scan_of_name
from .sr_terms import QUANTITIES, CodeEntry, sr_terms

SR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
}

SITE_SCANS = {
    Site.LUMBAR_SPINE: Scan.SPINE, Site.TOTAL_BODY: Scan.TOTAL_BODY, Site.CALCANEUS: Scan.CALCANEUS,
    **dict.fromkeys([Site.FEMORAL_NECK, Site.TOTAL_HIP, Site.TROCHANTER, Site.INTERTROCHANTER, Site.WARDS,
                     Site.FEMORAL_SHAFT], Scan.HIP),
    **dict.fromkeys([Site.RADIUS_33, Site.RADIUS_MID, Site.RADIUS_UD, Site.RADIUS_TOTAL, Site.ULNA_33,
                     Site.ULNA_UD, Site.FOREARM_TOTAL], Scan.FOREARM),
}
"""The scan a measured site shows was done (an SR names no scans, only sites)."""

_VERTEBRA = re.compile(r"(?:vertebra\s+)?([tl])(\d{1,2})(?:\s+vertebra)?")
_MAX_VERTEBRA = {"t": 12, "l": 5}


class SrProblem(ValueError):
    """A report that cannot be read without guessing; the message is the user-facing reason."""


@dataclass
class SrContent:
    measurements: list[Measurement] = field(default_factory=list)
    vfa: Vfa = field(default_factory=Vfa)
    tbs: Tbs | None = None
    frax: Frax | None = None
    indications: list[str] = field(default_factory=list)
    impression: str | None = None
    reference: str | None = None
    menopausal_status: str | None = None
    unrecognized: list[str] = field(default_factory=list)

    @property
    def has_results(self) -> bool:
        return bool(self.measurements or self.vfa.performed or self.tbs or self.frax)

    @property
    def scans(self) -> set[Scan]:
        out = {SITE_SCANS[m.site] for m in self.measurements if m.site in SITE_SCANS}
        return out | {Scan.VFA} if self.vfa.performed else out


@dataclass(frozen=True)
class _Concept:
    scheme: str
    code: str
    meaning: str


@dataclass(frozen=True)
class _Frame:
    """What an item inherits from the containers around it."""

    container: str | None = None  # name of the nearest container below the document root
    site: str | None = None       # finding site named by a container's modifier
    side: Side | None = None
    scan: Scan | None = None
    excluded: bool = False
    acute: bool | None = None
    vertebra: str | None = None
    role: str | None = None       # impression / indications container: its text items are that


def _concept(item: Dataset) -> _Concept | None:
    seq = item.get("ConceptNameCodeSequence")
    if not seq:
        return None
    c = seq[0]
    code = c.get("CodeValue") or c.get("LongCodeValue") or c.get("URNCodeValue") or ""
    return _Concept(str(c.get("CodingSchemeDesignator", "")).strip().upper(), str(code).strip(),
                    str(c.get("CodeMeaning", "")).strip())


def _value_text(item: Dataset) -> str | None:
    """The answer of a TEXT or CODE item (the code meaning for CODE)."""
    if item.get("ValueType") == "CODE" and item.get("ConceptCodeSequence"):
        return str(item.ConceptCodeSequence[0].get("CodeMeaning", "")).strip() or None
    return str(item.get("TextValue", "")).strip() or None


def _vertebra(text: str | None) -> str | None:
    m = _VERTEBRA.fullmatch(vendors.normalize_label(text or ""))
    if m and 1 <= int(m[2]) <= _MAX_VERTEBRA[m[1]]:
        return f"{m[1].upper()}{int(m[2])}"
    return None


class _Reader:
    def __init__(self, vendor: str):
        self.vendor, self.terms = vendor, sr_terms(vendor)
        self.out = SrContent()
        self._impressions: list[str] = []
        self._rows: dict[tuple, Measurement] = {}
        # Each item is looked at up to four times (the walk, `_modifiers`, `_answer_of` twice) and
        # every pydicom element access costs microseconds: concepts and terms are worked out once.
        self._concepts: dict[int, _Concept | None] = {}
        self._terms: dict[tuple, tuple[str | None, str | None, CodeEntry | None]] = {}

    # -- concepts -------------------------------------------------------------------------------
    def _concept(self, item: Dataset) -> _Concept | None:
        key = id(item)  # items live as long as the dataset being read: no id is reused meanwhile
        if key not in self._concepts:
            self._concepts[key] = _concept(item)
        return self._concepts[key]

    def _code(self, c: _Concept | None) -> CodeEntry | None:
        return self.terms.codes.get((c.scheme, c.code)) if c else None

    def _name(self, c: _Concept | None, scan: Scan | None) -> tuple[str | None, str | None]:
        """The term a concept name means, and a site label prefixed to a quantity (`L1-L4 BMD`)."""
        if c is None:
            return None, None
        if (term := self.terms.term_of_name(c.meaning)) is not None:
            return term, None
        words = c.meaning.split()
        for n in range(len(words) - 1, 0, -1):
            term = self.terms.term_of_name(" ".join(words[n:]))
            prefix = " ".join(words[:n])
            if term in QUANTITIES and vendors.resolve_label(self.vendor, prefix, scan) is not None:
                return term, prefix
        return None, None

    def _term(self, c: _Concept | None, scan: Scan | None = None
              ) -> tuple[str | None, str | None, CodeEntry | None]:
        """(term, site label prefixed to the name, code entry); code and name must not disagree."""
        if (c, scan) not in self._terms:
            self._terms[c, scan] = self._find_term(c, scan)
        return self._terms[c, scan]

    def _find_term(self, c: _Concept | None, scan: Scan | None
                   ) -> tuple[str | None, str | None, CodeEntry | None]:
        entry, (named, prefix) = self._code(c), self._name(c, scan)
        if entry and named and entry.term != named:
            raise SrProblem(f'SR concept code and name disagree: "{c.meaning}" ({c.scheme} {c.code})')
        return (entry.term if entry else named), prefix, entry

    def _modifiers(self, items) -> tuple[str | None, Side | None]:
        """Finding site and laterality stated by items among `items` (whatever their relationship)."""
        site = side = None
        for it in items:
            term = self._term(self._concept(it))[0]
            if term == "finding_site":
                site = site or _value_text(it)
            elif term == "laterality":
                side = side or vendors.side_named(self.vendor, _value_text(it) or "")
        return site, side

    def _answer_of(self, items, role: str) -> str | None:
        return next((self.terms.answer(_value_text(it)) for it in items
                     if self._term(self._concept(it))[0] == role), None)

    # -- the walk -------------------------------------------------------------------------------
    def walk(self, items, frame: _Frame) -> None:
        for item in items:
            vt = item.get("ValueType")
            c = self._concept(item)
            if vt == "CONTAINER":
                self._container(item, c, frame)
                continue
            term, prefix, entry = self._term(c, frame.scan)
            if vt == "NUM":
                self._num(item, c, term, prefix, entry, frame)
            elif vt in ("TEXT", "CODE") and c is not None:
                self._statement(item, c, term or frame.role, frame)

    def _container(self, item: Dataset, c: _Concept | None, frame: _Frame) -> None:
        name = c.meaning if c else ""
        if vendors.normalize_label(name) in self.terms.ignore_containers:
            return
        children = item.get("ContentSequence", [])
        site, side = self._modifiers(children)
        scan = scan_of_name(self.vendor, name)
        if scan is Scan.VFA:
            self.out.vfa.performed = True
        acute = self._answer_of(children, "acute")
        role = self._term(c)[0]
        inner = _Frame(
            container=name or frame.container, site=site or frame.site,
            side=side or vendors.split_side(self.vendor, name)[0] or frame.side, scan=scan or frame.scan,
            excluded=frame.excluded or self._answer_of(children, "excluded") == "yes",
            acute={"yes": True, "no": False}.get(acute or "", frame.acute),
            vertebra=_vertebra(site) or _vertebra(name) or frame.vertebra,
            role=role if role in ("impression", "indications") else frame.role)
        self.walk(children, inner)

    def _statement(self, item: Dataset, c: _Concept, term: str | None, frame: _Frame) -> None:
        text = _value_text(item)
        if text is None:
            return
        if term == "vfa_grade":
            children = item.get("ContentSequence", [])
            own_site = self._modifiers(children)[0]
            grade = self.terms.genant.get(vendors.normalize_label(text))
            self._fracture(grade, f'"{c.meaning}"', own_site, children, frame)
        elif term == "impression":
            self._impressions.append(text)
        elif term == "indications":
            self.out.indications.append(text)
        elif term == "reference":
            self.out.reference = self.out.reference or text
        elif term == "menopausal_status" and (a := self.terms.answer(text)) in ("pre", "peri", "post"):
            self.out.menopausal_status = self.out.menopausal_status or a

    def _num(self, item: Dataset, c: _Concept | None, term: str | None, prefix: str | None,
             entry: CodeEntry | None, frame: _Frame) -> None:
        values = item.get("MeasuredValueSequence")
        if not values or c is None:
            return  # no value (DICOM's way of leaving a cell blank)
        children = item.get("ContentSequence", [])
        own_site, own_side = self._modifiers(children)
        where = own_site or prefix or frame.site or frame.container
        at = f' in "{where}"' if where else ""
        mv = values[0]
        units = (mv.get("MeasurementUnitsCodeSequence") or [Dataset()])[0]
        unit_raw = str(units.get("CodeValue") or units.get("CodeMeaning") or "").strip()
        unit = vendors.normalize_label(unit_raw) or None
        kind = term or self.terms.naming_units.get(unit or "")
        if kind not in QUANTITIES:
            return  # a value of something other than DXA results (body composition, dose, ...)
        if unit is None and entry is None:
            raise SrProblem(f'SR value without units: "{c.meaning}"{at}')
        if unit is not None and kind not in self.terms.units.get(unit, ()):
            raise SrProblem(f'SR units do not fit the value: "{c.meaning}"{at} has units "{unit_raw}"')
        try:
            value = float(mv.get("NumericValue"))
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            raise SrProblem(f'SR value is not a number: "{c.meaning}"{at}')
        if kind == "tbs":
            self.out.tbs = self.out.tbs or Tbs(value=value)
        elif kind in ("frax_major", "frax_hip"):
            frax = self.out.frax = self.out.frax or Frax()
            if getattr(frax, kind[5:]) is None:
                setattr(frax, kind[5:], value)
        elif kind == "vfa_grade":
            self._fracture(value, f'"{c.meaning}"{at}', own_site, children, frame)
        else:
            side = own_side or frame.side or (entry.side if entry else None)
            labels = [own_site, prefix, frame.site, frame.container, entry.site if entry else None]
            excluded = frame.excluded or self._answer_of(children, "excluded") == "yes"
            self._measure(kind, value, [x for x in labels if x], side, excluded, c.meaning, frame.scan)

    def _fracture(self, grade: float | None, what: str, own_site: str | None, children,
                  frame: _Frame) -> None:
        if grade not in (0, 1, 2, 3):  # also None: a word that is not in sr.genant
            raise SrProblem(f"SR value is not a Genant grade (0-3): {what}")
        vertebra = _vertebra(own_site) or frame.vertebra
        if vertebra is None:
            raise SrProblem(f"SR fracture grade without a vertebra: {what}")
        self.out.vfa.performed = True
        if grade > 0:
            acute = {"yes": True, "no": False}.get(self._answer_of(children, "acute") or "", frame.acute)
            self.out.vfa.fractures.append(Fracture(vertebra=vertebra, grade=int(grade), acute=acute))

    def _measure(self, kind: str, value: float, labels: list[str], side: Side | None, excluded: bool,
                 concept: str, scan: Scan | None) -> None:
        for label in labels:
            if (match := vendors.resolve_label(self.vendor, label, scan, side)) is not None:
                site, side, vertebrae = match.site, match.side, list(match.vertebrae)
                break
        else:
            if not labels:
                raise SrProblem(f'SR value without a site: "{concept}"')
            label, site, vertebrae = labels[0], Site.OTHER, []
            if label not in self.out.unrecognized:
                self.out.unrecognized.append(label)
        key = (site, side, vendors.normalize_label(label), tuple(vertebrae))
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = Measurement(site=site, side=side, label=label, vertebrae=vertebrae)
            self.out.measurements.append(row)
        old = getattr(row, kind)
        if old is None:
            setattr(row, kind, value)
        elif old != value:
            doubt = f"the SR gives two {kind} values for {label}: {old} and {value}"
            row.doubt = f"{row.doubt}; {doubt}" if row.doubt else doubt
        row.excluded = row.excluded or excluded

    def finish(self) -> SrContent:
        self.out.impression = "\n".join(self._impressions) or None
        return self.out


def read_sr(ds: Dataset, vendor: str) -> SrContent:
    """The DXA content of an SR dataset; raises `SrProblem` when a value cannot be read surely."""
    reader = _Reader(vendor)
    reader.walk(ds.get("ContentSequence", []), _Frame())
    return reader.finish()
