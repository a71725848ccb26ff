"""Where a measurement was taken, as SNOMED CT: FHIR `Observation.bodySite` and its laterality.

The site → SNOMED CT table is data (`data/snomed.toml`, each code with the source it was checked in);
a site without a checked code goes out as text alone rather than with a guessed code.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files

from ..models import Measurement

SNOMED = "http://snomed.info/sct"
LATERALITY = "http://hl7.org/fhir/StructureDefinition/observation-structureLaterality"
"""FHIR Extensions Pack extension on Observation.bodySite: the side, when the site code has none."""

_TABLE: dict = tomllib.loads(files(__package__).joinpath("data/snomed.toml").read_text(encoding="utf-8"))
SIDES: dict[str, dict] = _TABLE.pop("side")
SITES: dict[str, dict] = _TABLE


def body_site(m: Measurement) -> dict:
    """`Observation.bodySite` of a measurement: the site's SNOMED CT code when it has a checked one, its
    text ("Femoral neck, left") always, and the side as the laterality extension when it is known."""
    site, side = SITES[m.site.value], SIDES.get(m.side or "")
    concept: dict = {"text": f"{site['text']}, {side['text']}" if side else site["text"]}
    if "code" in site:
        concept["coding"] = [_coding(site)]
    if side:
        concept["extension"] = [{"url": LATERALITY, "valueCodeableConcept": {"coding": [_coding(side)]}}]
    return concept


def _coding(entry: dict) -> dict:
    return {"system": SNOMED, "code": entry["code"], "display": entry["display"]}
