"""Orthanc forwards DXA studies while the hook is down: the plugin docs/pacs.md gives (loaded by a real
Orthanc on loopback) tries again with back-off, so the study is coded once the hook is back, exactly once;
also after Orthanc itself restarted meanwhile; and it gives up after its bounded number of tries. And
docs/pacs.md quotes the plugin and its settings as the tests load them."""

from __future__ import annotations

import json
import re
import time

from ._orthanc import FORWARD_PLUGIN, Orthanc, needs_orthanc
from ._pacs import ROOT, Hook, hologic_sc, hologic_sr, send, wait_for


def orthanc_test(test):
    """The marks of a test that runs a real Orthanc (the docs test below needs none)."""
    for mark in needs_orthanc:
        test = mark(test)
    return test


def _scanner_sends(orthanc: Orthanc, study: str) -> None:
    assert send(orthanc.dicom, [hologic_sr(study), hologic_sc(study)], calling="APEX01",
                called="ORTHANC") == [0, 0]


def _failed_sends(orthanc: Orthanc, n: int) -> None:
    wait_for(lambda: len(orthanc.hook_jobs("Failure")) >= n, 30, f"{n} failed sends to the hook")


@orthanc_test
def test_a_study_forwarded_while_the_hook_is_down_is_coded_once_it_is_back(tmp_path):
    study = "1.2.826.0.1.3680043.8.498.301"
    hook = Hook(tmp_path / "hook", "--allow-aet", "ORTHANC", scu="ORTHANC")  # its port, nobody listening
    orthanc = Orthanc(tmp_path / "orthanc", hook.port, forward=True)
    try:
        _scanner_sends(orthanc, study)
        _failed_sends(orthanc, 2)  # sent once stable, failed, and tried again
        assert "Connection refused" in orthanc.log_text()
        assert "DxaForward: sending" in orthanc.log_text() and "next try in" in orthanc.log_text()
        with hook:
            [result] = hook.wait_results(1, timeout=30)
            assert result.exam.study_uid == study
            assert orthanc.hook_jobs("Success")
            tries = len(orthanc.hook_jobs())
            # Sent again by hand: the hook already holds every instance, so nothing is coded again.
            again = orthanc.post("/modalities/DXAPARSE/store", json.dumps(
                {"Resources": [orthanc.study_id(study)], "Synchronous": True}).encode())
            assert again["InstancesCount"] == 2 and again["FailedInstancesCount"] == 0
            time.sleep(hook.quiet + 1.5)
            assert len(hook.results()) == 1
            assert len(orthanc.hook_jobs()) == tries + 1  # that one; the plugin stopped trying on success
    finally:
        orthanc.stop()
    assert len(list((hook.spool / "done" / study).iterdir())) == 2


@orthanc_test
def test_a_failed_send_survives_a_restart_of_orthanc(tmp_path):
    study = "1.2.826.0.1.3680043.8.498.302"
    hook = Hook(tmp_path / "hook")
    # Slow retries: only the restart can bring the study to the hook within the test's time.
    orthanc = Orthanc(tmp_path / "orthanc", hook.port, forward=True,
                      DxaForward={"FirstRetrySeconds": 600, "MaxRetrySeconds": 600})
    try:
        _scanner_sends(orthanc, study)
        _failed_sends(orthanc, 1)
        orthanc.stop()
        with hook:
            orthanc.start()  # the jobs Orthanc saved say the last send failed: the plugin sends again
            [result] = hook.wait_results(1, timeout=30)
            assert result.exam.study_uid == study
    finally:
        orthanc.stop()


@orthanc_test
def test_the_plugin_gives_up_after_max_attempts(tmp_path):
    hook = Hook(tmp_path / "hook")
    orthanc = Orthanc(tmp_path / "orthanc", hook.port, forward=True,
                      DxaForward={"FirstRetrySeconds": 0.2, "MaxRetrySeconds": 0.2, "MaxAttempts": 3})
    try:
        _scanner_sends(orthanc, "1.2.826.0.1.3680043.8.498.303")
        wait_for(lambda: "giving up" in orthanc.log_text(), 30, "the plugin to give up")
        time.sleep(1)  # five retry delays: no further try
        assert len(orthanc.hook_jobs("Failure")) == 3
    finally:
        orthanc.stop()


def test_the_docs_quote_the_plugin_and_its_settings_as_they_are():
    doc = (ROOT / "docs" / "pacs.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w*)\n(.*?)```", doc, re.S)
    assert ("python", FORWARD_PLUGIN.read_text(encoding="utf-8")) in blocks
    [config] = [json.loads(text) for kind, text in blocks if kind == "json" and '"PythonScript"' in text]
    assert config["PythonScript"].endswith(FORWARD_PLUGIN.name)
    assert config["Plugins"] == ["/usr/share/orthanc/plugins/libOrthancPython.so"]
    settings = re.findall(r'_SETTINGS\.get\("(\w+)"', FORWARD_PLUGIN.read_text(encoding="utf-8"))
    assert set(config["DxaForward"]) == set(settings)
    assert config["JobsHistorySize"] > 10 and config["SaveJobs"] is True
