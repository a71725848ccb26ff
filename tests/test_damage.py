"""Damaged input (issue 15): one flipped byte must never change a coding silently. A damaged input is
refused, with where the damage is, or coded with a `damaged_input` flag — never coded as if sound."""

from __future__ import annotations

import shutil
import zlib

import pydicom
import pytest

from dxaparse.code import CodingSettings
from dxaparse.errors import InputError
from dxaparse.models import Category, DoubtReason, ExamResult
from dxaparse.pipeline import process
from dxaparse.read.options import ReadOptions
from dxaparse.read.pdf.damage import find_damage
from dxaparse.read.pdf.document import read_text_layer

from ._dicom import PATIENT, bmd, gen, spine_container, sr_file, t_score, write
from ._pdf import ROOT, SAMPLES, draw, raw_pdf, text_content

HEADER = ("Scan Type: a Lumbar Spine", "Patient ID: SYN-DAMAGE\tSex: Female\tAge: 67", "DXA Results Summary:",
          "Region\tBMD (g/cm2)\tT-score")


def report(*rows: str) -> bytes:
    return text_content(*HEADER, *rows)


def outcome(path) -> ExamResult | InputError:
    [item] = process(path, CodingSettings())
    return item


def flipped(data: bytes, at: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out)


def damaged_flag(result: ExamResult) -> str:
    [flag] = [f for f in result.coding.flags if f.code == "damaged_input"]
    assert result.coding.needs_review and result.billing.status == "held"
    return flag.message


# --- PDF -------------------------------------------------------------------------------------------


def test_one_flipped_byte_that_hides_the_spine_table_is_flagged(tmp_path):
    """The finding: PDFium draws a page up to the damage in its compressed content, so the spine row
    printed last vanishes and the hip decides — low bone mass instead of osteoporosis, once unflagged."""
    content = report("Neck\t0.700\t-1.5", "L1-L4\t0.856\t-2.8")
    sound = raw_pdf(tmp_path / "sound.pdf", [content])
    assert outcome(sound).coding.category is Category.OSTEOPOROSIS and not outcome(sound).coding.flags
    data = sound.read_bytes()
    stream = data.index(zlib.compress(content))
    damaged = tmp_path / "damaged.pdf"
    for at in range(stream, stream + len(zlib.compress(content))):   # a flip PDFium reads past silently
        damaged.write_bytes(flipped(data, at, 4))
        try:
            texts = {w.text for w in read_text_layer(damaged).words}
        except InputError:   # nothing left to read: not the case of the finding
            continue
        if {"Female", "67", "Neck", "-1.5"} <= texts and "L1-L4" not in texts:
            break
    else:
        pytest.fail("no flip hides the spine row")
    result = outcome(damaged)
    assert result.coding.category is Category.LOW_BONE_MASS   # what was read is coded …
    assert damaged_flag(result).startswith("damaged PDF: page 1 content stream cannot be decoded (zlib: ")
    assert [d.reason for d in result.exam.doubts] == [DoubtReason.DAMAGED]


def test_a_digit_changed_in_stored_compressed_data_is_found_by_the_checksum(tmp_path):
    """Stored (level 0) deflate blocks carry the text as it is: a flipped bit turns T -1.0 into -1.1,
    normal into low bone mass, and only the stream's Adler-32 checksum tells."""
    content = report("L1-L4\t0.956\t-1.0")
    data = raw_pdf(tmp_path / "sound.pdf", [content], compress=0).read_bytes()
    assert data.count(b"(-1.0)") == 1
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data.replace(b"(-1.0)", b"(-1.1)"))
    result = outcome(damaged)
    assert result.measurements[0].t_score == -1.1
    assert "zlib: Error -3 while decompressing data: incorrect data check" in damaged_flag(result)


def test_a_page_from_which_nothing_can_be_read_is_refused_as_damaged(tmp_path):
    data = raw_pdf(tmp_path / "sound.pdf", [report("L1-L4\t0.856\t-2.8")]).read_bytes()
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data.replace(b"stream\nx\x9c", b"stream\ny\x9c", 1))   # the zlib header
    err = outcome(damaged)
    assert isinstance(err, InputError)
    assert err.reason.startswith("damaged PDF: page 1 content stream cannot be decoded (zlib: Error -3 while "
                                 "decompressing data: incorrect header check); ")


def test_an_uncompressed_content_stream_has_its_operators_checked(tmp_path):
    data = raw_pdf(tmp_path / "sound.pdf", [report("Neck\t0.700\t-1.5", "L1-L4\t0.856\t-2.8")],
                   compress=None).read_bytes()
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data.replace(b"(L1-L4) Tj", b"(L1-L4) Tk"))   # PDFium skips an unknown operator
    assert "page 1 content stream cannot be decoded (unknown operator 'Tk')" in damaged_flag(outcome(damaged))


@pytest.mark.parametrize(("old", "new", "where"), [
    (b"/Contents ", b"/Contents\xa0", "object 2 (page content) is shown by no page"),
    (b"/Contents ", b"/Cootents ", "page 1 holds a stream under the key /Cootents, which no page has"),
    (b"/BaseFont /Helvetica", b"/BAseFont /Helvetica",
     "page 1 has a damaged /Font resource /F1 (no /BaseFont)"),
    (b">>\nstream", b">>\x0bstream", "page 1 shows text that PDFium cannot draw"),
    (b"/Resources <<", b"/Resourcfs <<", "page 1 has no resources"),
    (b"<< /Type /Font", b"<\xbc /Type /Font", "page 1 has a damaged /Font resource /F1"),
    (b"/Font <<", b"/Fon\xf4 <<", r"page 1 resources hold a damaged name 'Fon\xf4'"),
    (b"/Font << /F1 ", b"/Font << /F1\xa0", "page 1 sets font /F1, which its resources lack"),
    (b"/Length", b"/Lfngth", "page 1 content stream cannot be decoded (its dictionary has no /Length)"),
    (b"/FlateDecode", b"/FlateDecodf", "unknown filter /'FlateDecodf'"),
])
def test_damaged_dictionaries_are_found(tmp_path, old, new, where):
    """Damage outside the compressed data: a page loses its content, resources or font, a stream its
    length or filter; PDFium repairs what it can and draws the rest without a word."""
    data = raw_pdf(tmp_path / "sound.pdf", [report("L1-L4\t0.856\t-2.8")]).read_bytes()
    assert data.count(old) == 1
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data.replace(old, new))
    item = outcome(damaged)
    reason = item.reason if isinstance(item, InputError) else damaged_flag(item)
    assert reason.startswith("damaged PDF: ") and where in reason


def test_sound_pdfs_are_not_damaged(tmp_path):
    """Every sample, an encrypted report and an uncompressed one read without a doubt of damage."""
    encrypted = draw(tmp_path / "encrypted.pdf", lambda c: (c.drawString(50, 700, "x"), c.showPage()),
                     encrypt="s3cret")
    plain = raw_pdf(tmp_path / "plain.pdf", [report("L1-L4\t0.856\t-2.8")], compress=None)
    assert find_damage(encrypted, ReadOptions(password="s3cret")) is None
    for path in [plain, *sorted(SAMPLES.glob("*.pdf"))]:
        assert find_damage(path, ReadOptions()) is None, path.name


# --- DICOM -----------------------------------------------------------------------------------------


def spine_and_forearm(path):
    """An SR with a spine (T -1.6) and a left forearm (33% radius T -2.7): 77080 + 77081, osteoporosis."""
    forearm = gen.container(gen.local("Left Forearm"), [gen.container(gen.local("1/3"), [bmd(0.7),
                                                                                       t_score(-2.7)])])
    return sr_file(path, [spine_container(bmd(0.9), t_score(-1.6)), forearm])


def codes(result: ExamResult) -> list[str]:
    return [line.code for line in result.coding.cpt]


def value_type_of(data: bytes, meaning: bytes) -> int:
    """Where the ValueType element (0040,A040) of the container named `meaning` starts."""
    return data.rindex(b"\x40\x00\x40\xa0CS", 0, data.index(meaning))


def test_a_corrupted_sr_that_loses_its_forearm_rows_is_flagged(tmp_path):
    """The finding: one bit flipped in the forearm container's ValueType tag, (0040,A040) → (0041,A040),
    and pydicom reads an item without a value type, which the reader skipped — and 77081 with it."""
    sound = spine_and_forearm(tmp_path / "sound.dcm")
    assert (codes(outcome(sound)), outcome(sound).coding.category) == (["77080", "77081"], "osteoporosis")
    data = sound.read_bytes()
    damaged = tmp_path / "damaged.dcm"
    damaged.write_bytes(flipped(data, value_type_of(data, b"Left Forearm"), 0))
    result = outcome(damaged)
    assert codes(result) == ["77080"]   # what was read is coded, and flagged
    assert "damaged DICOM: element (0041,A040) at byte " in damaged_flag(result)


@pytest.mark.parametrize(("what", "change"), [
    ("an unknown VR", lambda d: d[:value_type_of(d, b"Left Forearm") + 4] + b"QH"
     + d[value_type_of(d, b"Left Forearm") + 6:]),
    ("an odd length", lambda d: d.replace(b"CS\x08\x00CONTAINS", b"CS\x09\x00CONTAINS", 1)),
    ("a length too short", lambda d: d.replace(b"CS\x08\x00CONTAINS", b"CS\x04\x00CONTAINS", 1)),
    ("a sequence item tag", lambda d: d.replace(b"\xfe\xff\x00\xe0", b"\xfe\xff\x01\xe0", 3)),
])
def test_damaged_element_headers_are_refused_or_flagged_never_raised(tmp_path, what, change):
    """Once an unknown VR escaped as NotImplementedError; misaligned lengths read garbage silently."""
    data = spine_and_forearm(tmp_path / "sound.dcm").read_bytes()
    damaged = tmp_path / "damaged.dcm"
    damaged.write_bytes(change(data))
    assert damaged.read_bytes() != data
    item = outcome(damaged)
    reason = item.reason if isinstance(item, InputError) else damaged_flag(item)
    assert reason.startswith("damaged DICOM: "), what


def test_a_value_that_lost_its_measured_value_sequence_is_doubted_not_dropped(tmp_path):
    """One bit turns (0040,A300) Measured Value Sequence into (0040,A340), a retired tag pydicom knows:
    the file is sound DICOM, but the T-score item has no value. The element is Type 2 (present, if
    empty), so its absence is no blank cell: the value is doubted and the exam flagged."""
    data = spine_and_forearm(tmp_path / "sound.dcm").read_bytes()
    at = data.rindex(b"\x40\x00\x00\xa3SQ")   # the last one: the forearm's T-score
    damaged = tmp_path / "damaged.dcm"
    damaged.write_bytes(data[:at + 2] + b"\x40" + data[at + 3:])
    result = outcome(damaged)
    assert result.coding.category != "osteoporosis" and result.coding.needs_review
    (doubt,) = [d for d in result.exam.doubts if d.reason is DoubtReason.UNREADABLE]
    assert doubt.detail.startswith("SR value missing: ") and "(0040,A300)" in doubt.detail
    assert [f.code for f in result.coding.flags] == ["value_doubt"]


def test_a_value_type_no_sr_defines_is_damage(tmp_path):
    data = spine_and_forearm(tmp_path / "sound.dcm").read_bytes()
    at = value_type_of(data, b"Left Forearm") + 8
    assert data[at:at + 10] == b"CONTAINER "
    damaged = tmp_path / "damaged.dcm"
    damaged.write_bytes(flipped(data, at + 5, 5))   # CONTAINER → CONTAiNER: pydicom reads it as it is
    result = outcome(damaged)
    assert codes(result) == ["77080"]
    assert damaged_flag(result).startswith("damaged SR: content item \"Left Forearm\" has the value type "
                                           "'CONTAiNER', which DICOM does not define")


def test_a_damaged_report_object_of_a_study_is_named_as_damage(tmp_path):
    """The study is coded from its images, and flagged damaged_input rather than a value doubt."""
    folder = tmp_path / "study"
    sr = sr_file(folder / "sr.dcm", [spine_container(bmd(0.9), t_score(-1.6))])
    write(gen.hologic_sc(PATIENT, "img", "LSPINE"), folder / "spine.dcm")
    data = sr.read_bytes()
    sr.write_bytes(flipped(data, value_type_of(data, b"AP Spine") + 8 + 5, 5))
    result = outcome(folder)
    assert codes(result) == ["77080"] and not result.measurements
    assert "SR Storage object not read, the exam is coded without it: damaged SR: " in damaged_flag(result)
    assert "value_doubt" not in [f.code for f in result.coding.flags]


def test_sound_dicom_samples_are_not_damaged():
    from dxaparse.read.dicom.truncation import structure

    for path in sorted((ROOT / "samples").rglob("*.dcm")):
        implicit, little = pydicom.dcmread(path, stop_before_pixels=True).original_encoding
        assert structure(path, bool(implicit), little is not False).damaged is None, path.name


def test_a_study_coded_without_an_object_cut_short_is_flagged(tmp_path):
    """The cut VFA image is an error of its own, as before; the study, coded without it, lost its 77085,
    and now says so (once it was billed as 77080, unflagged)."""
    study = shutil.copytree(ROOT / "samples" / "dicom" / "hologic-study-sr-iva", tmp_path / "study")
    assert codes(outcome(study)) == ["77085"]
    iva = study / "iva.dcm"
    iva.write_bytes(iva.read_bytes()[:4012])
    err, result = process(study, CodingSettings())
    assert (err.path, err.reason) == (str(iva), "truncated DICOM: a value runs past the end of the file")
    assert codes(result) == ["77080"]
    assert ("Secondary Capture Image Storage object not read, the exam is coded without it: truncated DICOM"
            in damaged_flag(result))


def test_a_study_uid_with_a_flipped_bit_is_damage(tmp_path):
    """The SR's study UID damaged files it under a study of its own, coded apart from its images
    (77080 instead of 77085): a UID is digits and dots, so the SR is flagged, as is the rest."""
    study = shutil.copytree(ROOT / "samples" / "dicom" / "hologic-study-sr-iva", tmp_path / "study")
    sr = study / "sr.dcm"
    uid = pydicom.dcmread(sr).StudyInstanceUID.encode()
    data = sr.read_bytes()
    sr.write_bytes(data.replace(uid, uid[:-1] + bytes([uid[-1] ^ 0x40])))   # a digit becomes a letter
    results = list(process(study, CodingSettings()))
    assert len(results) == 2 and all(r.coding.needs_review for r in results)
    [alone] = [r for r in results if r.source.kind == "dicom-sr"]
    assert "damaged DICOM: element (0020,000D) at byte " in damaged_flag(alone)


def test_a_dataset_not_encoded_as_its_transfer_syntax_says_is_damage(tmp_path):
    """pydicom reads it all the same, warning "Expected explicit VR, but found implicit VR"."""
    ds = pydicom.dcmread(spine_and_forearm(tmp_path / "sound.dcm"))
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    pydicom.dcmwrite(tmp_path / "mixed.dcm", ds, implicit_vr=True, little_endian=True, force_encoding=True)
    result = outcome(tmp_path / "mixed.dcm")
    assert codes(result) == ["77080", "77081"]   # read as pydicom found it …
    assert damaged_flag(result).startswith(     # … and flagged, since the file is not what it says
        "damaged DICOM: its transfer syntax says explicit VR, but the dataset is implicit VR; ")
