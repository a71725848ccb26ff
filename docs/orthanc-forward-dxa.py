"""Orthanc Python plugin: forward each stable study sent by a DXA scanner to the dxaparse hook, and keep
trying, with back-off, while the hook is down. docs/pacs.md explains it; tests/test_pacs_orthanc*.py run it.

Why a Python plugin: a send that fails must be tried again later, and Lua in Orthanc 1.10 (the version
Debian 12 ships) has no timer: `OnHeartBeat` came in 1.11.1, and sleeping in a Lua callback stalls every
other Lua event. A plugin thread can wait.

Each send is an asynchronous store job, so a hook that is down fails a job instead of the callback. A
failed send is sent again as a new job after `FirstRetrySeconds`, doubling up to `MaxRetrySeconds`, at
most `MaxAttempts` times; every failure and the giving up are logged. A new job rather than
/jobs/{id}/resubmit, because Orthanc forgets finished jobs past `JobsHistorySize`. At start, the last
send of each study is looked up among the jobs Orthanc kept (`SaveJobs`), and one that had failed is
sent again at once, so a restart of Orthanc loses nothing either. Sending a study twice does no harm:
the hook keeps the first copy of every instance and codes nothing again.
"""

import json
import threading

import orthanc

_SETTINGS = json.loads(orthanc.GetConfiguration()).get("DxaForward", {})
MODALITY = _SETTINGS.get("Modality", "DXAPARSE")  # the hook's entry in DicomModalities
SCANNERS = set(_SETTINGS.get("Scanners", ["APEX01"]))  # calling AE titles of the DXA scanners
FIRST_RETRY = float(_SETTINGS.get("FirstRetrySeconds", 10))
MAX_RETRY = float(_SETTINGS.get("MaxRetrySeconds", 300))
MAX_ATTEMPTS = int(_SETTINGS.get("MaxAttempts", 300))  # about a day at the default delays

_lock = threading.Lock()
_failures = {}  # Orthanc resource IDs of a send -> how many times sending them failed
_timers = {}  # the same key -> the timer of its next try
_stopped = False


def _get(uri):
    return json.loads(orthanc.RestApiGet(uri))


def _hook_aet():
    return _get("/modalities?expand")[MODALITY]["AET"]


def _from_scanner(study_id):
    """Whether the study's first instance came from a scanner (Orthanc keeps the calling AE title)."""
    first = _get(f"/studies/{study_id}/instances")[0]["ID"]
    return _get(f"/instances/{first}/metadata?expand").get("RemoteAET") in SCANNERS


def _send(resources):
    job = json.loads(orthanc.RestApiPost(f"/modalities/{MODALITY}/store",
                                         json.dumps({"Resources": list(resources), "Asynchronous": True})))
    orthanc.LogInfo(f"DxaForward: sending {', '.join(resources)} to {MODALITY} in job {job['ID']}")


def _retry(resources):
    with _lock:
        _timers.pop(resources, None)
        if _stopped:
            return
    try:
        _send(resources)
    except orthanc.OrthancException as err:  # the study was deleted meanwhile, or MODALITY removed
        with _lock:
            _failures.pop(resources, None)
        orthanc.LogError(f"DxaForward: cannot send {', '.join(resources)} to {MODALITY} again: {err}")


def _schedule(resources, error):
    with _lock:
        if _stopped or resources in _timers:
            return
        failures = _failures[resources] = _failures.get(resources, 0) + 1
        if failures >= MAX_ATTEMPTS:
            del _failures[resources]
            orthanc.LogError(f"DxaForward: giving up on {', '.join(resources)} after {failures} failed sends "
                             f"to {MODALITY} ({error}); send it again by hand (docs/pacs.md)")
            return
        delay = min(FIRST_RETRY * 2 ** (failures - 1), MAX_RETRY)
        timer = _timers[resources] = threading.Timer(delay, _retry, [resources])
        timer.daemon = True
        timer.start()
    orthanc.LogWarning(f"DxaForward: sending {', '.join(resources)} to {MODALITY} failed ({error}), "
                       f"attempt {failures} of {MAX_ATTEMPTS}; next try in {delay:g} s")


def _hook_job(job_id):
    """The job if it is a send to the hook, else None."""
    job = _get(f"/jobs/{job_id}")
    if job["Type"] == "DicomModalityStore" and job["Content"].get("RemoteAet") == _hook_aet():
        return job
    return None


def _resume():
    """After a restart: the last send of each resource set, if it failed, is tried again now."""
    last = {}
    for job in _get("/jobs?expand"):
        if job["Type"] == "DicomModalityStore" and job["Content"].get("RemoteAet") == _hook_aet():
            key = tuple(job["Content"].get("ParentResources", []))
            if key and (key not in last or job["CreationTime"] > last[key]["CreationTime"]):
                last[key] = job
    for key, job in last.items():
        if job["State"] == "Failure":
            _retry(key)


def OnChange(change_type, level, resource_id):
    global _stopped
    if change_type == orthanc.ChangeType.STABLE_STUDY and _from_scanner(resource_id):
        _send((resource_id,))
    elif change_type in (orthanc.ChangeType.JOB_FAILURE, orthanc.ChangeType.JOB_SUCCESS):
        job = _hook_job(resource_id)
        if job is None:
            return
        key = tuple(job["Content"].get("ParentResources", []))
        if change_type == orthanc.ChangeType.JOB_SUCCESS:
            with _lock:
                _failures.pop(key, None)
        elif key:
            _schedule(key, job.get("ErrorDetails") or job.get("ErrorDescription"))
    elif change_type == orthanc.ChangeType.ORTHANC_STARTED:
        _resume()
    elif change_type == orthanc.ChangeType.ORTHANC_STOPPED:
        with _lock:
            _stopped = True
            for timer in _timers.values():
                timer.cancel()


orthanc.RegisterOnChangeCallback(OnChange)
