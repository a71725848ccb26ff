"""Limits on coding one input — seconds and memory — so that one poison report cannot stall a service.

A report can be valid and still take minutes or gigabytes to read (a PDF of 150,000 tiny words, a
page-sized image). The site's settings `seconds_per_input` and `memory_per_worker_mb` bound that; an
input over a limit is refused with a reason naming the limit and its setting, like any bad input.

Where the coding runs decides how the limits are kept:

- `Isolator` codes in a child process of its own, which the caller kills at the time limit: the PACS
  hook's workers and the folder watcher run threads, and only a process can be stopped from outside
  whatever it is doing, inside a C library too; `cancel` ends it at once when the service stops.
- `code_here` codes in this process, under SIGALRM: a batch worker process and `dxaparse code`, which
  code in their main thread and must not pay for a second process per input.

Memory is capped with RLIMIT_AS at the address space the process holds when the input starts plus
`memory_mb`: what an input may take on top of the loaded program, whose own size varies with the
libraries and the machine (a numerical library reserves address space per core). Linux only: other
systems do not keep RLIMIT_AS or cannot tell the current size, and there the cap is not applied.

Cheap to import (`dxaparse code` imports it): what only the children and their parents need
(multiprocessing, pickle) is imported where it is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import resource
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import InputError, OverLimit

if TYPE_CHECKING:
    from .code import CodingSettings
    from .models import ExamResult

    Items = list[ExamResult | InputError]

log = logging.getLogger(__name__)

PRELOAD = ("dxaparse.pipeline", "dxaparse.read.dicom", "dxaparse.read.pdf")
"""Imported once by the fork server that starts the children, so that a child starts in milliseconds
instead of importing the readers again."""
CPU_GRACE = 5
"""Seconds of CPU past the time limit after which a child ends itself (SIGXCPU): the parent kills it
at the limit, but nobody does once the parent has died."""


class Limits(NamedTuple):
    """The limits on coding one input (a file, or a DICOM study); 0 means no limit. A named tuple, not
    a dataclass: `dxaparse code` imports this module, and a dataclass takes milliseconds to build."""

    seconds: float = 0.0
    memory_mb: int = 0

    @classmethod
    def of(cls, settings: CodingSettings) -> Limits:
        return cls(settings.seconds_per_input, settings.memory_per_worker_mb)

    def __bool__(self) -> bool:
        return bool(self.seconds or self.memory_mb)

    @property
    def time_reason(self) -> str:
        return f"over the time limit of {self.seconds:g} s (setting seconds_per_input)"

    @property
    def memory_reason(self) -> str:
        return f"over the memory limit of {self.memory_mb} MB (setting memory_per_worker_mb)"


class OverTime(BaseException):
    """Raised by the alarm of `code_here`. Not an `Exception`, so that a reader's `except Exception`
    (which turns a library's error into "damaged file") cannot take it for a fault of the input."""


class Cancelled(BaseException):
    """`Isolator.cancel` ended the call: the service is stopping, and the input was not coded. Not an
    `Exception`, so that a caller's `except Exception` (a reader bug must not stop a service) lets it
    through, as it would KeyboardInterrupt."""


# -- in this process ------------------------------------------------------------------------------------


def code_here(limits: Limits, path: str | Path, fn: Callable[..., Iterable], *args, **kwargs) -> Items:
    """`list(fn(*args, **kwargs))` in this process under `limits`; over one, `[InputError(path, reason)]`.

    The alarm needs the main thread: in any other (a Dask worker's threads) neither limit is applied,
    as a memory cap would hold the process's other threads too."""
    if not limits or threading.current_thread() is not threading.main_thread():
        return list(fn(*args, **kwargs))
    try:
        with _memory_cap(limits.memory_mb), _alarm(limits.seconds):
            items = list(fn(*args, **kwargs))
    except OverTime:
        return [OverLimit(path, limits.time_reason)]
    except MemoryError:
        if not limits.memory_mb:  # the machine's memory ran out, not the input's share of it
            raise
        return [OverLimit(path, limits.memory_reason)]
    return _memory_named(items, limits)


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    if not seconds:
        yield
        return
    armed = True

    def ring(signum, frame) -> None:
        if armed:  # a signal handled after the input finished must not hit the code after it
            raise OverTime

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _address_space() -> int | None:
    """Bytes of address space this process holds now; None where the system cannot say."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _memory_cap(mb: int) -> contextlib.AbstractContextManager:
    now = _address_space() if mb else None
    return contextlib.nullcontext() if now is None else _soft_limit(resource.RLIMIT_AS, now + mb * 2**20)


@contextlib.contextmanager
def _soft_limit(kind: int, value: int) -> Iterator[None]:
    """The soft resource limit `kind` at `value` (at most the hard one) while inside, then as it was."""
    soft, hard = resource.getrlimit(kind)
    resource.setrlimit(kind, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(kind, (soft, hard))


def _memory_named(items: Items, limits: Limits) -> Items:
    """Readers turn their libraries' errors into an `InputError` (a MemoryError in a PDF parser reads as
    "damaged PDF"); one raised from or while handling a MemoryError is over the memory limit."""
    if not limits.memory_mb:
        return items
    return [OverLimit(i.path, limits.memory_reason) if isinstance(i, InputError) and _from_memory(i) else i
            for i in items]


def _from_memory(err: BaseException | None) -> bool:
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, MemoryError):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


# -- in a child process ---------------------------------------------------------------------------------


class Isolator:
    """Codes inputs one at a time in a child process of its own (kept for the next input), under
    `limits`. One per thread that codes; `cancel` may come from any thread.

    The child is started by a fork server (multiprocessing's "forkserver"): forking the calling
    process itself is unsafe while it runs threads. Log records of the child are handled by this
    process's loggers, so its log lines look, and are filtered, like the caller's. With no limit at
    all, inputs are coded in the calling thread, as they were before limits existed."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._proc = None
        self._conn = None
        self._lock = threading.Lock()
        self._cancelled = False

    def code(self, path: str | Path, fn: Callable[..., Iterable], *args, **kwargs) -> Items:
        """`list(fn(*args, **kwargs))` coded in the child (`fn` and the arguments must pickle: a module's
        function, a `functools.partial` of one); over a limit, `[InputError(path, reason)]`. What `fn`
        raises is raised here; `Cancelled` when `cancel` ended the call."""
        if not self.limits:
            return list(fn(*args, **kwargs))
        from multiprocessing.connection import wait

        proc, conn = self._child()
        try:
            conn.send((fn, args, kwargs))
        except OSError:  # the child is gone: cancelled, or killed by someone else
            return self._died(path, proc)
        deadline = time.monotonic() + self.limits.seconds if self.limits.seconds else None
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not wait([conn, proc.sentinel], left):
                self._discard()
                if self._cancelled:
                    raise Cancelled
                return [OverLimit(path, self.limits.time_reason)]
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                return self._died(path, proc)
            if kind == "log":
                logging.getLogger(value.name).handle(value)
            elif kind == "done":
                return value
            elif kind == "memory":
                self._discard()  # a process that ran out of memory may be left in any state
                return [OverLimit(path, self.limits.memory_reason)]
            else:
                raise value

    def cancel(self) -> None:
        """End the call in progress now, and refuse later ones (`Cancelled`): the service is stopping.
        Only kills the child: the thread that owns this isolator cleans up."""
        with self._lock:
            self._cancelled = True
            proc = self._proc
        if proc:
            proc.kill()

    def close(self) -> None:
        """Let the child go (from the owning thread, once done with it)."""
        self._discard()

    def _child(self):
        """The child, started if need be. Not under the lock: the first start also starts the fork
        server (a second or more), and `cancel` must not wait for it."""
        with self._lock:
            if self._cancelled:
                raise Cancelled
            if self._proc is not None:
                return self._proc, self._conn
        ctx = _context()
        here, there = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(there, _log_setup(), self.limits), daemon=True,
                           name="dxaparse-coder")
        proc.start()
        there.close()
        with self._lock:
            self._proc, self._conn = proc, here
            cancelled = self._cancelled
        if cancelled:
            self._discard()
            raise Cancelled
        return proc, here

    def _discard(self) -> None:
        with self._lock:
            proc, conn, self._proc, self._conn = self._proc, self._conn, None, None
        if proc:
            proc.kill()
            proc.join()
            conn.close()

    def _died(self, path: str | Path, proc) -> Items:
        """The child ended without an answer: cancelled, over the CPU backstop, or crashed on the input
        (in a C library); a crash is the input's reason, as the batch's "worker process died"."""
        self._discard()
        if self._cancelled:
            raise Cancelled
        code = proc.exitcode
        if code == -signal.SIGXCPU:
            return [OverLimit(path, self.limits.time_reason)]
        how = signal.Signals(-code).name if code and code < 0 else f"exit status {code}"
        log.warning("a coding process died (%s)", how)
        return [InputError(path, f"the process coding it died ({how})")]


def _context():
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))
    return ctx


def _log_setup() -> tuple:
    """What the child needs to log as this process does: the root level, the levels set on named
    loggers (the hook quietens pynetdicom and pydicom), and the warning filters (pydicom's warnings
    quote values: patient data)."""
    levels = {name: lg.level for name, lg in list(logging.root.manager.loggerDict.items())
              if isinstance(lg, logging.Logger) and lg.level}
    return logging.root.level, levels, list(warnings.filters)


def _serve(conn, setup: tuple, limits: Limits) -> None:
    """The child: code what the parent sends until the pipe closes. SIGINT and SIGTERM are the parent's
    to act on (a terminal's Ctrl-C and systemd's stop reach every process of the service): a child
    ending on them would fail the input it was coding instead of leaving it for the next start."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    level, levels, filters = setup
    root = logging.getLogger()
    root.handlers[:] = [_ToParent(conn)]
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)
    warnings.resetwarnings()
    for action, message, category, module, lineno in reversed(filters):
        warnings.filterwarnings(action, _pattern(message), category, _pattern(module), lineno)
    while True:
        try:
            fn, args, kwargs = conn.recv()
        except EOFError:
            return
        answer = _run(limits, fn, args, kwargs)
        try:
            conn.send(answer)
        except Exception as err:  # a result that does not pickle
            conn.send(("raised", _portable(err)))


def _pattern(value: re.Pattern | str | None) -> str:
    """A warning filter's message or module as `filterwarnings` takes it: `filterwarnings` compiles
    them, Python's own default filters hold a plain module name that must match whole."""
    if value is None:
        return ""
    return value.pattern if isinstance(value, re.Pattern) else re.escape(value) + r"\Z"


def _run(limits: Limits, fn: Callable[..., Iterable], args: tuple, kwargs: dict) -> tuple[str, object]:
    try:
        with _memory_cap(limits.memory_mb), _cpu_backstop(limits.seconds):
            items = list(fn(*args, **kwargs))
    except MemoryError as err:
        return ("memory", None) if limits.memory_mb else ("raised", _portable(err))
    except Exception as err:
        log.debug("coding raised %s", type(err).__name__, exc_info=True)
        return "raised", _portable(err)
    return "done", _memory_named(items, limits)


def _cpu_backstop(seconds: float) -> contextlib.AbstractContextManager:
    if not seconds:
        return contextlib.nullcontext()
    used = resource.getrusage(resource.RUSAGE_SELF)
    return _soft_limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime + seconds) + CPU_GRACE)


def _portable(err: Exception) -> Exception:
    """`err` if it survives the trip to the parent, else a RuntimeError naming it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


class _ToParent(logging.Handler):
    """Sends the child's log records to the parent, which handles them with its own loggers."""

    def __init__(self, conn):
        super().__init__()
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        import copy
        import pickle

        try:
            record = copy.copy(record)
            if record.exc_info:  # tracebacks do not pickle: their text does
                record.exc_text = logging.Formatter().formatException(record.exc_info)
                record.exc_info = None
            try:
                pickle.dumps(record.args)
            except Exception:
                record.msg, record.args = record.getMessage(), None
            self.conn.send(("log", record))
        except Exception:
            self.handleError(record)
