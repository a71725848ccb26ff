"""Back-filling a store from a tree of archived reports (`dxaparse batch`, docs/batch.md).

`plan` walks the tree and groups files into units of work (a PDF, a findings JSON, the objects of one
DICOM study wherever they sit in the tree), `work` holds the functions the workers run, `runner` feeds
them to an executor — in-process, a local process pool or a Dask cluster, the same functions each
time — and writes the results to the store from the one process that owns it.
"""

import os


def default_jobs() -> int:
    """The cores this process may run on (here, not in `executors`: `dxaparse batch --help` shows it
    without importing the process pool)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
