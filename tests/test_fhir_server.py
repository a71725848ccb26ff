"""A real FHIR R4 server takes dxaparse's transaction Bundles: Medplum's FHIR router (npm, installed by
scripts/install-peers) on 127.0.0.1. Sent twice, a Bundle creates its resources once."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

from dxaparse.emit.fhir import to_fhir
from dxaparse.models import ExamResult

from ._exams import exam
from .conftest import ROOT

PEERS = ROOT / ".peers" / "fhir"
SERVER = ROOT / "tests" / "peers" / "fhir_server.mjs"
TYPES = ("Patient", "ImagingStudy", "DiagnosticReport", "Observation", "ChargeItem")

INSTALLED = shutil.which("node") and (PEERS / "node_modules" / "@medplum" / "fhir-router").is_dir()

pytestmark = [pytest.mark.peers,
              pytest.mark.skipif(not INSTALLED, reason="Node.js or Medplum's FHIR router not installed "
                                                       "(run scripts/install-peers)")]


class FhirServer:
    def __init__(self):
        version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
        major = int(version.removeprefix("v").split(".")[0])
        flags = ["--experimental-websocket"] if major < 22 else []  # Medplum wants a global WebSocket
        self.proc = subprocess.Popen(["node", *flags, str(SERVER), str(PEERS)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening "):
            self.proc.kill()
            raise AssertionError(f"FHIR server did not start: {line}{self.proc.stderr.read()[-2000:]}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def post(self, body: str) -> dict:
        req = urllib.request.Request(self.base + "/", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/fhir+json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)

    def search(self, resource_type: str, **params: str) -> list[dict]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.base}/{resource_type}{query}", timeout=60) as resp:
            found = json.load(resp)
        return [e["resource"] for e in found.get("entry", [])]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def server():
    s = FhirServer()
    yield s
    s.stop()


def _counts(server: FhirServer) -> dict[str, int]:
    return {t: len(server.search(t, _count="1000")) for t in TYPES}


def test_a_transaction_sent_twice_creates_its_resources_once(server):
    result = ExamResult.model_validate_json(
        (ROOT / "samples" / "dicom" / "ge-sr-forearm.expected.json").read_text(encoding="utf-8"))
    body = to_fhir([result], False, bundle_type="transaction")
    first = server.post(body)
    assert first["type"] == "transaction-response"
    assert {e["response"]["status"] for e in first["entry"]} == {"201"}
    counts = _counts(server)
    assert counts == {"Patient": 1, "ImagingStudy": 1, "DiagnosticReport": 1, "Observation": 16,
                      "ChargeItem": 2}
    second = server.post(body)
    assert {e["response"]["status"] for e in second["entry"]} == {"200"}  # each conditional create matched
    assert _counts(server) == counts
    (report,) = server.search("DiagnosticReport", identifier=f"urn:dicom:uid|urn:oid:{result.exam.study_uid}")
    assert report["status"] == "preliminary"
    # the server rewrote the urn:uuid references to the ids it assigned
    assert report["subject"]["reference"].startswith("Patient/")
    assert {r["reference"].split("/")[0] for r in report["result"]} == {"Observation"}
    charges = server.search("ChargeItem")
    assert [c["code"]["coding"][0]["code"] for c in charges] == ["77080", "77081"]
    assert {c["service"][0]["reference"] for c in charges} == {f"DiagnosticReport/{report['id']}"}


def test_another_result_of_the_same_study_shares_its_imaging_study(server):
    first, amended = exam(1), exam(2, exam=exam(1).exam.model_dump(mode="json"))
    server.post(to_fhir([first], False, bundle_type="transaction"))
    server.post(to_fhir([amended], False, bundle_type="transaction"))
    assert len(server.search("ImagingStudy")) == 1
    reports = server.search("DiagnosticReport", identifier=f"urn:dicom:uid|urn:oid:{first.exam.study_uid}")
    assert len(reports) == 2  # one per result version; the ImagingStudy is the study's
