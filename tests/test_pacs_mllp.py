"""Result delivery from the hook over MLLP: wait for the ACK, queue persistently while the receiver is
down (across a restart), and send an amended result as a correction, not as a second charge."""

from __future__ import annotations

import sqlite3

import pytest

from ._pacs import Hook, MllpReceiver, free_port, hologic_sc, hologic_sr, send, site_config, wait_for

pytestmark = pytest.mark.slow


def _outbox(hook: Hook) -> list[tuple[str, int]]:
    path = hook.store.with_name(hook.store.name + ".mllp-outbox")
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT state, attempts FROM outbox ORDER BY id").fetchall()


def test_results_wait_for_a_down_receiver_and_amendments_are_corrections(tmp_path):
    study = "1.2.826.0.1.3680043.8.498.401"
    mllp_port = free_port()
    options = ("--mllp", f"127.0.0.1:{mllp_port}", "--mllp-retry", "0.3", "--mllp-timeout", "5",
               "--config", str(site_config(tmp_path)))
    with Hook(tmp_path / "hook", *options) as hook:
        assert send(hook.port, [hologic_sr(study), hologic_sc(study)]) == [0, 0]
        [first] = hook.wait_results(1)
        wait_for(lambda: [a for _, a in _outbox(hook)][:1] >= [2], 10, "delivery attempts while down")
        assert {state for state, _ in _outbox(hook)} == {"pending"}
        assert "not delivered" in hook.log_text()

    with MllpReceiver(mllp_port) as receiver, Hook(tmp_path / "hook", *options, port=hook.port) as hook:
        wait_for(lambda: len(receiver.messages) == 2, 15, "the queued messages after the restart")
        assert receiver.kinds() == ["DFT^P03 CG", "ORU^R01 F"]

        assert send(hook.port, [hologic_sc(study, "HIP")]) == [0]  # a late instance: amended result
        results = hook.wait_results(2)
        wait_for(lambda: len(receiver.messages) == 3, 15, "the corrected result")
        # the receiver has the message before the hook has read its ACK and marked it sent
        wait_for(lambda: {state for state, _ in _outbox(hook)} == {"sent"}, 10, "every message marked sent")
    amended = results[1]
    assert amended.exam.study_uid == first.exam.study_uid and amended.source.sha256 != first.source.sha256
    charges = [[(c.code, c.modifiers) for c in r.coding.cpt] for r in (first, amended)]
    assert charges[0] == charges[1]
    assert receiver.kinds()[2] == "ORU^R01 C"  # same charges: corrected results, no second charge
    assert f" {amended.source.sha256[:12]} coded amended " in hook.log_text()  # the line names the exam


def test_a_held_exam_sends_preliminary_results_and_its_charge_only_once_released(tmp_path, cli):
    """A site that bills released exams only: the study is held. The hook sends its results as
    preliminary and no charge; `dxaparse release`, another process, queues the charge and the final
    results in the hook's outbox, and the running hook delivers them."""
    study = "1.2.826.0.1.3680043.8.498.402"
    mllp_port = free_port()
    config = site_config(tmp_path, 'timely_filing_months = 0\nbill_ready_exams = "on-release"\n')
    options = ("--mllp", f"127.0.0.1:{mllp_port}", "--mllp-retry", "0.3", "--mllp-timeout", "5",
               "--config", str(config))
    with MllpReceiver(mllp_port) as receiver, Hook(tmp_path / "hook", *options) as hook:
        assert send(hook.port, [hologic_sr(study), hologic_sc(study)]) == [0, 0]
        [held] = hook.wait_results(1)
        assert held.billing.status == "held"
        assert [h.reason for h in held.billing.holds] == ["release_required"]
        wait_for(lambda: len(receiver.messages) == 1, 15, "the preliminary results")
        assert receiver.kinds() == ["ORU^R01 P"]

        run = cli("release", "--store", str(hook.store), held.source.sha256[:12], "--by", "coder1",
                  "--note", "payer accepts late claims")
        assert run.code == 0, run.err
        assert "queued in" in run.err
        wait_for(lambda: len(receiver.messages) == 3, 15, "the released charge and final results")
        assert receiver.kinds()[1:] == ["DFT^P03 CG", "ORU^R01 F"]
        [released] = [r for r in hook.results() if r.source.sha256 == held.source.sha256]
        assert released.billing.status == "released" and released.billing.release.by == "coder1"
        assert released.billing.holds == held.billing.holds  # the record of why it waited

        again = cli("release", "--store", str(hook.store), held.source.sha256)
        assert again.code == 2 and "released, not held" in again.err
