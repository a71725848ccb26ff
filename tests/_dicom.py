"""DICOM test objects: the sample generator's building blocks, plus quick ways to write SRs and images."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from pydicom.dataset import Dataset

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("generate_dicom", ROOT / "samples" / "generate_dicom.py")
gen = importlib.util.module_from_spec(_spec)
sys.modules["generate_dicom"] = gen  # dataclasses look their module up by name
_spec.loader.exec_module(gen)

PATIENT = gen.Patient("test-exam", "F", 67.0, "20240301")


def write(ds: Dataset, path: Path) -> Path:
    gen.save(ds, path)
    return path


def sr_dataset(content: list[Dataset], vendor: str = "hologic", patient=PATIENT) -> Dataset:
    return gen.sr(patient, vendor, content)


def sr_file(path: Path, content: list[Dataset], vendor: str = "hologic", patient=PATIENT) -> Path:
    return write(sr_dataset(content, vendor, patient), path)


def spine_container(*values: Dataset, label: str = "L1-L4") -> Dataset:
    """`AP Spine` > `label` > values: the Hologic-like layout."""
    return gen.container(gen.local("AP Spine"), [gen.container(gen.local(label), list(values))])


def bmd(value: float = 0.812, unit: str | None = "g/cm2", name: str = "BMD") -> Dataset:
    item = gen.num(gen.code("X-BMD", "99TEST", name), value, gen.ucum(unit or "x"))
    if unit is None:
        del item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    return item


def t_score(value: float = -2.1, unit: str = "{T-score}", name: str = "T-score") -> Dataset:
    return gen.num(gen.code("X-T", "99TEST", name), value, gen.ucum(unit))
