"""Helpers for the PACS hook tests: DXA-like DICOM objects, the hook as a real subprocess, a pynetdicom SCU.

All traffic stays on 127.0.0.1. Objects are built with pydicom so the tests do not depend on which
samples exist; they look like what the scanners send (formats.md): a Hologic Enhanced SR with scores,
Hologic Secondary Capture images (BodyPartExamined), GE Lunar CR images (ProtocolName), an
Encapsulated PDF report.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE, _config
from pynetdicom import sop_class as sc

from dxaparse.emit.store import Store
from dxaparse.models import ExamResult

ROOT = Path(__file__).resolve().parent.parent
HOOK_AET = "DXAHOOK"
SITE_NO_LIMIT = "timely_filing_months = 0\n"
"""Site settings under which the test studies bill: their fixed date of service ages past any filing
window, and a test must not start failing a year after it was written."""


def site_config(folder: Path, text: str = SITE_NO_LIMIT) -> Path:
    """A site settings file for `--config`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
_config.STORE_SEND_CHUNKED_DATASET = True  # a file is sent byte for byte, broken ones too


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll until `condition()` is truthy; its value, or a failure naming `what`."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# -- DICOM objects ------------------------------------------------------------------------------------


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def _num(name: str, value: float, unit: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "NUM"
    item.ConceptNameCodeSequence = [_code(name, "99DXA", name)]
    mv = Dataset()
    mv.NumericValue = str(value)
    mv.MeasurementUnitsCodeSequence = [_code(unit, "UCUM", unit)]
    item.MeasuredValueSequence = [mv]
    return item


def _container(name: str, items: list[Dataset]) -> Dataset:
    c = Dataset()
    c.RelationshipType, c.ValueType, c.ContinuityOfContent = "CONTAINS", "CONTAINER", "SEPARATE"
    c.ConceptNameCodeSequence = [_code(name, "99DXA", name)]
    c.ContentSequence = items
    return c


def _base(sop_class: str, study: str, modality: str, manufacturer: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, generate_uid()
    ds.Modality, ds.Manufacturer = modality, manufacturer
    ds.PatientName, ds.PatientID = "TEST^PATIENT", "PACS-TEST-1"
    # A date of service inside the bundled code tables, so that a site with no filing limit (SITE_NO_LIMIT)
    # bills it whenever the tests run.
    ds.PatientSex, ds.PatientAge, ds.StudyDate = "F", "067Y", "20260302"
    ds.AccessionNumber = "ACC" + study.rsplit(".", 1)[-1][-8:]
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def hologic_sr(study: str, spine_t: float = -2.6, neck_t: float | None = None) -> Dataset:
    """Enhanced SR with an L1-L4 result (and a left femoral neck one when `neck_t` is given)."""
    ds = _base(sc.EnhancedSRStorage, study, "SR", "HOLOGIC")
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = [_code("DXA", "99DXA", "DXA Report")]
    ds.ContentSequence = [_container("L1-L4", [_num("BMD", 0.812, "g/cm2"),
                                               _num("T-score", spine_t, "{T-score}"),
                                               _num("Z-score", -0.9, "{Z-score}")])]
    if neck_t is not None:
        ds.ContentSequence.append(_container("Left Femur", [_container("Neck", [
            _num("BMD", 0.59, "g/cm2"), _num("T-score", neck_t, "{T-score}")])]))
    return ds


def _pixels(ds: Dataset) -> Dataset:
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(range(64))
    return ds


def hologic_sc(study: str, body_part: str = "LSPINE") -> Dataset:
    """APEX Secondary Capture image: the body part says which scan was done."""
    ds = _pixels(_base(sc.SecondaryCaptureImageStorage, study, "OT", "HOLOGIC"))
    ds.ManufacturerModelName, ds.BodyPartExamined = "Horizon A", body_part
    return ds


def lunar_cr(study: str, protocol: str = "AP Spine") -> Dataset:
    """enCORE CR image: the protocol name says which scan was done."""
    ds = _pixels(_base(sc.ComputedRadiographyImageStorage, study, "CR", "GE Healthcare"))
    ds.ManufacturerModelName, ds.ProtocolName = "Lunar iDXA", protocol
    ds.StudyDescription, ds.SeriesDescription = "DXA Exam", "DXA Images"
    return ds


def encapsulated_pdf(study: str, pdf: bytes) -> Dataset:
    """The printed report wrapped in DICOM, as scanners and PACS send it."""
    ds = _base(sc.EncapsulatedPDFStorage, study, "DOC", "HOLOGIC")
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = "DXA report"
    ds.ConceptNameCodeSequence = [_code("38269-7", "LN", "DXA skeletal system study report")]
    ds.EncapsulatedDocumentLength = len(pdf)
    ds.EncapsulatedDocument = pdf + (b"\0" if len(pdf) % 2 else b"")
    return ds


def ct_image(study: str) -> Dataset:
    ds = _pixels(_base(CT_IMAGE, study, "CT", "SIEMENS"))
    return ds


def save(ds: Dataset, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{ds.SOPInstanceUID}.dcm")
    ds.save_as(path, enforce_file_format=True)
    return path


# -- the hook -----------------------------------------------------------------------------------------


class Hook:
    """`dxaparse pacs` in a subprocess on 127.0.0.1, with its own spool and store under `home`."""

    def __init__(self, home: Path, *extra: str, quiet: float = 1.5, port: int | None = None,
                 scu: str = "TESTSCU", tls: tuple | None = None, verbose: bool = True):
        self.home, self.extra, self.quiet, self.scu, self.verbose = home, extra, quiet, scu, verbose
        self.tls = {"tls_args": tls} if tls else {}
        self.port = port or free_port()
        self.spool, self.store = home / "spool", home / "store.sqlite3"
        self.log = home / "hook.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Hook:
        verbose = ["-v"] if self.verbose else []
        cmd = [sys.executable, "-m", "dxaparse.cli", *verbose, "pacs", "--aet", HOOK_AET,
               "--host", "127.0.0.1", "--port", str(self.port), "--spool", str(self.spool),
               "--store", str(self.store), "--study-quiet", str(self.quiet), *self.extra]
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: self._alive() and echo(self.port, self.scu, **self.tls) == 0x0000, timeout,
                     "the hook to answer C-ECHO", interval=0.2)
        except BaseException:
            self.stop()  # `with` never reaches __exit__ when __enter__ fails
            raise
        return self

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"hook exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        return True

    def stop(self) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def results(self) -> list[ExamResult]:
        if not self.store.exists():
            return []
        with Store(self.store) as store:
            return list(store.iter_results())

    def wait_results(self, n: int, timeout: float = 30) -> list[ExamResult]:
        try:
            wait_for(lambda: len(self.results()) >= n, timeout, f"{n} result(s) in the store")
        except AssertionError as err:
            raise AssertionError(f"{err}; the hook's log ends:\n{self.log_text()[-3000:]}") from None
        return self.results()

    def settled(self) -> bool:
        """Nothing waits in incoming/ (every received study was coded or failed)."""
        return not any((self.spool / "incoming").glob("*/*.dcm"))

    def __enter__(self) -> Hook:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def echo(port: int, calling: str = "TESTSCU", **kw) -> int | None:
    """C-ECHO status, or None when no association could be made."""
    ae = AE(ae_title=calling)
    ae.add_requested_context(sc.Verification)
    ae.acse_timeout = ae.network_timeout = 5
    assoc = ae.associate("127.0.0.1", port, ae_title=HOOK_AET, **kw)
    if not assoc.is_established:
        return None
    try:
        status = assoc.send_c_echo()
        return status.Status if status else None
    finally:
        assoc.release()


def send(port: int, items: list[Dataset | Path], calling: str = "TESTSCU",
         after: Callable[[int, int], None] | None = None, called: str = HOOK_AET, **kw) -> list[int | None]:
    """C-STORE each dataset (or Part 10 file, sent as is) over one association; the statuses in order.
    `after(index, status)` runs after each response (the kill test uses it)."""
    ae = AE(ae_title=calling)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    for cls in {_sop_class(i) for i in items}:
        ae.add_requested_context(cls, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", port, ae_title=called, **kw)
    assert assoc.is_established, "association not established"
    statuses: list[int | None] = []
    try:
        for n, item in enumerate(items):
            try:
                rsp = assoc.send_c_store(item) if assoc.is_established else None
            except RuntimeError:  # the peer went away mid-transfer
                rsp = None
            statuses.append(rsp.Status if rsp else None)
            if after:
                after(n, statuses[-1])
    finally:
        with contextlib.suppress(Exception):
            assoc.release()
    return statuses


def _sop_class(item: Dataset | Path) -> str:
    if isinstance(item, Dataset):
        return item.SOPClassUID
    from pydicom.filereader import read_file_meta_info
    return read_file_meta_info(item).MediaStorageSOPClassUID


def comparable(result: ExamResult) -> dict:
    """What must agree between the hook's stored result and `dxaparse code` on the same objects: all
    but `source` (the hook records its spool folder and the hash of the spooled copies)."""
    data = result.model_dump(mode="json")
    data.pop("source")
    return data


class MllpReceiver:
    """A minimal HL7 interface engine: takes MLLP frames on 127.0.0.1, answers each with an ACK."""

    def __init__(self, port: int | None = None, code: str = "AA"):
        self.port, self.code = port or free_port(), code
        self.messages: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._sock.settimeout(0.1)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> MllpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closed.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        buf = b""
        while chunk := conn.recv(65536):
            buf += chunk
            while b"\x1c\r" in buf:
                frame, buf = buf.split(b"\x1c\r", 1)
                text = frame.lstrip(b"\x0b").decode()
                self.messages.append(text)
                msg_id = text.split("\r")[0].split("|")[9]
                ack = f"MSH|^~\\&|RCV||DXAPARSE||20240101||ACK|A{msg_id}|P|2.5.1\rMSA|{self.code}|{msg_id}"
                conn.sendall(b"\x0b" + ack.encode() + b"\x1c\r")

    def kinds(self) -> list[str]:
        """Message type and result status of each message received: `DFT^P03`, `ORU^R01 F`."""
        out = []
        for m in self.messages:
            segs = [s.split("|") for s in m.split("\r") if s]
            kind = "^".join(segs[0][8].split("^")[:2])
            obr = next((s for s in segs if s[0] == "OBR"), None)
            ft1 = next((s for s in segs if s[0] == "FT1"), None)
            out.append(f"{kind} {obr[25]}" if obr else f"{kind} {ft1[6]}" if ft1 else kind)
        return out


def report_pdf(path: Path) -> Path:
    """A printed DXA report: a sample from samples/pdf/ when there is one, else a Hologic-like page."""
    samples = sorted((ROOT / "samples" / "pdf").glob("**/*.pdf"))
    if samples:
        shutil.copy(samples[0], path)
        return path
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=letter)
    lines = [
        "HOLOGIC",
        "Name: TEST, PATIENT          Patient ID: PACS-TEST-1        DOB: March 01, 1957",
        "Sex: Female                  Ethnicity: White               Age: 67",
        "Scan Information:",
        "Scan Date: March 01, 2024    ID: A03012401",
        "Scan Type: a Lumbar Spine",
        "Model: Horizon A (S/N 301234M)",
        "DXA Results Summary:",
        "Region    Area (cm²)   BMC (g)   BMD (g/cm²)   T-score   Z-score",
        "L1-L4     61.70        50.10     0.812         -2.6      -0.9",
    ]
    y = 740
    for line in lines:
        page.drawString(40, y, line)
        y -= 18
    page.save()
    return path
