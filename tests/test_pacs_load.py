"""The hook under load and under a crash: many concurrent associations, and kill -9 mid-transfer."""

from __future__ import annotations

import random
import threading
import time

import pytest
from pydicom.filereader import read_file_meta_info

from dxaparse.read.files import sha256_file, sha256_of_hashes

from ._pacs import Hook, hologic_sc, hologic_sr, send, wait_for

pytestmark = pytest.mark.slow


def _study(uid: str, images: int) -> list:
    return [hologic_sr(uid, neck_t=-1.8)] + [hologic_sc(uid, ("LSPINE", "HIP")[n % 2]) for n in range(images)]


def _content_hash(folder) -> str:
    return sha256_of_hashes([sha256_file(p) for p in folder.glob("*.dcm")])


def test_ten_concurrent_associations_500_instances_each_study_coded_once(tmp_path):
    studies = [f"1.2.826.0.1.3680043.8.498.30{n}" for n in range(5)]
    instances = [ds for uid in studies for ds in _study(uid, 99)]
    random.Random(8).shuffle(instances)  # every association carries parts of every study
    chunks = [instances[n::10] for n in range(10)]
    statuses: list[list] = [[] for _ in chunks]
    # quiet: longer than any pause of a loaded 2-core machine between two instances of one study
    with Hook(tmp_path / "hook", "--max-associations", "16", quiet=8) as hook:
        threads = [threading.Thread(target=lambda n=n: statuses[n].extend(send(hook.port, chunks[n])))
                   for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert [s for chunk in statuses for s in chunk] == [0] * 500
        results = hook.wait_results(5, timeout=60)
        wait_for(hook.settled, 30, "every study to be coded")
    assert sorted(r.exam.study_uid for r in results) == studies  # each study exactly once
    for result in results:
        folder = hook.spool / "done" / result.exam.study_uid
        assert len(list(folder.glob("*.dcm"))) == 100
        assert result.source.sha256 == _content_hash(folder)  # the result covers all 100 instances
    assert "amended" not in hook.log_text()


def test_kill_9_mid_transfer_then_restart_processes_every_acknowledged_instance(tmp_path):
    study = "1.2.826.0.1.3680043.8.498.310"
    instances = _study(study, 39)
    hook = Hook(tmp_path / "hook", quiet=1.5).start()

    def kill_after_15(n: int, status) -> None:
        if n == 14:
            hook.kill()
            time.sleep(0.3)  # lets the SCU see the connection drop (else its next C-STORE waits it out)
    try:
        statuses = send(hook.port, instances, after=kill_after_15)
    finally:
        hook.stop()  # only if the kill did not happen
    assert statuses[:15] == [0] * 15 and set(statuses[15:]) == {None}
    acknowledged = {ds.SOPInstanceUID for ds, s in zip(instances, statuses, strict=True) if s == 0}
    assert not hook.results()  # killed before the study went quiet

    with Hook(tmp_path / "hook", quiet=1.5) as again:
        [result] = again.wait_results(1)
        wait_for(again.settled, 10, "the spool to settle")
    folder = again.spool / "done" / study
    kept = {read_file_meta_info(p).MediaStorageSOPInstanceUID for p in folder.glob("*.dcm")}
    assert acknowledged <= kept
    assert result.source.sha256 == _content_hash(folder)
    assert not list(again.spool.rglob("*.tmp"))
