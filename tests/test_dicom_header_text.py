"""DICOM header values become text by one rule (docs/result-format.md): several values (VM > 1) joined
with `\\` as DICOM writes them, never a Python list; bytes decoded; names and numbers as written; a
multi-valued patient ID or accession number is doubted, since a charge must not be posted on it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.valuerep import IS, PersonName

from dxaparse.code import CodingSettings
from dxaparse.emit.csv_out import to_csv
from dxaparse.emit.hl7 import oru_r01
from dxaparse.models import DoubtReason, Findings, HoldReason
from dxaparse.pipeline import process
from dxaparse.read.dicom import read_dicom
from dxaparse.read.dicom.header import as_text

from ._dicom import bmd, gen, spine_container, sr_dataset, write
from .test_dicom_identity import epdf


@pytest.mark.parametrize(("value", "expected"), [
    (MultiValue(str, ["P1", "P2"]), "P1\\P2"),
    (MultiValue(str, ["A ", "", " B"]), "A\\B"),          # each value stripped, empty ones dropped
    (MultiValue(str, ["A", ""]), "A"),                    # one value left: no longer several
    (MultiValue(str, ["", " "]), None),
    (b"Horizon A \0", "Horizon A"),                        # bytes: UTF-8, padding stripped
    (b"HOLOGIC\\Inc", "HOLOGIC\\Inc"),                     # the same rule for values not yet split
    (b"\xffbad", "\ufffdbad"),
    (MultiValue(bytes, [b"A", b"B "]), "A\\B"),
    (MultiValue(PersonName, ["DOE^JANE", "ROE^JO"]), "DOE^JANE\\ROE^JO"),   # names as DICOM writes them
    (MultiValue(IS, ["1", "23"]), "1\\23"),             # and numbers
    ("1.2.840.1\0", "1.2.840.1"),                          # UI padding
    (Sequence([Dataset()]), None),                         # a sequence is not text
])
def test_every_kind_of_value_becomes_text_by_one_rule(value, expected):
    assert as_text(value) == expected


@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\\", exclude_categories=["Cs"]))))
def test_several_values_join_with_a_backslash_and_split_back(values):
    kept = [re.sub(r"^[\s\0]+|[\s\0]+$", "", v) for v in values]
    kept = [v for v in kept if v]
    joined = as_text(MultiValue(str, values))
    assert joined == ("\\".join(kept) or None)
    assert as_text("\\".join(values).encode("utf-8")) == joined   # bytes by the same rule


def _sr(**header) -> Dataset:
    ds = sr_dataset([spine_container(bmd(), gen.num(gen.local("T-score"), -2.1, gen.ucum("{T-score}")))])
    for keyword, value in header.items():
        setattr(ds, keyword, value)
    return ds


MULTI = {"PatientID": "P1\\P2", "AccessionNumber": "A1\\A2", "Manufacturer": "HOLOGIC\\Inc",
         "ManufacturerModelName": "Horizon\\A", "StudyInstanceUID": "1.2.3\\1.2.4"}


def test_multi_valued_header_text_is_joined_never_a_list_repr(tmp_path):
    [f] = list(read_dicom([write(_sr(**MULTI), tmp_path / "sr.dcm")]))
    assert isinstance(f, Findings), f
    assert (f.patient.id, f.exam.accession, f.exam.study_uid, f.exam.device) == (
        "P1\\P2", "A1\\A2", "1.2.3\\1.2.4", "HOLOGIC\\Inc Horizon\\A")
    assert f.source.vendor == "hologic"
    doubts = {d.field: d for d in f.exam.doubts}
    assert doubts["patient.id"].reason is DoubtReason.PATIENT_MISMATCH
    assert doubts["patient.id"].detail == ("the DICOM header gives 2 patient IDs, 'P1' and 'P2'; the result "
                                           "carries them as written, 'P1\\P2'")
    assert doubts["exam.accession"].reason is DoubtReason.CONFLICTING
    # a multi-valued Study Instance UID (a UID has one value) is damage of the header besides
    assert doubts["source"].reason is DoubtReason.DAMAGED
    assert set(doubts) == {"patient.id", "exam.accession", "source"}


def test_a_multi_valued_patient_id_holds_the_charge_and_no_list_reaches_an_export(tmp_path):
    [result] = list(process(write(_sr(**MULTI), tmp_path / "sr.dcm"), CodingSettings()))
    assert HoldReason.PATIENT_MISMATCH in {h.reason for h in result.billing.holds}
    assert not result.billing.billable
    [row] = list(csv.DictReader(io.StringIO(to_csv([result], False))))[:1]
    assert (row["patient_id"], row["accession"]) == ("P1\\P2", "A1\\A2")
    oru = oru_r01(result).to_er7()
    assert "PID|1||P1\\E\\P2^^^^MR|" in oru and "OBR|1||A1\\E\\A2|" in oru
    assert "['" not in to_csv([result], False) + oru + result.model_dump_json()


def test_one_value_among_empty_ones_is_no_doubt(tmp_path):
    [f] = list(read_dicom([write(_sr(PatientID="P1\\", AccessionNumber="\\A1"), tmp_path / "sr.dcm")]))
    assert (f.patient.id, f.exam.accession, f.exam.doubts) == ("P1", "A1", [])


def test_the_header_doubt_survives_a_report_page(tmp_path):
    """An Encapsulated PDF's findings come from its page, completed from the header: the header's doubt
    comes along."""
    [f] = list(read_dicom([epdf(tmp_path / "epdf.dcm", PatientID="SYN-0001", AccessionNumber="A1\\A2")]))
    assert f.exam.accession == "A1\\A2"
    assert [(d.field, d.reason) for d in f.exam.doubts] == [("exam.accession", DoubtReason.CONFLICTING)]


def test_a_sequence_where_text_belongs_and_multi_valued_uids_are_no_crash(tmp_path):
    ds = _sr(SOPClassUID="1.2.840.10008.5.1.4.1.1.88.22\\1.2.3")
    del ds.PatientID
    ds.add_new(0x00100020, "SQ", Sequence([Dataset()]))
    [err] = list(read_dicom([write(ds, tmp_path / "sr.dcm")]))
    # a multi-valued SOP Class UID is damage of the header, named first; the object is still refused
    assert err.reason.startswith("damaged DICOM: element (0002,0002)")
    assert err.reason.endswith("not a DXA object: 1.2.840.10008.5.1.4.1.1.88.22\\1.2.3")
    ds = _sr()
    del ds.PatientID
    ds.add_new(0x00100020, "SQ", Sequence([Dataset()]))
    [f] = list(read_dicom([write(ds, tmp_path / "sq.dcm")]))
    assert f.patient.id is None


def test_a_multi_valued_transfer_syntax_is_no_crash(tmp_path):
    """pydicom reads the dataset by its actual encoding; the UID built from the value crashed the reader
    (`A UID must be created from a string`)."""
    path = write(_sr(), tmp_path / "sr.dcm")
    data = path.read_bytes()
    assert data.count(b"1.2.840.10008.1.2.1\0") == 1   # Explicit VR Little Endian, padded
    path.write_bytes(data.replace(b"1.2.840.10008.1.2.1\0", b"1.2.840.10008.1.2\\1\0"))
    [f] = list(read_dicom([path]))
    assert isinstance(f, Findings) and f.measurements
