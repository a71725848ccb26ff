"""The refusal of a damaged input (docs/coding.md, "Damaged input"): an `InputError` of its own class,
so that a reader wrapping another (a DICOM Encapsulated PDF, a study of objects) tells damage from other
refusals and says so in the exam's doubts (`damaged`, flag `damaged_input`). Cheap to import."""

from __future__ import annotations

from ..errors import InputError


class DamagedInput(InputError):
    """An input refused as damaged: nothing trustworthy could be read from it; the reason says where
    (`damaged PDF: page 1 content stream cannot be decoded (…)`)."""
