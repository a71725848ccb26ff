"""DXA results in a DICOM Structured Report (Enhanced or Comprehensive SR), found by meaning.

No DXA template exists in PS3.16 and vendors do not publish theirs, so the content tree is walked
generically: a value is recognised by its concept (code or name, `sr_terms`), or by the container it
sits in (`TBS` > `L1-L4`), checked (`sr_values`), and placed at the site said by the nearest of: its
own finding site (a code, `sr.sites`, or a text), its own name (`L1-L4 BMD`, `BMD L1-L4`), the
containers around it — their finding sites and their names, walking up past containers that say
nothing about a site (`Results`, `Region`) — and last the concept code (LOINC hip left BMD). The side
comes the same way, from a laterality modifier (code or word) or a side word in a name.

Nothing is guessed, and nothing certain is thrown away: a value that cannot be read surely is refused
with its reason (`SrContent.doubts`, flagged for review) and the rest of the report is still read; what
is odd but readable (unknown units, an unknown value inside a DXA container, an unknown region) is kept
and listed in `unrecognized`, which is flagged too. A report is unreadable only when nothing is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from ... import vendors
from ...models import Doubt, DoubtReason, Evidence, Fracture, Frax, Measurement, Scan, Side, Site, Tbs, Vfa
from .header import as_text
from .scan_names import scan_of_name
from .sr_terms import QUANTITIES, CodeEntry, sr_terms
from .sr_values import FIELD_OF_KIND, check

SR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
}

VALUE_TYPES = {"TEXT", "NUM", "CODE", "DATETIME", "DATE", "TIME", "UIDREF", "PNAME", "COMPOSITE", "IMAGE",
               "WAVEFORM", "SCOORD", "SCOORD3D", "TCOORD", "CONTAINER", "TABLE"}
"""Every SR content item's value type (PS3.3 C.17.3.2.1): an item with another, or none, is damaged
(`CONTAINER` with a flipped letter), and whatever it held is lost, so it is never skipped silently."""

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
_BRACKETS = str.maketrans("()[]", "    ")

MAX_DEPTH = 64
"""Containers nested deeper than this are not read (a DXA report nests 3 to 5): the walk recurses, and a
tree nested as deep as Python's recursion limit would end the whole input in a RecursionError."""


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
    unrecognized: list[str] = field(default_factory=list)  # read, but odd: a person should look
    doubts: list[Doubt] = field(default_factory=list)      # refused or unsure, with the reason

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
class _Term:
    term: str | None = None
    prefix: str | None = None       # a site label the name carries (`L1-L4 BMD`)
    entry: CodeEntry | None = None
    conflict: bool = False          # code and name mean different things: neither is trusted


@dataclass(frozen=True)
class _Frame:
    """What an item inherits from the containers around it."""

    labels: tuple[str, ...] = ()  # finding sites and region names of the containers, nearest first
    where: str | None = None      # the nearest container's name, for messages
    side: Side | None = None
    scan: Scan | None = None
    quantity: str | None = None   # a container naming a quantity (`TBS`): what unnamed values inside are
    known: bool = False           # inside a container of DXA results: an unknown value there is reported
    excluded: bool = False
    acute: bool | None = None
    vertebra: str | None = None
    role: str | None = None       # impression / indications container: its text items are that
    depth: int = 0                # containers around the item
    path: tuple[int, ...] = (1,)  # the container's position: the document root is 1, its n-th child 1.n


def _concept(item: Dataset) -> _Concept | None:
    seq = item.get("ConceptNameCodeSequence")
    if not seq:
        return None
    return _coded(seq[0])


def _coded(c: Dataset) -> _Concept:
    code = as_text(c.get("CodeValue") or c.get("LongCodeValue") or c.get("URNCodeValue")) or ""
    return _Concept((as_text(c.get("CodingSchemeDesignator")) or "").upper(), code,
                    as_text(c.get("CodeMeaning")) or "")


def _value_text(item: Dataset) -> str | None:
    """The answer of a TEXT or CODE item (the code meaning for CODE)."""
    if item.get("ValueType") == "CODE" and item.get("ConceptCodeSequence"):
        return as_text(item.ConceptCodeSequence[0].get("CodeMeaning"))
    return as_text(item.get("TextValue"))


def _value_code(item: Dataset) -> _Concept | None:
    if item.get("ValueType") == "CODE" and item.get("ConceptCodeSequence"):
        return _coded(item.ConceptCodeSequence[0])
    return None


def _vertebra(text: str | None) -> str | None:
    m = _VERTEBRA.fullmatch(vendors.normalize_label(text or ""))
    if m and 1 <= int(m[2]) <= _MAX_VERTEBRA[m[1]]:
        return f"{m[1].upper()}{int(m[2])}"
    return None


def _joined(sites: list[str]) -> str | None:
    """Several finding sites of one value: lumbar vertebrae become one range label (`L1`, `L2`, `L3`,
    `L4` → `L1-L4`; `L1`, `L3` → `L1,L3`); otherwise the first site stands."""
    if not sites:
        return None
    vertebrae = [_vertebra(s) for s in sites]
    if len(sites) < 2 or not all(v and v[0] == "L" for v in vertebrae):
        return sites[0]
    numbers = sorted({int(v[1:]) for v in vertebrae})
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"L{numbers[0]}-L{numbers[-1]}"
    return ",".join(f"L{n}" for n in numbers)


class _Reader:
    def __init__(self, vendor: str):
        self.vendor, self.terms = vendor, sr_terms(vendor)
        self.out = SrContent()
        self._impressions: list[str] = []
        self._rows: dict[tuple, Measurement] = {}
        # Each item is looked at up to four times (the walk, `_modifiers`, `_answer_of` twice) and
        # every pydicom element access costs microseconds: concepts and terms are worked out once.
        self._concepts: dict[int, _Concept | None] = {}
        self._terms: dict[tuple, _Term] = {}
        self._too_deep = False

    # -- concepts -------------------------------------------------------------------------------
    def _concept(self, item: Dataset) -> _Concept | None:
        key = id(item)  # items live as long as the dataset being read: no id is reused meanwhile
        if key not in self._concepts:
            self._concepts[key] = _concept(item)
        return self._concepts[key]

    def _name(self, c: _Concept | None, scan: Scan | None) -> tuple[str | None, str | None]:
        """The term a concept name means, and a site label it carries before or after the quantity
        (`L1-L4 BMD`, `Right Neck T-score`, `TBS (L1-L4)`)."""
        if c is None:
            return None, None
        if (term := self.terms.term_of_name(c.meaning)) is not None:
            return term, None
        words = c.meaning.split()
        splits = [(words[n:], words[:n]) for n in range(len(words) - 1, 0, -1)]
        splits += [(words[:n], words[n:]) for n in range(1, len(words))]
        for term_words, label_words in splits:
            term = self.terms.term_of_name(" ".join(term_words))
            label = " ".join(" ".join(label_words).translate(_BRACKETS).split())
            if term in QUANTITIES and vendors.resolve_label(self.vendor, label, scan) is not None:
                return term, label
        return None, None

    def _term(self, c: _Concept | None, scan: Scan | None = None) -> _Term:
        """What a concept means, by code and by name; code and name must not disagree."""
        if (c, scan) not in self._terms:
            entry = self.terms.codes.get((c.scheme, c.code)) if c else None
            named, prefix = self._name(c, scan)
            if entry and named and entry.term != named:
                self._terms[c, scan] = _Term(conflict=True)
            else:
                self._terms[c, scan] = _Term(entry.term if entry else named, prefix, entry)
        return self._terms[c, scan]

    def _site_of(self, item: Dataset) -> str | None:
        """The label a finding site item names: its code (`sr.sites`), else its words."""
        code = _value_code(item)
        return (self.terms.sites.get((code.scheme, code.code)) if code else None) or _value_text(item)

    def _side_of(self, item: Dataset) -> Side | None:
        code = _value_code(item)
        return ((self.terms.sides.get((code.scheme, code.code)) if code else None)
                or vendors.side_named(self.vendor, _value_text(item) or ""))

    def _modifiers(self, items) -> tuple[str | None, Side | None]:
        """Finding site(s) and laterality stated by items among `items` (whatever their relationship)."""
        sites, side = [], None
        for it in items:
            term = self._term(self._concept(it)).term
            if term == "finding_site" and (site := self._site_of(it)):
                sites.append(site)
            elif term == "laterality":
                side = side or self._side_of(it)
        return _joined(sites), side

    def _answer_of(self, items, role: str) -> str | None:
        return next((self.terms.answer(_value_text(it)) for it in items
                     if self._term(self._concept(it)).term == role), None)

    # -- the walk -------------------------------------------------------------------------------
    def walk(self, items, frame: _Frame) -> None:
        for n, item in enumerate(items, 1):
            vt = item.get("ValueType")
            c = self._concept(item)
            if vt not in VALUE_TYPES:
                where = f' "{c.meaning}"' if c and c.meaning else ""
                self._doubt("source", DoubtReason.DAMAGED,
                            f"damaged SR: content item{where} has the value type {vt!r}, which DICOM does "
                            "not define; what it holds is not read")
            elif vt == "CONTAINER":
                self._container(item, c, frame, (*frame.path, n))
            elif vt == "NUM" and c is not None:
                self._num(item, c, frame, (*frame.path, n))
            elif vt in ("TEXT", "CODE") and c is not None:
                term = self._term(c, frame.scan).term
                self._statement(item, c, term or frame.role, frame)

    def _container(self, item: Dataset, c: _Concept | None, frame: _Frame, path: tuple[int, ...]) -> None:
        name = c.meaning if c else ""
        norm = vendors.normalize_label(name)
        if norm in self.terms.ignore_containers:
            return
        if frame.depth >= MAX_DEPTH:
            if not self._too_deep:   # one doubt for the report, however many branches go that deep
                self._too_deep = True
                self._doubt("measurements", DoubtReason.UNREADABLE,
                            f"SR content nested deeper than {MAX_DEPTH} levels: not read")
            return
        children = item.get("ContentSequence", [])
        site, side = self._modifiers(children)
        scan = scan_of_name(self.vendor, name)
        if scan is Scan.VFA:
            self.out.vfa.performed = True
        term = self._term(c).term
        region = bool(name) and norm not in self.terms.generic_containers and term is None
        labels = tuple(x for x in (site, name if region else None) if x) + frame.labels
        acute = self._answer_of(children, "acute")
        inner = _Frame(
            labels=labels, where=name or frame.where,
            side=side or vendors.split_side(self.vendor, name)[0] or frame.side, scan=scan or frame.scan,
            quantity=term if term in QUANTITIES else frame.quantity,
            known=frame.known or bool(scan or site or term in QUANTITIES)
            or (region and vendors.resolve_label(self.vendor, name, scan or frame.scan) is not None),
            excluded=frame.excluded or self._answer_of(children, "excluded") == "yes",
            acute={"yes": True, "no": False}.get(acute or "", frame.acute),
            vertebra=_vertebra(site) or _vertebra(name) or frame.vertebra,
            role=term if term in ("impression", "indications") else frame.role, depth=frame.depth + 1,
            path=path)
        self.walk(children, inner)

    def _statement(self, item: Dataset, c: _Concept, term: str | None, frame: _Frame) -> None:
        text = _value_text(item)
        if text is None:
            return
        if term == "vfa_grade":
            children = item.get("ContentSequence", [])
            own_site = self._modifiers(children)[0]
            where = f'"{c.meaning}"' + (f' in "{own_site or frame.where}"' if own_site or frame.where else "")
            grade = self.terms.genant.get(vendors.normalize_label(text))
            if grade is None:
                self._doubt("vfa.fractures", DoubtReason.UNREADABLE,
                            f"SR value is not a Genant grade (0-3): {where}")
            else:
                self._fracture(grade, where, own_site, children, frame)
        elif term == "impression":
            self._impressions.append(text)
        elif term == "indications":
            self.out.indications.append(text)
        elif term == "reference":
            self.out.reference = self.out.reference or text
        elif term == "menopausal_status" and (a := self.terms.answer(text)) in ("pre", "peri", "post"):
            self.out.menopausal_status = self.out.menopausal_status or a

    def _num(self, item: Dataset, c: _Concept, frame: _Frame, path: tuple[int, ...]) -> None:
        present = "MeasuredValueSequence" in item
        if present and not item.MeasuredValueSequence:
            return  # an empty value (DICOM's way of leaving a cell blank)
        t = self._term(c, frame.scan)
        children = item.get("ContentSequence", [])
        own_site, own_side = self._modifiers(children)
        named = c.meaning if t.term is None and frame.quantity else None  # `TBS` > `L1-L4`: a place
        where = own_site or t.prefix or named or (frame.labels[0] if frame.labels else frame.where)
        what = f'"{c.meaning}"' + (f' in "{where}"' if where else "")
        if t.conflict:
            self._doubt("measurements", DoubtReason.CONFLICTING,
                        f'SR concept code and name disagree: "{c.meaning}" ({c.scheme} {c.code})')
            return
        kind = t.term if t.term in QUANTITIES else frame.quantity
        if not present:
            # The element is Type 2 (PS3.3 C.18.1): present, if empty. A NUM without it was not left
            # blank but lost its value, as when a damaged byte renames (0040,A300) to another tag.
            if kind is not None:
                self._doubt(FIELD_OF_KIND.get(kind, "measurements"), DoubtReason.UNREADABLE,
                            f"SR value missing: {what} has no Measured Value Sequence (0040,A300)")
            return
        if kind is None:
            raw = vendors.normalize_label(self._units(item))
            kind = self.terms.naming_units.get(raw)
        if kind is None:
            if frame.known:  # a value of a DXA container that we cannot name: a person should look
                self._unrecognized(f"{what} (not a known DXA value)")
            return  # else a value of something other than DXA results (body composition, dose, ...)
        checked = check(item, kind, t.entry is not None, self.terms, what)
        if checked.note:
            self._unrecognized(checked.note)
        if checked.value is None:
            self.out.doubts.append(checked.problem)
            return
        value = checked.value
        evidence = Evidence(field=kind, sr_item=f"{'.'.join(map(str, path))} {c.meaning}".strip(),
                            text=as_text(item.MeasuredValueSequence[0].get("NumericValue")))
        if kind == "tbs":
            self.out.tbs = self.out.tbs or Tbs(value=value, evidence=[evidence])
        elif kind in ("frax_major", "frax_hip"):
            frax = self.out.frax = self.out.frax or Frax()
            if getattr(frax, kind[5:]) is None:
                setattr(frax, kind[5:], value)
                frax.evidence = [*frax.evidence, evidence]
        elif kind == "vfa_grade":
            self._fracture(int(value), what, own_site, children, frame)
        else:
            side = own_side or frame.side or (t.entry.side if t.entry else None)
            labels = [x for x in (own_site, t.prefix, named) if x] + list(frame.labels)
            excluded = frame.excluded or self._answer_of(children, "excluded") == "yes"
            self._measure(kind, value, labels, t.entry, side, excluded, what, frame.scan, evidence)

    @staticmethod
    def _units(item: Dataset) -> str:
        mv = item.MeasuredValueSequence[0]
        units = (mv.get("MeasurementUnitsCodeSequence") or [Dataset()])[0]
        return as_text(units.get("CodeValue") or units.get("CodeMeaning")) or ""

    def _doubt(self, path: str, reason: DoubtReason, detail: str) -> None:
        self.out.doubts.append(Doubt(field=path, reason=reason, detail=detail))

    def _unrecognized(self, text: str) -> None:
        if text not in self.out.unrecognized:
            self.out.unrecognized.append(text)

    def _fracture(self, grade: int, what: str, own_site: str | None, children, frame: _Frame) -> None:
        """A Genant grade: VFA was done; a fracture (grade 1-3) is kept even when no vertebra is named,
        as `vertebra: null` with a doubt, since the fracture itself decides the ICD-10-CM code."""
        self.out.vfa.performed = True
        vertebra = _vertebra(own_site) or frame.vertebra
        if grade > 0:
            acute = {"yes": True, "no": False}.get(self._answer_of(children, "acute") or "", frame.acute)
            self.out.vfa.fractures.append(Fracture(vertebra=vertebra, grade=grade, acute=acute))
            if vertebra is None:
                self._doubt("vfa.fractures", DoubtReason.SITE_MISSING,
                            f"SR fracture grade without a vertebra: {what}")

    def _measure(self, kind: str, value: float, labels: list[str], entry: CodeEntry | None,
                 side: Side | None, excluded: bool, what: str, scan: Scan | None, evidence: Evidence) -> None:
        """Put a value on its row, at the nearest of `labels`: the value's own site or name, else the
        nearest container's finding site or region name (containers that name no region are not among
        them). A nearest label that names nothing known gives a row of site `other` — the labels further
        up are not tried (`Head` inside `Total Body` is not the total body); the concept code's site
        comes last."""
        label = labels[0] if labels else None
        match = vendors.resolve_label(self.vendor, label, scan, side) if label else None
        if match is None and entry is not None and entry.site is not None:
            label, match = entry.site, vendors.resolve_label(self.vendor, entry.site, scan, side)
        if match is not None:
            site, side, vertebrae = match.site, match.side, list(match.vertebrae)
        elif labels:
            label, site, vertebrae = labels[0], Site.OTHER, []
            self._unrecognized(label)
        else:
            self._doubt("measurements", DoubtReason.SITE_MISSING, f"SR value without a site: {what}")
            return
        # one row per site, side and vertebrae however each value names it (`L1-L4`, `L1 - L4`, codes);
        # rows of unknown regions are told apart by their label
        key = (site, side, tuple(vertebrae), vendors.normalize_label(label) if site is Site.OTHER else "")
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = Measurement(site=site, side=side, label=label, vertebrae=vertebrae)
            self.out.measurements.append(row)
        old = getattr(row, kind)
        if old is None:
            setattr(row, kind, value)
            row.evidence = [*row.evidence, evidence]
        elif old != value:
            doubt = f"the SR gives two {kind} values for {label}: {old} and {value}"
            row.doubt = f"{row.doubt}; {doubt}" if row.doubt else doubt
        row.excluded = row.excluded or excluded

    def finish(self) -> SrContent:
        self.out.impression = "\n".join(self._impressions) or None
        return self.out


def read_sr(ds: Dataset, vendor: str) -> SrContent:
    """The DXA content of an SR dataset, with what could not be read surely in `doubts`."""
    reader = _Reader(vendor)
    reader.walk(ds.get("ContentSequence", []), _Frame())
    return reader.finish()
