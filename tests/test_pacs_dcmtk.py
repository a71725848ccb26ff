"""The PACS hook against dcmtk's echoscu and storescu, and against misbehaving pynetdicom peers.

Each test starts `dxaparse pacs` as a subprocess on a free port on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from pynetdicom import AE
from pynetdicom import sop_class as sc

from ._pacs import (
    CT_IMAGE,
    HOOK_AET,
    Hook,
    comparable,
    ct_image,
    echo,
    encapsulated_pdf,
    hologic_sc,
    hologic_sr,
    save,
    send,
    wait_for,
)
from .conftest import ROOT, run_cli

pytestmark = [pytest.mark.peers,
              pytest.mark.skipif(not shutil.which("storescu"),
                                 reason="dcmtk not installed (run scripts/install-peers)")]


SAMPLES = ROOT / "samples" / "dicom"


@pytest.fixture
def hook(tmp_path):
    with Hook(tmp_path / "hook") as h:
        yield h


def dcmtk(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def test_echoscu_verifies_the_hook(hook):
    done = dcmtk("echoscu", "-aet", "ECHOSCU", "-aec", HOOK_AET, "127.0.0.1", str(hook.port))
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_storescu_sends_the_samples_and_results_match_dxaparse_code(hook, tmp_path):
    """Every bundled DICOM sample (SR, image and mixed studies) and a PDF report sent as Encapsulated PDF:
    one result per study, each what `dxaparse code` gives for the same objects (for the PDF study: for
    the PDF it wraps; the hook fills from the DICOM header what the page does not say, the study UID)."""
    units = sorted(p for p in SAMPLES.iterdir() if p.is_dir() or p.suffix == ".dcm")
    pdf = ROOT / "samples" / "pdf" / "hologic-spine-hip-pram.pdf"
    pdf_study = "1.2.826.0.1.3680043.8.498.103"
    wrapped = save(encapsulated_pdf(pdf_study, pdf.read_bytes()), tmp_path / "pdf")
    for source in (SAMPLES, wrapped):
        done = dcmtk("storescu", "-aet", "STORESCU", "-aec", HOOK_AET, "+sd", "+r", "+sp", "*.dcm",
                     "127.0.0.1", str(hook.port), str(source))
        assert done.returncode == 0, done.stderr

    expected = run_cli("code", *map(str, units), str(pdf))
    assert expected.code == 0, expected.err
    *want_dicom, want_pdf = json.loads(expected.out)
    stored = {r.exam.study_uid: r for r in hook.wait_results(len(units) + 1)}
    assert len(stored) == len(units) + 1
    for want in want_dicom:
        got = stored[want["exam"]["study_uid"]]
        assert got.source.path == str(hook.spool / "done" / want["exam"]["study_uid"])
        want.pop("source")
        assert comparable(got) == want
    got = stored[pdf_study]
    assert got.source.kind == "pdf" and got.exam.study_uid == pdf_study
    assert (got.model_dump(mode="json")["measurements"], got.model_dump(mode="json")["coding"]) == \
        (want_pdf["measurements"], want_pdf["coding"])
    wait_for(hook.settled, 10, "every study to be coded")
    assert not list((hook.spool / "failed").iterdir())


def test_an_unsupported_sop_class_is_refused_at_negotiation(hook, tmp_path):
    ct = save(ct_image("1.2.826.0.1.3680043.8.498.104"), tmp_path)
    done = dcmtk("storescu", "-R", "-aec", HOOK_AET, "127.0.0.1", str(hook.port), str(ct))
    assert done.returncode != 0
    assert "No Acceptable Presentation Contexts" in done.stderr

    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(CT_IMAGE)
    ae.add_requested_context(sc.Verification)
    assoc = ae.associate("127.0.0.1", hook.port, ae_title=HOOK_AET)
    try:
        assert [cx.abstract_syntax for cx in assoc.accepted_contexts] == [sc.Verification]
        assert [cx.result for cx in assoc.rejected_contexts] == [0x03]  # abstract syntax not supported
    finally:
        assoc.release()
    wait_for(lambda: "CT Image Storage are not DXA objects" in hook.log_text(), 5, "the reason in the log")
    assert echo(hook.port) == 0x0000


def test_malformed_and_inconsistent_datasets_get_error_statuses_and_the_hook_goes_on(hook, tmp_path):
    good = hologic_sc("1.2.826.0.1.3680043.8.498.105")
    cut = save(hologic_sc("1.2.826.0.1.3680043.8.498.105"), tmp_path, "cut.dcm")
    cut.write_bytes(cut.read_bytes()[:-20])  # pixel data runs past the end of the dataset
    no_study = hologic_sc("1.2.826.0.1.3680043.8.498.105")
    del no_study.StudyInstanceUID

    assert send(hook.port, [cut, no_study, good]) == [0xC210, 0xA900, 0x0000]
    log = hook.log_text()
    assert "malformed: a value runs past the end of the file" in log
    assert "the dataset lacks StudyInstanceUID" in log
    assert echo(hook.port) == 0x0000
    assert len(list(hook.spool.glob("*/*/*.dcm"))) == 1


def test_duplicates_are_stored_once(hook):
    study = "1.2.826.0.1.3680043.8.498.106"
    sr = hologic_sr(study)
    assert send(hook.port, [sr, sr]) == [0, 0]
    hook.wait_results(1)
    assert send(hook.port, [sr]) == [0]  # the same instance again after coding: no new result
    assert len(list(hook.spool.glob(f"*/{study}/*.dcm"))) == 1
    assert "1 duplicates, 1 stored" in hook.log_text()
    wait_for(hook.settled, 5, "the spool to settle")
    assert len(hook.results()) == 1


def test_an_aborted_association_keeps_what_was_acknowledged(hook):
    study = "1.2.826.0.1.3680043.8.498.107"
    ae = AE(ae_title="ABORTER")
    ae.add_requested_context(sc.EnhancedSRStorage)
    ae.add_requested_context(sc.SecondaryCaptureImageStorage)
    assoc = ae.associate("127.0.0.1", hook.port, ae_title=HOOK_AET)
    assert assoc.send_c_store(hologic_sr(study)).Status == 0
    assoc.abort()
    [result] = hook.wait_results(1)
    assert result.exam.study_uid == study
    assert "aborted (1 stored)" in hook.log_text()
    assert echo(hook.port) == 0x0000


def test_calling_ae_allow_list(tmp_path):
    with Hook(tmp_path / "hook", "--allow-aet", "PACSA", "--allow-aet", "SCANNER1", scu="PACSA") as hook:
        ok = dcmtk("echoscu", "-aet", "SCANNER1", "-aec", HOOK_AET, "127.0.0.1", str(hook.port))
        assert ok.returncode == 0, ok.stderr
        refused = dcmtk("echoscu", "-aet", "STRANGER", "-aec", HOOK_AET, "127.0.0.1", str(hook.port))
        assert refused.returncode != 0
        assert "Calling AE Title Not Recognized" in refused.stderr
        wait_for(lambda: "AE 'STRANGER'" in hook.log_text(), 5, "the rejection in the log")
        assert "calling AE title not recognised" in hook.log_text()
        assert echo(hook.port, calling="PACSA") == 0x0000
