"""SR shapes: one findings object written as Structured Reports the ways scanners and software versions
write them, to check that reading any of them gives the findings back.

Every choice goes through a `Draw`, so the same generator drives hypothesis (shrinking failures to the
smallest SR) and a seeded `random.Random` (a folder of SRs for the watcher test). What varies: where a
region is said (container names, a Finding Site on the value or on a generic container, by code or by
words, with or without a Laterality, a text label, a side in a container several levels up, the name
of the value itself), how deep the generic containers nest, which scheme codes each concept (DCM, SRT,
SCT, LN, the vendors' 99-private schemes, names only), the unit spellings, the order of the values, and
whether TBS, FRAX and VFA are there and how they are written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from pydicom.dataset import Dataset

from dxaparse.models import Site
from dxaparse.read.dicom.sr_terms import sr_terms

from ._dicom import gen

VENDORS = ["unknown", "hologic", "ge-lunar"]
SCORE_UNITS = ["{SD}", "1", "{T-score}", "{Z-score}", "{score}", "SD", "{s.d.}"]
UNITS = {"bmd": ["g/cm2", "mg/cm2"], "bmc": ["g"], "area": ["cm2"], "t_score": SCORE_UNITS,
         "z_score": SCORE_UNITS, "young_adult_percent": ["%"], "age_matched_percent": ["%"]}
VALUES = {"bmd": (0.3, 1.5, 3), "bmc": (5.0, 3000.0, 1), "area": (2.0, 2500.0, 1), "t_score": (-5.0, 3.0, 1),
          "z_score": (-5.0, 3.0, 1), "young_adult_percent": (40, 140, 0), "age_matched_percent": (40, 140, 0)}
GENERIC = ["Results", "Measurements", "Measurement Group", "Imaging Measurements", "Findings", "Analysis"]
# LOINC codes (vendors/generic.toml [sr.codes.LN]) by site, side and quantity
LOINC = {(Site.LUMBAR_SPINE, None): {"bmd": "24966-4", "t_score": "38267-1", "z_score": "85394-5"},
         (Site.TOTAL_HIP, "left"): {"bmd": "46278-8", "t_score": "80946-7", "z_score": "80938-4"},
         (Site.TOTAL_HIP, "right"): {"bmd": "46279-6", "t_score": "80945-9", "z_score": "80937-6"},
         (Site.FEMORAL_NECK, "left"): {"bmd": "24701-5", "t_score": "38263-0", "z_score": "80934-3"},
         (Site.FEMORAL_NECK, "right"): {"bmd": "24701-5", "t_score": "38263-0", "z_score": "80934-3"}}
FINDING_SITE = [gen.code("363698007", "SCT", "Finding Site"), gen.code("G-C0E3", "SRT", "Finding Site")]
LATERALITY = [gen.code("272741003", "SCT", "Laterality"), gen.code("G-C171", "SRT", "Laterality")]
SIDE_CODES = {"left": [gen.code("7771000", "SCT", "Left"), gen.code("G-A101", "SRT", "Left")],
              "right": [gen.code("24028007", "SCT", "Right"), gen.code("G-A100", "SRT", "Right")],
              "mean": [gen.code("51440002", "SCT", "Right and left"),
                       gen.code("G-A102", "SRT", "Right and left")]}
SIDE_WORDS = {"left": ["Left", "L", "Lt"], "right": ["Right", "R", "Rt"], "mean": ["Mean", "Bilateral"]}
VERTEBRA_CODES = {  # PS3.16 CID 7603: SCT, SRT
    "L1": ("66794005", "T-11910"), "L2": ("14293000", "T-11920"), "L3": ("36470004", "T-11930"),
    "L4": ("11994002", "T-11940"), "T7": ("62487009", "T-11770"), "T8": ("11068009", "T-11780"),
    "T9": ("82687006", "T-11790"), "T10": ("7610001", "T-117A0"), "T11": ("12989004", "T-117B0"),
    "T12": ("23215003", "T-117C0")}
VFA_NAMES = ["VFA", "IVA", "LVA", "Vertebral Fracture Assessment", "Lateral Vertebral Assessment"]
GENANT_WORDS = {1: ["Mild", "Grade 1", "1"], 2: ["Moderate", "Grade 2", "2"], 3: ["Severe", "Grade 3", "3"]}


class Draw(Protocol):
    def pick(self, options: list): ...
    def coin(self) -> bool: ...
    def number(self, low: float, high: float, digits: int) -> float: ...
    def shuffled(self, items: list) -> list: ...


class RandomDraw:
    """Draws from a seeded random generator (the watcher's folder of SRs)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pick(self, options):
        return self.rng.choice(list(options))

    def coin(self):
        return self.rng.random() < 0.5

    def number(self, low, high, digits):
        return round(self.rng.uniform(low, high), digits)

    def shuffled(self, items):
        return self.rng.sample(items, len(items))


class HypothesisDraw:
    """Draws from hypothesis' `data()` strategy, so failures shrink."""

    def __init__(self, data):
        from hypothesis import strategies as st
        self.data, self.st = data, st

    def pick(self, options):
        return self.data.draw(self.st.sampled_from(list(options)))

    def coin(self):
        return self.data.draw(self.st.booleans())

    def number(self, low, high, digits):
        return round(self.data.draw(self.st.floats(low, high, allow_nan=False)), digits)

    def shuffled(self, items):
        return self.data.draw(self.st.permutations(items))


# ---- the findings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionKind:
    """A region the generator can write, and the ways it may be named."""

    site: Site
    sides: tuple                  # the sides it may have (None: unpaired)
    scan: str                     # the scan container it sits in (`Femur` → `Left Femur`)
    in_scan: tuple[str, ...]      # its names inside that container
    alone: tuple[str, ...]        # its names on their own (finding site text, name prefix)
    codes: tuple[tuple[str, str], ...] = ()  # its finding-site codes (scheme, value)
    vertebrae: tuple[str, ...] = ()


SPINE_RANGES = {("L1", "L2", "L3", "L4"): ["L1-L4", "L1–L4", "L1 - L4"],
                ("L2", "L3", "L4"): ["L2-L4", "L2–L4"], ("L1", "L2"): ["L1-L2"], ("L1", "L3"): ["L1,L3"],
                ("L1", "L3", "L4"): ["L1,L3-L4"],
                ("L1",): ["L1"], ("L2",): ["L2"], ("L3",): ["L3"], ("L4",): ["L4"]}
REGIONS = [
    *(RegionKind(Site.LUMBAR_SPINE, (None,), "AP Spine", tuple(names), tuple(names),
                 vertebrae=vertebrae) for vertebrae, names in SPINE_RANGES.items()),
    RegionKind(Site.FEMORAL_NECK, ("left", "right"), "Femur", ("Neck",), ("Femoral Neck", "Neck"),
               (("SCT", "29627003"),)),
    RegionKind(Site.TOTAL_HIP, ("left", "right"), "Femur", ("Total",), ("Total Hip",),
               (("SCT", "24136001"), ("SRT", "T-15710"))),
    RegionKind(Site.TROCHANTER, ("left", "right"), "Femur", ("Troch", "Trochanter"), ("Trochanter",),
               (("SCT", "30547004"),)),
    RegionKind(Site.WARDS, ("left", "right"), "Femur", ("Ward's", "Wards"), ("Ward's", "Ward's Triangle")),
    RegionKind(Site.RADIUS_33, ("left", "right"), "Forearm", ("1/3", "33%", "Radius 33%"), ("Radius 33%",)),
    RegionKind(Site.RADIUS_UD, ("left", "right"), "Forearm", ("UD", "Radius UD"), ("Radius UD",)),
    RegionKind(Site.RADIUS_TOTAL, ("left", "right"), "Forearm", ("Radius Total",), ("Radius Total",)),
    RegionKind(Site.TOTAL_BODY, (None,), "Total Body", ("Total",), ("Total Body",),
               (("SCT", "38266002"), ("SRT", "T-D0010"))),
]


@dataclass
class Region:
    kind: RegionKind
    side: str | None
    values: dict[str, float]

    @property
    def key(self) -> tuple:
        return self.kind.site, self.side, self.kind.vertebrae


@dataclass
class Exam:
    """The findings an SR is written from."""

    vendor: str
    regions: list[Region]
    tbs: float | None = None
    frax: tuple[float, float] | None = None
    fractures: dict[str, int] | None = None   # vertebra → Genant grade; None: no VFA


def draw_exam(d: Draw) -> Exam:
    vendor = d.pick(VENDORS)
    regions: dict[tuple, Region] = {}
    for _ in range(d.pick([1, 1, 2, 3, 4])):
        kind = d.pick(REGIONS)
        side = d.pick(kind.sides)
        kinds = [k for k in VALUES if d.coin()] or [d.pick(["bmd", "t_score"])]
        values = {k: d.number(*VALUES[k]) for k in kinds}
        region = Region(kind, side, values)
        regions.setdefault(region.key, region)
    exam = Exam(vendor, list(regions.values()))
    if d.coin():
        exam.tbs = d.number(0.9, 1.6, 3)
    if d.coin():
        exam.frax = (d.number(1.0, 60.0, 1), d.number(0.1, 30.0, 1))
    if d.coin():
        exam.fractures = {v: d.pick([0, 1, 2, 3]) for v in VERTEBRA_CODES if d.pick([0, 0, 0, 1])}
    return exam


# ---- writing it -------------------------------------------------------------------------------------
def private_codes(vendor: str) -> dict[str, tuple[str, str]]:
    """Quantity → (scheme, code) in the vendor's own 99-scheme, as its vendors/*.toml lists them."""
    out: dict[str, tuple[str, str]] = {}
    for (scheme, code), entry in sr_terms(vendor).codes.items():
        if scheme.startswith("99"):
            out.setdefault(entry.term, (scheme, code))
    return out


def _concept(d: Draw, vendor: str, kind: str, exam_key: tuple | None = None) -> Dataset:
    """The concept name of a quantity: a name of the vocabulary, a LOINC code, a private code, DCM."""
    names = sorted(n for n, t in sr_terms(vendor).names.items() if t == kind)
    name = d.pick(names)
    name = d.pick([name, name.upper(), name.title()])
    schemes = ["name"]
    if exam_key in LOINC and kind in LOINC[exam_key]:
        schemes.append("LN")
    if kind in private_codes(vendor):
        schemes.append("private")
    if kind == "z_score":
        schemes.append("DCM")
    scheme = d.pick(schemes)
    if scheme == "LN":
        return gen.code(LOINC[exam_key][kind], "LN", f"DXA [{kind}]")
    if scheme == "private":
        designator, code = private_codes(vendor)[kind]
        return gen.code(code, designator, name)
    if scheme == "DCM":
        return gen.code("113071", "DCM", "Z-Score")
    return gen.local(name)


def _value(d: Draw, vendor: str, kind: str, value: float, key=None, mods=()) -> Dataset:
    unit = d.pick(UNITS[kind])
    written = round(value * 1000, 3) if unit == "mg/cm2" else value
    return gen.num(_concept(d, vendor, kind, key), written, gen.ucum(unit), list(mods) or None)


def _site_mods(d: Draw, region: Region) -> list[Dataset]:
    """Finding Site item(s) naming a region: codes (one per vertebra for a range) or words."""
    kind, concept = region.kind, d.pick(FINDING_SITE)
    if kind.vertebrae and d.coin():
        scheme = d.pick([0, 1])
        return [gen.coded(concept, _vertebra_code(v, scheme), "HAS CONCEPT MOD") for v in kind.vertebrae]
    if kind.codes and d.coin():
        scheme, value = d.pick(kind.codes)
        return [gen.coded(concept, gen.code(value, scheme, d.pick(kind.alone)), "HAS CONCEPT MOD")]
    label = d.pick(kind.alone)
    if d.coin():
        return [gen.text(d.pick([gen.local("Region"), gen.local("Label"), concept]), label)]
    return [gen.coded(concept, gen.local(label), "HAS CONCEPT MOD")]


def _vertebra_code(vertebra: str, scheme: int) -> Dataset:
    return gen.code(VERTEBRA_CODES[vertebra][scheme], ("SCT", "SRT")[scheme], f"{vertebra} vertebra")


def _side_mods(d: Draw, side: str | None) -> list[Dataset]:
    if side is None:
        return []
    concept = d.pick(LATERALITY)
    if d.coin():
        return [gen.coded(concept, d.pick(SIDE_CODES[side]), "HAS CONCEPT MOD")]
    return [gen.text(concept, d.pick(SIDE_WORDS[side][:1] if side == "mean" else SIDE_WORDS[side]))]


def _nest(d: Draw, items: list[Dataset]) -> list[Dataset]:
    """Zero to two generic containers around `items`."""
    for _ in range(d.pick([0, 0, 1, 2])):
        items = [gen.container(gen.local(d.pick(GENERIC)), items)]
    return items


def _scan_name(region: Region) -> str:
    scan = region.kind.scan
    return f"{region.side.title()} {scan}" if region.side in ("left", "right") else scan


def write_region(d: Draw, vendor: str, region: Region) -> list[Dataset]:
    kind, side = region.kind, region.side
    key = (kind.site, side) if not kind.vertebrae else (kind.site, None)
    styles = ["container names", "site on values", "site on a generic container", "name prefix"]
    style = d.pick(styles if side != "mean" else styles[1:3])
    if style == "name prefix":
        label = d.pick(kind.alone)
        label = f"{side.title()} {label}" if side else label
        items = []
        for k, v in region.values.items():
            unit = d.pick(UNITS[k])
            name = d.pick(sorted(n for n, t in sr_terms(vendor).names.items() if t == k))
            concept = d.pick([f"{label} {name}", f"{name} {label}", f"{name} ({label})"])
            items.append(gen.num(gen.local(concept), round(v * 1000, 3) if unit == "mg/cm2" else v,
                                 gen.ucum(unit)))
        return _nest(d, d.shuffled(items))
    if style == "container names":
        values = [_value(d, vendor, k, v, key) for k, v in region.values.items()]
        inner = [gen.container(gen.local(d.pick(kind.in_scan)), d.shuffled(values))]
        return [gen.container(gen.local(_scan_name(region)), _nest(d, inner))]
    side_in_parent = side in ("left", "right") and d.coin()
    sides = [] if side_in_parent else _side_mods(d, side)
    if style == "site on values":
        values = [_value(d, vendor, k, v, key, [*_site_mods(d, region), *sides])
                  for k, v in region.values.items()]
        items = _nest(d, d.shuffled(values))
    else:
        values = [_value(d, vendor, k, v, key) for k, v in region.values.items()]
        group = gen.container(gen.local(d.pick(["Region", "Measurement Group", "Results"])),
                              [*_site_mods(d, region), *sides, *d.shuffled(values)])
        items = _nest(d, [group])
    return [gen.container(gen.local(_scan_name(region)), items)] if side_in_parent else items


def write_tbs(d: Draw, vendor: str, value: float) -> list[Dataset]:
    shape = d.pick(["in a TBS container", "named", "named with the region", "private code"])
    unit = gen.ucum(d.pick(["1", "{score}", "{SD}"]))
    if shape == "in a TBS container":
        return _nest(d, [gen.container(gen.local(d.pick(["TBS", "Trabecular Bone Score"])),
                                       [gen.num(gen.local(d.pick(["L1-L4", "L1 - L4"])), value, unit)])])
    if shape == "named with the region":
        name = d.pick(["TBS L1-L4", "L1-L4 TBS", "Trabecular Bone Score (L1-L4)"])
        return _nest(d, [gen.num(gen.local(name), value, unit)])
    if shape == "private code" and "tbs" in private_codes(vendor):
        designator, code = private_codes(vendor)["tbs"]
        return _nest(d, [gen.num(gen.code(code, designator, "TBS"), value, unit)])
    return _nest(d, [gen.num(gen.local(d.pick(["TBS", "Trabecular Bone Score"])), value, unit)])


def write_frax(d: Draw, vendor: str, major: float, hip: float) -> list[Dataset]:
    items = [gen.num(_concept(d, vendor, "frax_major"), major, gen.ucum("%")),
             gen.num(_concept(d, vendor, "frax_hip"), hip, gen.ucum("%"))]
    items = d.shuffled(items)
    if d.coin():
        items = [gen.container(gen.local(d.pick(["FRAX", "10-Year Fracture Risk", "Fracture Risk"])), items)]
    return _nest(d, items)


def write_vfa(d: Draw, vendor: str, fractures: dict[str, int]) -> list[Dataset]:
    items = []
    for vertebra, grade in fractures.items():
        concept = _concept(d, vendor, "vfa_grade")
        shape = d.pick(["vertebra container", "finding site code", "finding site words"])
        if d.coin() and grade > 0:
            value = gen.coded(concept, gen.local(d.pick(GENANT_WORDS[grade])))
        else:
            value = gen.num(concept, grade, gen.ucum("1"))
        if shape == "vertebra container":
            items.append(gen.container(gen.local(d.pick([vertebra, f"{vertebra} vertebra"])), [value]))
            continue
        scheme = d.pick([0, 1])
        site = _vertebra_code(vertebra, scheme) if shape == "finding site code" else gen.local(vertebra)
        value.ContentSequence = [gen.coded(d.pick(FINDING_SITE), site, "HAS CONCEPT MOD")]
        items.append(value)
    return _nest(d, [gen.container(gen.local(d.pick(VFA_NAMES)), d.shuffled(items))])


def write_sr(d: Draw, exam: Exam) -> list[Dataset]:
    """The SR content of `exam`, its parts in a random order."""
    parts = [write_region(d, exam.vendor, r) for r in exam.regions]
    if exam.tbs is not None:
        parts.append(write_tbs(d, exam.vendor, exam.tbs))
    if exam.frax is not None:
        parts.append(write_frax(d, exam.vendor, *exam.frax))
    if exam.fractures is not None:
        parts.append(write_vfa(d, exam.vendor, exam.fractures))
    return [item for part in d.shuffled(parts) for item in part]


def expected_rows(exam: Exam) -> dict[tuple, dict[str, float]]:
    return {r.key: r.values for r in exam.regions}


def read_rows(measurements) -> dict[tuple, dict[str, float]]:
    return {(m.site, m.side, tuple(m.vertebrae)): {k: v for k in VALUES if (v := getattr(m, k)) is not None}
            for m in measurements}
