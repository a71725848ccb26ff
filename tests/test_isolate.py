"""Limits on coding one input (dxaparse/isolate.py, issue 15): in a child process (`Isolator`: the hook
and the watcher) and in this process (`code_here`: batch workers, `dxaparse code`). The poison
functions are in tests/_poison.py, which the children import by name."""

from __future__ import annotations

import logging
import os
import pickle
import resource
import signal
import sys
import threading
import time

import pytest

from dxaparse.code import CodingSettings, load_settings
from dxaparse.errors import INPUT_SHA256, InputError, SettingsError
from dxaparse.isolate import Cancelled, Isolator, Limits, code_here

from . import _poison

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory cap is Linux's RLIMIT_AS")
TIME = "over the time limit of 1 s (setting seconds_per_input)"
MEMORY = "over the memory limit of 256 MB (setting memory_per_worker_mb)"


@pytest.fixture
def isolator():
    made: list[Isolator] = []

    def make(seconds: float = 0, memory_mb: int = 0) -> Isolator:
        made.append(Isolator(Limits(seconds, memory_mb)))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_an_input_error_pickles_with_its_path_and_reason():
    err = pickle.loads(pickle.dumps(InputError("/in/report.pdf", "damaged PDF")))
    assert (type(err), err.path, err.reason, str(err)) == (InputError, "/in/report.pdf", "damaged PDF",
                                                           "/in/report.pdf: damaged PDF")


def test_the_limits_are_site_settings_with_safe_defaults(tmp_path):
    assert Limits.of(CodingSettings()) == Limits(120, 2048)
    site = tmp_path / "site.toml"
    site.write_text("seconds_per_input = 2.5\nmemory_per_worker_mb = 0\n")
    assert Limits.of(load_settings(site)) == Limits(2.5, 0)
    assert not Limits(0, 0) and Limits(0, 512)
    site.write_text("memory_per_worker_mb = 100\n")
    with pytest.raises(SettingsError, match=r"memory_per_worker_mb: .*at least 256 MB"):
        load_settings(site)
    site.write_text("seconds_per_input = -1\n")
    with pytest.raises(SettingsError, match="seconds_per_input"):
        load_settings(site)


# -- in a child process ---------------------------------------------------------------------------------


def test_a_slow_input_is_refused_at_the_time_limit_and_the_next_one_is_coded(isolator):
    coder = isolator(seconds=1)
    assert coder.code("/in/warm-up", _poison.pid) != [os.getpid()]  # coded in a child
    start = time.monotonic()
    (refused,) = coder.code("/in/slow.pdf", _poison.sleeps, 60)
    assert time.monotonic() - start < 5
    assert (refused.path, refused.reason) == ("/in/slow.pdf", TIME)
    start = time.monotonic()
    (refused,) = coder.code("/in/loop.pdf", _poison.spins, 60)
    assert refused.reason == TIME and time.monotonic() - start < 5
    assert coder.code("/in/good.pdf", _poison.sleeps, 0.1) == ["slept"]


@linux
def test_an_input_over_the_memory_limit_is_refused_with_the_memory_reason(isolator):
    coder = isolator(seconds=30, memory_mb=256)
    assert coder.code("/in/small", _poison.allocates, 64) == [64 * 2**20]
    (refused,) = coder.code("/in/huge", _poison.allocates, 1024)
    assert (refused.path, refused.reason) == ("/in/huge", MEMORY)
    assert coder.code("/in/small", _poison.allocates, 64) == [64 * 2**20]


@linux
def test_a_reader_that_calls_the_memory_error_damage_still_names_the_memory_limit(isolator):
    coder = isolator(seconds=30, memory_mb=256)
    damaged, other = coder.code("/in/study", _poison.yields_damaged, "/in/study/report.dcm", 1024)
    assert (damaged.path, damaged.reason) == ("/in/study/report.dcm", MEMORY)
    assert other == "another object of the study"
    assert coder.code("/in/study", _poison.yields_damaged, "/in/study/report.dcm", 1) == [
        "read", "another object of the study"]


def test_cancel_ends_the_call_at_once_and_refuses_later_ones(isolator):
    coder = isolator(seconds=120)
    coder.code("/in/warm-up", _poison.pid)
    threading.Timer(0.5, coder.cancel).start()
    start = time.monotonic()
    with pytest.raises(Cancelled):
        coder.code("/in/slow.pdf", _poison.sleeps, 60)
    assert time.monotonic() - start < 3
    with pytest.raises(Cancelled):
        coder.code("/in/next.pdf", _poison.pid)


def test_what_the_coding_raises_is_raised_here_and_the_child_goes_on(isolator):
    coder = isolator(seconds=30)
    first = coder.code("/in/a", _poison.pid)
    with pytest.raises(ValueError, match="a reader bug"):
        coder.code("/in/b", _poison.raises, "a reader bug")
    assert coder.code("/in/c", _poison.pid) == first


def test_a_child_that_crashes_refuses_its_input_and_the_next_gets_a_fresh_one(isolator, caplog):
    coder = isolator(seconds=30)
    first = coder.code("/in/a", _poison.pid)
    (refused,) = coder.code("/in/b.pdf", _poison.crashes)
    assert (refused.path, refused.reason) == ("/in/b.pdf", "the process coding it died (SIGSEGV)")
    assert "b.pdf" not in caplog.text  # file names on a share can be patients' names
    assert coder.code("/in/c", _poison.pid) != first


def test_the_childs_log_records_reach_this_process_as_its_own(isolator, caplog):
    """A reader's warning names its input by path and carries its hash, which the watcher's log filter
    uses to hide the path: both must arrive unchanged."""
    coder = isolator(seconds=30)
    with caplog.at_level(logging.WARNING):
        assert coder.code("/in/a.pdf", _poison.logs, "/in/a.pdf") == ["logged"]
    (record,) = [r for r in caplog.records if r.name == "tests.poison"]
    assert record.args == ("/in/a.pdf", "looked odd")
    assert getattr(record, INPUT_SHA256) == "ab" * 32
    assert record.process != os.getpid()


def test_without_limits_inputs_are_coded_in_the_calling_thread(isolator):
    assert isolator().code("/in/a", _poison.pid) == [os.getpid()]


# -- in this process --------------------------------------------------------------------------------------


def test_code_here_refuses_a_slow_input_at_the_time_limit_and_leaves_no_alarm():
    before = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    (refused,) = code_here(Limits(1, 0), "/in/loop.pdf", _poison.spins, 60)
    assert time.monotonic() - start < 3
    assert (refused.path, refused.reason) == ("/in/loop.pdf", TIME)
    assert code_here(Limits(1, 0), "/in/quick.pdf", _poison.spins, 0.1) != []
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@linux
def test_code_here_refuses_an_input_over_the_memory_limit_and_restores_the_limit():
    before = resource.getrlimit(resource.RLIMIT_AS)
    (refused,) = code_here(Limits(0, 256), "/in/huge", _poison.allocates, 1024)
    assert (refused.path, refused.reason) == ("/in/huge", MEMORY)
    damaged, _ = code_here(Limits(0, 256), "/in/study", _poison.yields_damaged, "/in/study/r.dcm", 1024)
    assert damaged.reason == MEMORY
    assert code_here(Limits(0, 256), "/in/small", _poison.allocates, 64) == [64 * 2**20]
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_without_a_memory_limit_running_out_of_memory_is_no_limit_of_the_site(isolator):
    """Only the time limit is set: a MemoryError is the machine's, reported as any error, not as a limit
    of 0 MB."""
    with pytest.raises(MemoryError):
        code_here(Limits(30, 0), "/in/a", _poison.runs_out_of_memory)
    with pytest.raises(MemoryError):
        isolator(seconds=30).code("/in/a", _poison.runs_out_of_memory)
