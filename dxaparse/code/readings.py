"""A score at a site, as the category rules see it, and how to name it in a reason.

Scores are taken as the scanner printed them, never recomputed (reference databases differ); a score
outside the plausible range (a decimal point lost under OCR) is not a reading at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..models import Basis, Measurement, Site
from .tables import diagnosis

Score = Literal["t", "z"]


@dataclass(frozen=True)
class Reading:
    m: Measurement
    score: Score
    value: float

    @property
    def where(self) -> str:
        return describe(self.m)

    @property
    def region(self) -> str:
        return diagnosis().sites[self.m.site].region or ""

    def text(self) -> str:
        """'T -2.6 at left femoral neck'."""
        return f"{self.score.upper()} {self.value:g} at {self.where}"

    def basis(self) -> Basis:
        label = self.m.label or "-".join(self.m.vertebrae) or diagnosis().sites[self.m.site].name
        return Basis(score=self.score, site=self.m.site, side=self.m.side, label=label, value=self.value)


def plausible_score(value: float) -> bool:
    low, high = diagnosis().score_range
    return low <= value <= high


def reading(m: Measurement, score: Score) -> Reading | None:
    """The measurement's plausible score of the given kind, if it has one and is not excluded."""
    value = m.t_score if score == "t" else m.z_score
    if m.excluded or value is None or not plausible_score(value):
        return None
    return Reading(m, score, value)


def describe(m: Measurement) -> str:
    """A measurement in plain words: 'left femoral neck', 'lumbar spine L2-L4'."""
    if m.site is Site.LUMBAR_SPINE:
        return f"lumbar spine {m.label or '-'.join(m.vertebrae) or 'total'}"
    return f"{m.side} {diagnosis().sites[m.site].name}" if m.side else diagnosis().sites[m.site].name
