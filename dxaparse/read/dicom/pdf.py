"""Encapsulated PDF: the printed DXA report wrapped in DICOM (how many scanners and PACS send it).

The page is read by the PDF reader; what the page does not say (study UID, accession, device, the
patient's sex and age) comes from the DICOM header, so the report joins its study like any object.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from pydicom.dataset import Dataset

from ...errors import InputError
from ...models import Findings
from ..options import ReadOptions
from .identity import with_header


def read_encapsulated_pdf(path: Path, ds: Dataset, options: ReadOptions) -> Findings:
    from ..pdf import read_pdf

    try:
        data = bytes(ds.EncapsulatedDocument)
    except (AttributeError, KeyError, OSError, TypeError, ValueError):
        raise InputError(path, "encapsulated PDF: no document in the object") from None
    length = ds.get("EncapsulatedDocumentLength")
    data = data[:length] if length else data.rstrip(b"\0")  # values are padded to an even length
    with tempfile.TemporaryDirectory(prefix="dxaparse-") as tmp:
        pdf = Path(tmp) / "report.pdf"
        pdf.write_bytes(data)
        try:
            # the run's choices and limits; the content hash is the DICOM object's, set by its study
            findings = read_pdf(pdf, replace(options, password=None), sha256="")
        except InputError as err:   # of its class: a damaged report stays one (DamagedInput)
            raise type(err)(path, f"encapsulated PDF: {err.reason}") from None
    return with_header(findings, ds, path)

