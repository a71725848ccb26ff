"""A real PACS routes studies to the hook: Orthanc on loopback, with the hook as a modality, pushes a
study through its REST API (/modalities/DXAPARSE/store) and forwards the scanner's studies by itself
with the Lua script that docs/pacs.md gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from ._pacs import HOOK_AET, Hook, comparable, free_port, hologic_sc, hologic_sr, save, send, wait_for
from .conftest import ROOT, run_cli

pytestmark = [pytest.mark.peers, pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("Orthanc"),
                                 reason="Orthanc not installed (run scripts/install-peers)")]


class Orthanc:
    """Orthanc with a throw-away config: storage in tmp, free ports, no remote access, no auth.
    Orthanc 1.10 cannot bind its ports to loopback only, hence RemoteAccessAllowed false."""

    def __init__(self, home, hook_port: int, lua: Path | None = None):
        self.home, self.http, self.dicom = home, free_port(), free_port()
        home.mkdir()
        config = {
            "Name": "dxaparse-test", "StorageDirectory": str(home / "storage"),
            "IndexDirectory": str(home / "index"), "HttpPort": self.http, "DicomPort": self.dicom,
            "DicomAet": "ORTHANC", "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "DicomModalities": {"DXAPARSE": [HOOK_AET, "127.0.0.1", hook_port]},
            "Plugins": [], "StableAge": 1, "LuaScripts": [str(lua)] if lua else [],
        }
        (home / "orthanc.json").write_text(json.dumps(config))
        self.log = (home / "orthanc.log").open("w")
        self.proc = subprocess.Popen(["Orthanc", str(home / "orthanc.json")], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(self._up, 30, "Orthanc's REST API", interval=0.2)

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"Orthanc exited: {(self.home / 'orthanc.log').read_text()[-2000:]}")
        try:
            return bool(self.get("/system"))
        except OSError:
            return False

    def _call(self, method: str, path: str, body: bytes | None = None, kind: str = "application/json"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=body, method=method,
                                     headers={"Content-Type": kind})
        with urllib.request.urlopen(req, timeout=60) as rsp:
            return json.loads(rsp.read() or b"null")

    def get(self, path: str):
        return self._call("GET", path)

    def post(self, path: str, body: bytes, kind: str = "application/json"):
        return self._call("POST", path, body, kind)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def test_orthanc_pushes_studies_to_the_hook_and_they_are_coded(tmp_path):
    pushed, forwarded, other = (f"1.2.826.0.1.3680043.8.498.20{n}" for n in (1, 2, 3))
    folder = tmp_path / "study"
    for ds in (hologic_sr(pushed, neck_t=-2.7), hologic_sc(pushed), hologic_sc(pushed, "HIP")):
        save(ds, folder)
    # Only Orthanc may send: the allow-list is part of a real routing set-up.
    with Hook(tmp_path / "hook", "--allow-aet", "ORTHANC", scu="ORTHANC") as hook:
        orthanc = Orthanc(tmp_path / "orthanc", hook.port, lua=ROOT / "docs" / "orthanc-forward-dxa.lua")
        try:
            uploaded = [orthanc.post("/instances", p.read_bytes(), "application/dicom")
                        for p in sorted(folder.iterdir())]
            assert {u["Status"] for u in uploaded} == {"Success"}
            [study_id] = {u["ParentStudy"] for u in uploaded}
            assert orthanc.post("/modalities/DXAPARSE/echo", b"{}") == {}
            job = orthanc.post("/modalities/DXAPARSE/store",
                               json.dumps({"Resources": [study_id], "Synchronous": True}).encode())
            assert job["InstancesCount"] == 3 and job["FailedInstancesCount"] == 0
            # The scanner sends to Orthanc; the Lua script forwards its study once stable, no other.
            assert send(orthanc.dicom, [hologic_sr(forwarded)], calling="APEX01", called="ORTHANC") == [0]
            assert send(orthanc.dicom, [hologic_sr(other)], calling="CT01", called="ORTHANC") == [0]
            results = {r.exam.study_uid: r for r in hook.wait_results(2)}
            [found] = orthanc.post("/tools/lookup", other.encode(), "text/plain")
            wait_for(lambda: orthanc.get(f"/studies/{found['ID']}")["IsStable"], 20, "the other study stable")
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
