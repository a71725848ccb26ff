"""The PACS hook's parts on their own: the spool, the MLLP outbox and delivery, the HL7 choice for
amended results, coding a study with an Encapsulated PDF (through the same DICOM reader as
`dxaparse code`). Fast; the tests with real peers are in the
other test_pacs_*.py files."""

from __future__ import annotations

import socket
import threading

import pydicom
import pytest

from dxaparse.code import load_settings
from dxaparse.emit.hl7 import hl7_messages
from dxaparse.errors import InputError
from dxaparse.models import Scan
from dxaparse.pipeline import read_and_code
from dxaparse.read.files import sha256_file, sha256_of_hashes
from dxaparse.serve.mllp import Deliverer, MllpError, Outbox, ack_code, exchange
from dxaparse.serve.pacs.spool import Spool, safe_name
from dxaparse.unit import RunOptions, dicom_unit

from ._exams import exam
from ._pacs import (
    ROOT,
    MllpReceiver,
    encapsulated_pdf,
    free_port,
    hologic_sc,
    hologic_sr,
    save,
    wait_for,
)
from .conftest import run_cli

PART10 = b"\0" * 128 + b"DICM" + b"rest"


def test_spool_writes_each_instance_once_and_leaves_no_temp_file(tmp_path):
    spool = Spool(tmp_path)
    assert spool.add("1.2.3", "1.2.3.1", PART10) is True
    assert spool.add("1.2.3", "1.2.3.1", b"other bytes") is False
    path = tmp_path / "incoming" / "1.2.3" / "1.2.3.1.dcm"
    assert path.read_bytes() == PART10
    assert [p.name for p in (tmp_path / "incoming" / "1.2.3").iterdir()] == ["1.2.3.1.dcm"]
    assert spool.waiting() == ["1.2.3"]


def test_spool_knows_coded_instances_and_recodes_whole_studies(tmp_path):
    spool = Spool(tmp_path)
    spool.add("1.2.3", "1.2.3.1", PART10)
    first = spool.files("1.2.3")
    spool.finish("1.2.3", first, "not a DXA report")
    assert (tmp_path / "failed" / "1.2.3.error.txt").read_text() == "not a DXA report\n"
    assert spool.add("1.2.3", "1.2.3.1", PART10) is False  # already held, in failed/
    spool.add("1.2.3", "1.2.3.2", PART10)
    both = spool.files("1.2.3")
    assert [p.parent.parent.name for p in both] == ["failed", "incoming"]
    spool.finish("1.2.3", both, None)
    assert sorted(p.name for p in (tmp_path / "done" / "1.2.3").iterdir()) == ["1.2.3.1.dcm", "1.2.3.2.dcm"]
    assert not (tmp_path / "failed" / "1.2.3.error.txt").exists()
    assert not (tmp_path / "incoming" / "1.2.3").exists()
    assert spool.waiting() == []


def test_spool_removes_unacknowledged_temp_files_at_start(tmp_path):
    stray = tmp_path / "incoming" / "1.2" / "1.2.9.dcm.x1.tmp"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half")
    Spool(tmp_path)
    assert not stray.exists()


def test_spool_names_cannot_escape_it():
    assert safe_name("1.2.840.113619.2.55") == "1.2.840.113619.2.55"
    assert safe_name("1.2.3\0") == "1.2.3"
    bad = safe_name("../../etc/passwd")
    assert "/" not in bad and bad.startswith("x") and bad == safe_name("../../etc/passwd")


def test_spool_keeps_one_copy_under_concurrent_duplicates(tmp_path):
    spool = Spool(tmp_path)
    outcomes: list[bool] = []

    def writer():
        for n in range(40):
            outcomes.append(spool.add("1.9", f"1.9.{n}", PART10))
    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(True) == 40
    assert len(list((tmp_path / "incoming" / "1.9").iterdir())) == 40


def test_mllp_exchange_reads_the_ack_for_the_message():
    msg = "MSH|^~\\&|DXAPARSE||||20240101||ORU^R01^ORU_R01|ABC123|P|2.5.1\rPID|1"
    with MllpReceiver() as rcv:
        ack = exchange("127.0.0.1", rcv.port, msg, timeout=5)
    assert rcv.messages == [msg]
    assert ack_code(ack, "ABC123") == ("AA", "")
    with pytest.raises(MllpError, match="expected 'OTHER'"):
        ack_code(ack, "OTHER")
    with pytest.raises(MllpError, match="cannot reach"):
        exchange("127.0.0.1", free_port(), msg, timeout=2)


def _msg(n: int) -> str:
    return f"MSH|^~\\&|DXAPARSE||||20240101||ORU^R01^ORU_R01|ID{n}|P|2.5.1\rPID|1"


def test_outbox_survives_a_restart_and_delivers_in_order_once_the_receiver_is_up(tmp_path):
    port = free_port()
    outbox = Outbox(tmp_path / "q.sqlite3")
    assert [outbox.put("ORU^R01", _msg(n)) for n in range(3)] == [True] * 3
    assert outbox.put("ORU^R01", _msg(1)) is False  # a control ID is queued once
    outbox.close()

    outbox = Outbox(tmp_path / "q.sqlite3")  # a restart: the queue is still there
    sender = Deliverer(outbox, "127.0.0.1", port, timeout=2, retry=0.2, retry_max=0.5)
    sender.start()
    try:
        wait_for(lambda: outbox.head()[0] and outbox.head()[0].attempts >= 2, 10, "retries while down")
        assert outbox.counts() == {"pending": 3}
        with MllpReceiver(port) as rcv:
            wait_for(lambda: outbox.counts() == {"sent": 3}, 10, "delivery once the receiver is up")
        assert [m.split("|")[9].split("\r")[0] for m in rcv.messages] == ["ID0", "ID1", "ID2"]
    finally:
        sender.stop()
        sender.join(5)


def test_a_negative_ack_sets_the_message_aside_and_the_queue_moves_on(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    with MllpReceiver(code="AE") as rcv:
        sender = Deliverer(outbox, "127.0.0.1", rcv.port, timeout=2)
        sender.start()
        sender.enqueue("ORU^R01", _msg(1))
        sender.enqueue("ORU^R01", _msg(2))
        wait_for(lambda: outbox.counts() == {"rejected": 2}, 10, "both messages answered")
        sender.stop()
        sender.join(5)
    assert len(rcv.messages) == 2  # each sent once, never again


def test_hl7_for_new_and_amended_results():
    first = exam(1)
    assert [k for k, _ in hl7_messages(first, None, ("dft", "oru"))] == ["DFT^P03", "ORU^R01"]
    assert "|F\r" in dict(hl7_messages(first, None, ("oru",)))["ORU^R01"] + "\r"

    same_charges = exam(2)  # more instances, same coding: results corrected, no second charge
    msgs = dict(hl7_messages(same_charges, first, ("dft", "oru")))
    assert list(msgs) == ["ORU^R01"]
    obr = next(s for s in msgs["ORU^R01"].split("\r") if s.startswith("OBR"))
    assert obr.split("|")[25] == "C"

    changed = exam(3)
    changed.coding.cpt = changed.coding.cpt[:1]
    msgs = hl7_messages(changed, first, ("dft", "oru"))
    assert [k for k, _ in msgs] == ["DFT^P03 credit", "DFT^P03", "ORU^R01"]
    credit, charge = msgs[0][1], msgs[1][1]
    assert [s.split("|")[6] for s in credit.split("\r") if s.startswith("FT1")] == ["CD", "CD"]
    assert [s.split("|")[6] for s in charge.split("\r") if s.startswith("FT1")] == ["CG"]
    ids = {m.split("\r")[0].split("|")[9] for _, m in msgs}
    assert len(ids) == 3  # receivers that drop repeated control IDs still take the credit


def test_spooled_file_is_a_readable_part10_object(tmp_path):
    """What the SCP writes (preamble, file meta, dataset as received) reads back with pydicom."""

    from pynetdicom.dsutils import encode, encode_file_meta

    ds = hologic_sc("1.2.3")
    raw = encode(ds, False, True)
    meta = ds.file_meta
    meta.SourceApplicationEntityTitle = "PACS"
    Spool(tmp_path).add("1.2.3", ds.SOPInstanceUID, b"\0" * 128 + b"DICM" + encode_file_meta(meta) + raw)
    back = pydicom.dcmread(tmp_path / "incoming" / "1.2.3" / f"{ds.SOPInstanceUID}.dcm")
    assert back.SOPInstanceUID == ds.SOPInstanceUID and back.file_meta.SourceApplicationEntityTitle == "PACS"
    assert back.PixelData[:4] == bytes(range(4))


def test_a_study_with_an_encapsulated_pdf_gives_one_result(tmp_path):
    """The page's scores, the images' scans, the header's study UID; with an SR, the SR's scores."""
    pdf = (ROOT / "samples" / "pdf" / "hologic-spine-hip-pram.pdf").read_bytes()
    study = "1.2.826.0.1.3680043.8.498.601"
    page = save(encapsulated_pdf(study, pdf), tmp_path)
    forearm = save(hologic_sc(study, "ARM"), tmp_path)
    settings = load_settings(None)
    [only_page] = _study([page], settings)
    [with_image] = _study([page, forearm], settings)
    assert only_page.source.kind == "pdf" and only_page.exam.study_uid == study
    assert with_image.source.kind == "dicom-study"
    assert with_image.measurements == only_page.measurements
    assert set(with_image.exam.scans) == set(only_page.exam.scans) | {Scan.FOREARM}
    assert with_image.source.sha256 == sha256_of_hashes([sha256_file(page), sha256_file(forearm)])

    sr = save(hologic_sr(study, spine_t=-1.1), tmp_path)
    [from_sr] = _study([page, sr], settings)
    assert [m.t_score for m in from_sr.measurements] == [-1.1]


def test_dxaparse_code_reads_an_encapsulated_pdf_like_the_hook(tmp_path):
    pdf = (ROOT / "samples" / "pdf" / "ge-encore-v16.pdf").read_bytes()
    page = save(encapsulated_pdf("1.2.826.0.1.3680043.8.498.603", pdf), tmp_path)
    run = run_cli("code", str(page))
    assert run.code == 0, run.err
    [hooked] = _study([page], load_settings(None))
    assert '"kind": "pdf"' in run.out and hooked.source.path == str(page)
    assert f'"sha256": "{sha256_file(page)}"' in run.out and hooked.source.sha256 == sha256_file(page)


def test_an_unreadable_encapsulated_pdf_is_a_reason_not_a_crash(tmp_path):
    page = save(encapsulated_pdf("1.2.826.0.1.3680043.8.498.602", b"%PDF-1.4 not really"), tmp_path)
    [err] = _study([page], load_settings(None))
    assert isinstance(err, InputError) and err.reason.startswith("encapsulated PDF")


def test_a_port_in_use_stops_the_hook_with_a_reason(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        done = run_cli("pacs", "--aet", "DXAHOOK", "--host", "127.0.0.1", "--port", port, "--spool",
                       str(tmp_path / "spool"), "--store", str(tmp_path / "store.sqlite3"), timeout=60)
    assert done.code == 1
    assert "Address already in use" in done.err


def _study(paths, settings) -> list:
    """A study's objects coded as the hook codes them (in this process, without limits)."""
    return list(read_and_code(dicom_unit(paths), RunOptions(settings)))
