"""A real PACS routes studies to the hook: Orthanc on loopback, with the hook as a modality, pushes a
study through its REST API (/modalities/DXAPARSE/store) and forwards the scanner's studies by itself
with the plugin that docs/pacs.md gives."""

from __future__ import annotations

import json
import time

from ._orthanc import Orthanc, needs_orthanc
from ._pacs import Hook, comparable, hologic_sc, hologic_sr, save, send, wait_for
from .conftest import run_cli

pytestmark = needs_orthanc


def test_orthanc_pushes_studies_to_the_hook_and_they_are_coded(tmp_path):
    pushed, forwarded, other = (f"1.2.826.0.1.3680043.8.498.20{n}" for n in (1, 2, 3))
    folder = tmp_path / "study"
    for ds in (hologic_sr(pushed, neck_t=-2.7), hologic_sc(pushed), hologic_sc(pushed, "HIP")):
        save(ds, folder)
    # Only Orthanc may send: the allow-list is part of a real routing set-up.
    with Hook(tmp_path / "hook", "--allow-aet", "ORTHANC", scu="ORTHANC") as hook:
        orthanc = Orthanc(tmp_path / "orthanc", hook.port, forward=True)
        try:
            uploaded = [orthanc.post("/instances", p.read_bytes(), "application/dicom")
                        for p in sorted(folder.iterdir())]
            assert {u["Status"] for u in uploaded} == {"Success"}
            [study_id] = {u["ParentStudy"] for u in uploaded}
            assert orthanc.post("/modalities/DXAPARSE/echo", b"{}") == {}
            job = orthanc.post("/modalities/DXAPARSE/store",
                               json.dumps({"Resources": [study_id], "Synchronous": True}).encode())
            assert job["InstancesCount"] == 3 and job["FailedInstancesCount"] == 0
            # The scanner sends to Orthanc; the plugin forwards its study once stable, no other.
            assert send(orthanc.dicom, [hologic_sr(forwarded)], calling="APEX01", called="ORTHANC") == [0]
            assert send(orthanc.dicom, [hologic_sr(other)], calling="CT01", called="ORTHANC") == [0]
            results = {r.exam.study_uid: r for r in hook.wait_results(2)}
            other_id = orthanc.study_id(other)
            wait_for(lambda: orthanc.get(f"/studies/{other_id}")["IsStable"], 20, "the other study stable")
            time.sleep(hook.quiet + 1)  # had the script forwarded it, the hook would have coded it by now
        finally:
            orthanc.stop()
        assert set(results) == {pushed, forwarded}
        assert len(hook.results()) == 2
        assert "association from AE 'ORTHANC'" in hook.log_text()
    expected = run_cli("code", str(folder))
    assert expected.code == 0, expected.err
    want = json.loads(expected.out)
    want.pop("source")
    assert comparable(results[pushed]) == want
    assert len(list((hook.spool / "done" / pushed).iterdir())) == 3
