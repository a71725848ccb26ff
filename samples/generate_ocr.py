"""Synthetic image-only DXA reports for the OCR reader, each with the JSON `dxaparse code` must give.

    .venv/bin/python samples/generate_ocr.py [OUT_DIR]      (default samples/ocr; run from the repo root)

Each text PDF of samples/pdf named in `SAMPLES` is rendered by PDFium to one grey image per page at
72, 150 and 300 dpi and wrapped as a PDF whose only content is that image: what a report becomes when
it is screenshotted into a slide (72), scanned or faxed (150, 300). 150-dpi pages keep 4 grey levels
and 300-dpi ones are bilevel (CCITT G4), as scanners and fax machines save them: the files stay small.

`<name>.expected.json` is the text sample's expected JSON with the source and `ocr` marks changed: at
150 dpi and above OCR must reproduce every value exactly. At 72 dpi it is the truth the tests hold each
value to — exact, or doubted and flagged for review.

`REPORT_PAGE` is one report page sent as DICOM Secondary Capture (what APEX and enCORE send besides
the scan images): the page of a text sample rendered at 150 dpi, 4 grey levels, 8-bit MONOCHROME2, RLE
Lossless, no pixel spacing (its resolution follows from the Letter-width rule), series "Report". Its
header gives the patient ID the page prints, as a scanner's would (a header naming another patient is a
mismatch the reader reports). Its expected JSON is the text sample's with the source, `ocr` marks and
the header's study UID and accession (what the page does not print) changed.

`SLIDE` is a report screenshotted into a presentation: a 16:9 slide whose text layer holds only its
title and slide number, with the printout of a text sample pasted below the title as an image rendered
at 150 dpi (4 grey levels). Its expected JSON is the text sample's with the source and `ocr` marks
changed: the title and number are no report, so the image is read by OCR, exactly.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, RLELossless
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from samples.expected_output import checked_output

SAMPLES = ("hologic-spine-hip-pram", "ge-encore-v12", "norland-spine-hip")
DPIS = (72, 150, 300)
LOW_DPI = 72
SOURCE = Path("samples/pdf")
_EPOCH = time.gmtime(1704067200)   # fixed dates: re-running the generator changes no bytes
OCR_LABELS = {"L2 - L4": "L2-L4"}
"""Printed labels OCR gives differently: Tesseract joins a hyphen set off by spaces to its words."""


def image_pdf(text_pdf: Path, out: Path, dpi: int) -> None:
    """Every page of `text_pdf` as one image of `dpi`, drawn over the whole page of a new PDF."""
    src = pdfium.PdfDocument(str(text_pdf))
    try:
        width, height = src[0].get_size()
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in src]
    finally:
        src.close()
    if dpi >= 300:   # bilevel, CCITT G4 as fax machines and document scanners store it
        pages = [image.point(lambda v: 255 if v > 200 else 0).convert("1") for image in images]
        pages[0].save(out, save_all=True, append_images=pages[1:], resolution=dpi, creationDate=_EPOCH,
                      modDate=_EPOCH, producer="dxaparse sample generator")
        return
    c = Canvas(str(out), pagesize=(width, height), invariant=1)
    for image in images:
        c.drawImage(ImageReader(image.quantize(4).convert("L") if dpi >= 150 else image), 0, 0, width, height)
        c.showPage()
    c.save()


def expected(name: str, path: str, sha256: str) -> dict:
    want = json.loads((SOURCE / f"{name}.expected.json").read_text(encoding="utf-8"))
    want["source"].update(path=path, sha256=sha256)
    for m in want["measurements"]:
        m.update(ocr=True, label=OCR_LABELS.get(m["label"], m["label"]))
    for part in [*want["measurements"], want["tbs"] or {}, want["frax"] or {}]:
        for e in part.get("evidence", []):   # printed where the text sample printed it; read by OCR
            e["ocr"] = True
    if basis := want["coding"]["basis"]:
        basis["label"] = OCR_LABELS.get(basis["label"], basis["label"])
    return want


REPORT_PAGE = ("ge-encore-v12", "ge-encore-report-page-sc")
"""(text sample, DICOM sample name) of the Secondary Capture report page."""
REPORT_PAGE_DPI = 150


def _dicom_generator():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import generate_dicom

    return generate_dicom


def report_page_dicom(text_pdf: Path, out: Path) -> Dataset:
    """The first page of `text_pdf` as an 8-bit grey Secondary Capture report page (GE enCORE-like)."""
    gen = _dicom_generator()
    src = pdfium.PdfDocument(str(text_pdf))
    try:
        image = src[0].render(scale=REPORT_PAGE_DPI / 72, grayscale=True).to_pil().convert("L")
    finally:
        src.close()
    # no pixel spacing: the Letter-width rule must give the resolution back, so the A4 page is widened
    # to Letter width with white (the page keeps its positions in points)
    letter = round(8.5 * REPORT_PAGE_DPI)
    if image.width < letter:
        from PIL import Image
        page = Image.new("L", (letter, image.height), 255)
        page.paste(image, (0, 0))
        image = page
    image = image.quantize(4).convert("L")
    patient = gen.Patient("ocr-sc-0001", "M", 66.0, "20240220")
    ds = Dataset()
    gen.header(ds, patient, "report-page", "1.2.840.10008.5.1.4.1.1.7", "OT", "GE Healthcare", "Lunar DPX-NT")
    truth = json.loads(text_pdf.with_suffix(".expected.json").read_text(encoding="utf-8"))
    ds.PatientID = truth["patient"]["id"]   # the ID printed on the page
    ds.ConversionType, ds.ImageType = "WSD", ["DERIVED", "SECONDARY"]
    ds.SeriesDescription, ds.BurnedInAnnotation = "Report", "YES"
    ds.SeriesNumber = "900"
    ds.Rows, ds.Columns = image.height, image.width
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = image.tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.ImplementationClassUID = gen.uid("dxaparse/samples/implementation")
    ds.file_meta.ImplementationVersionName = "DXAPARSE_SAMPLE"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.compress(RLELossless, encoding_plugin="pydicom", generate_instance_uid=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return ds


def report_page_expected(name: str, path: str, sha256: str, ds: Dataset) -> dict:
    want = expected(name, path, sha256)
    want["source"]["kind"] = "dicom-image"
    want["exam"].update(study_uid=str(ds.StudyInstanceUID), accession=str(ds.AccessionNumber))
    return want


SLIDE = ("ge-encore-v12", "ge-encore-v12-slide-150dpi")
"""(text sample, OCR sample name) of the report screenshot on a slide."""
SLIDE_DPI = 150
SLIDE_SIZE = (960.0, 540.0)     # 13.33 x 7.5 in, a presentation's 16:9 page
SLIDE_TITLE = "Case 3 \u2013 DXA results"


def slide_pdf(text_pdf: Path, out: Path) -> None:
    """A slide: a text title and slide number, the first page of `text_pdf` as an image below them."""
    src = pdfium.PdfDocument(str(text_pdf))
    try:
        page = src[0]
        pw, ph = page.get_size()
        image = page.render(scale=SLIDE_DPI / 72, grayscale=True).to_pil().convert("L").quantize(4)
    finally:
        src.close()
    width, height = SLIDE_SIZE
    c = Canvas(str(out), pagesize=SLIDE_SIZE, invariant=1)
    c.setFont("Helvetica-Bold", 28)
    c.drawString(48, height - 56, SLIDE_TITLE)
    shown_h = height - 90
    shown_w = shown_h * pw / ph
    c.drawImage(ImageReader(image.convert("L")), (width - shown_w) / 2, 16, shown_w, shown_h)
    c.setFont("Helvetica", 12)
    c.drawRightString(width - 24, 18, "3")
    c.showPage()
    c.save()


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("samples/ocr")
    out.mkdir(parents=True, exist_ok=True)
    for name in SAMPLES:
        for dpi in DPIS:
            pdf = out / f"{name}-{dpi}dpi.pdf"
            image_pdf(SOURCE / f"{name}.pdf", pdf, dpi)
            want = expected(name, f"samples/ocr/{pdf.name}", hashlib.sha256(pdf.read_bytes()).hexdigest())
            if dpi != LOW_DPI:     # at 72 dpi the expected file is the printed truth (see the docstring)
                want = checked_output(pdf, f"samples/ocr/{pdf.name}", want)
            text = json.dumps(want, indent=2, ensure_ascii=False) + "\n"
            (out / f"{pdf.stem}.expected.json").write_text(text, encoding="utf-8")
            print(pdf)
    text_name, name = REPORT_PAGE
    dcm = out / f"{name}.dcm"
    ds = report_page_dicom(SOURCE / f"{text_name}.pdf", dcm)
    digest = hashlib.sha256(dcm.read_bytes()).hexdigest()
    want = checked_output(dcm, f"samples/ocr/{dcm.name}",
                          report_page_expected(text_name, f"samples/ocr/{dcm.name}", digest, ds))
    (out / f"{name}.expected.json").write_text(json.dumps(want, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
    print(dcm)
    text_name, name = SLIDE
    pdf = out / f"{name}.pdf"
    slide_pdf(SOURCE / f"{text_name}.pdf", pdf)
    want = checked_output(pdf, f"samples/ocr/{pdf.name}", expected(
        text_name, f"samples/ocr/{pdf.name}", hashlib.sha256(pdf.read_bytes()).hexdigest()))
    (out / f"{name}.expected.json").write_text(json.dumps(want, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
    print(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
