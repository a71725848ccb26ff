"""Where tasks run: this process (one job), a local process pool, or a Dask cluster — all as a
`concurrent.futures.Executor` — and how they are fed: a bounded window of tasks, and the retry that
keeps one file which crashes its worker from stopping a run."""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import islice


class InlineExecutor(Executor):
    """One job: each task runs at once in this process (no worker start-up, nothing pickled)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


class RestartingPool(Executor):
    """A local process pool that starts afresh when a worker process dies (a reader's C library
    crashing on some file), so that one such file cannot stop a run. Workers ignore Ctrl-C: the
    command's process handles it."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.jobs, initializer=signal.signal,
                                   initargs=(signal.SIGINT, signal.SIG_IGN))

    def submit(self, fn, /, *args, **kwargs) -> Future:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False)
            self._pool = self._start()
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@contextmanager
def open_executor(jobs: int, dask: str | None = None) -> Iterator[tuple[Executor, int]]:
    """(executor, how many tasks it runs at once): Dask at `dask`, else `jobs` local processes."""
    if dask:
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError("--dask needs Dask: pip install 'dxaparse[dask]'") from None
        with Client(dask) as client:
            yield client.get_executor(pure=False), max(1, sum(client.nthreads().values()))
    elif jobs <= 1:
        yield InlineExecutor(), 1
    else:
        pool = RestartingPool(jobs)
        try:
            yield pool, jobs
        except BaseException:  # Ctrl-C or a failure: do not code the queued chunks first
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()


def completed(executor: Executor, fn: Callable, tasks: Iterable[list], slots: int,
              *args) -> Iterator[tuple[list, object]]:
    """(task, fn(task, *args)) as tasks finish, with about three per slot in flight: enough to keep
    every worker busy, few enough that a huge tree is never queued (nor held) all at once.

    `fn` itself never raises, so a task that fails died with its worker, taking any task beside it
    along. Those tasks are retried item by item, each alone, and only an item that fails on its own
    comes back failed: as (task, the exception). Three such items in a row stop the run: then it is
    not a file but the workers (or the cluster) that fail.
    """
    tasks = iter(tasks)
    pending: dict[Future, list] = {}
    suspects: deque = deque()
    alone: Future | None = None
    in_a_row = 0
    while True:
        if not suspects:
            for task in islice(tasks, 3 * slots - len(pending)):
                pending[executor.submit(fn, task, *args)] = task
        elif not pending:
            alone = executor.submit(fn, [item := suspects.popleft()], *args)
            pending[alone] = [item]
        if not pending:
            return
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            task, error = pending.pop(future), future.exception()
            if error is None:
                in_a_row = 0
                yield task, future.result()
            elif future is alone:
                in_a_row += 1
                if in_a_row == 3:
                    raise RuntimeError(f"worker processes keep dying ({type(error).__name__}); what was "
                                       "coded is stored, run again to resume") from error
                yield task, error
            else:
                suspects.extend(task)
