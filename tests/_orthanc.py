"""A real Orthanc for the PACS hook tests, loading the forwarding plugin that docs/pacs.md gives
(docs/orthanc-forward-dxa.py, the file itself, so the docs and the tests cannot drift)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from ._pacs import HOOK_AET, ROOT, free_port, wait_for

FORWARD_PLUGIN = ROOT / "docs" / "orthanc-forward-dxa.py"
PYTHON_PLUGIN = next((p for p in (Path("/usr/share/orthanc/plugins/libOrthancPython.so"),
                                  Path("/usr/lib/orthanc/libOrthancPython.so")) if p.exists()), None)

needs_orthanc = [
    pytest.mark.peers, pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("Orthanc") or PYTHON_PLUGIN is None,
                       reason="Orthanc or orthanc-python not installed (run scripts/install-peers)"),
]


class Orthanc:
    """Orthanc with a throw-away config: storage in tmp, free ports, no remote access, no auth, the hook
    as modality DXAPARSE. Orthanc 1.10 cannot bind its ports to loopback only, hence RemoteAccessAllowed
    false. With `forward`, the plugin runs with retry delays short enough for a test."""

    def __init__(self, home: Path, hook_port: int, forward: bool = False, **settings):
        self.home, self.http, self.dicom = home, free_port(), free_port()
        home.mkdir(exist_ok=True)
        self.config = {
            "Name": "dxaparse-test", "StorageDirectory": str(home / "storage"),
            "IndexDirectory": str(home / "index"), "HttpPort": self.http, "DicomPort": self.dicom,
            "DicomAet": "ORTHANC", "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "DicomModalities": {"DXAPARSE": [HOOK_AET, "127.0.0.1", hook_port]},
            "Plugins": [], "StableAge": 1,
        }
        if forward:
            self.config |= {"Plugins": [str(PYTHON_PLUGIN)], "PythonScript": str(FORWARD_PLUGIN),
                            "DxaForward": {"FirstRetrySeconds": 0.5, "MaxRetrySeconds": 1}}
        self.config |= settings
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        (self.home / "orthanc.json").write_text(json.dumps(self.config))
        # The plugin's embedded Python must not pick up the test run's own interpreter settings.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        with (self.home / "orthanc.log").open("a") as log:
            self.proc = subprocess.Popen(["Orthanc", str(self.home / "orthanc.json")], stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        wait_for(self._up, 30, "Orthanc's REST API", interval=0.2)

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"Orthanc exited: {self.log_text()[-2000:]}")
        try:
            return bool(self.get("/system"))
        except OSError:
            return False

    def log_text(self) -> str:
        return (self.home / "orthanc.log").read_text(errors="replace")

    def _call(self, method: str, path: str, body: bytes | None = None, kind: str = "application/json"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=body, method=method,
                                     headers={"Content-Type": kind})
        with urllib.request.urlopen(req, timeout=60) as rsp:
            return json.loads(rsp.read() or b"null")

    def get(self, path: str):
        return self._call("GET", path)

    def post(self, path: str, body: bytes, kind: str = "application/json"):
        return self._call("POST", path, body, kind)

    def study_id(self, study_uid: str) -> str:
        [found] = self.post("/tools/lookup", study_uid.encode(), "text/plain")
        return found["ID"]

    def hook_jobs(self, state: str | None = None) -> list[dict]:
        """The store jobs to the hook that Orthanc knows of (in `state`, if given)."""
        return [j for j in self.get("/jobs?expand") if j["Type"] == "DicomModalityStore"
                and j["Content"]["RemoteAet"] == HOOK_AET and state in (None, j["State"])]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
