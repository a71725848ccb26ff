"""The folder watcher: code each report dropped on a share once, keep every result, lose nothing.

One thread does all the work, in order: events from the observer only name candidate files. A file
is taken once complete (`settle`); DICOM objects wait in their study's group until it is quiet. Each
unit is then read and coded, committed (`ResultSink`: store, then exports) and only then moved to
done/ — or to failed/ with its reason. Restarting after a crash repeats at most the last step: an
input whose content hash is already stored is moved to done/ without being coded again.

A DICOM object that arrives after its study was coded makes the watcher re-code the whole study — the
objects already filed in done/ (the store records where each input was filed) plus the new ones — and
store it as an amended result, as the PACS hook does: same study UID, new content hash, later
`created_at`; never a second, partial exam.

Only regular files inside the watched folder are read. A symbolic link or a special file (FIFO, socket,
device) is filed in failed/ unread — a link may lead out of the share, a FIFO or a device would block or
never end. A unit that gave no result while its files were modified recently may have been read while a
writer paused: it is read again after a back-off (`retry_partial`) before it is failed. docs/watcher.md
gives the rules.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserverVFS

from ..errors import InputError
from ..isolate import Isolator, Limits
from ..names import path_to_text, text_to_path
from ..pipeline import run_unit
from ..read.files import Kind, is_regular, not_regular, sha256_file, sniff
from ..unit import Outcome as Coded
from ..unit import RunOptions, Unit
from .folders import fail_into, free_name, is_temp, move_unique
from .report import Outcome, Reporter, log_outcome
from .settle import QuietGroups, Settler, study_uid
from .sink import ExportError, ResultSink

log = logging.getLogger(__name__)

LONGEST_BACK_OFF = 60.0
"""Seconds at most between two reads of a file that may still be being written."""


@dataclass
class WatchOptions:
    root: Path
    done: Path | None = None      # default root/done
    failed: Path | None = None    # default root/failed
    settle: float = 5.0           # seconds a file's size and mtime must stay unchanged
    study_quiet: float = 30.0     # seconds without a new object before a DICOM study is coded
    poll: float | None = None     # polling interval; None: the platform's native events
    once: bool = False            # exit when nothing is left to do
    summary_every: float = 60.0   # seconds between count lines
    retry_partial: float = 300.0  # a unit without result modified this recently is read again later

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.done = (self.done or self.root / "done").resolve()
        self.failed = (self.failed or self.root / "failed").resolve()


class Watcher:
    """Watch `options.root` until `stop()` (or, with `once`, until idle); report each unit's outcome."""

    def __init__(self, options: WatchOptions, run: RunOptions, sink: ResultSink, reporter: Reporter):
        self.opt = options
        self.run_options = run
        self.sink = sink
        self.reporter = reporter
        self.counts: Counter = Counter()
        self._events: queue.Queue[tuple[str, Path]] = queue.Queue()
        self._settler = Settler(options.settle)
        self._coder = Isolator(Limits.of(run.settings))  # each unit is coded under the site's limits
        self._groups = QuietGroups(options.study_quiet)
        self._stop = threading.Event()
        self.started = threading.Event()  # set once the observer runs and the first scan is done
        self._number = 0
        self._last_summary = time.monotonic()
        self._summarised: Counter = Counter()

    def stop(self) -> None:
        """Finish the current unit, then return from `run` (safe from a signal handler or thread)."""
        self._stop.set()

    def run(self) -> None:
        if self.opt.poll:  # with lstat: it never walks into a linked folder (inotify never does)
            observer = PollingObserverVFS(os.lstat, os.scandir, polling_interval=self.opt.poll)
        else:
            observer = Observer()
        observer.schedule(_Handler(self._events), str(self.opt.root), recursive=True)
        observer.start()
        try:
            if published := self.sink.recover():
                log.info("published %d export(s) left pending by an interrupted run", published)
            self._scan(self.opt.root)  # what arrived while we were down
            self.started.set()
            tick = min(0.25, max(self.opt.settle, 0.02) / 4)
            while not self._stop.is_set():
                self._take_events(tick)
                self._step()
                if self.opt.once and self.waiting() == 0 and self._events.empty():
                    break
        finally:
            observer.stop()
            observer.join()
            self._coder.close()

    def waiting(self) -> int:
        """Files seen but not yet coded."""
        return len(self._settler) + self._groups.items()

    # -- arrivals ---------------------------------------------------------------------------------------

    def _take_events(self, timeout: float) -> None:
        try:
            kind, path = self._events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._arrived(kind, path)
            try:
                kind, path = self._events.get_nowait()
            except queue.Empty:
                return

    def _arrived(self, kind: str, path: Path) -> None:
        if self._ignored(path):
            return
        if kind == "folder":  # a folder created or moved in: its files may never get events of their own
            self._scan(path)
        elif kind == "moved":
            self._settler.renamed(path)
        else:
            self._settler.watch(path, time.monotonic())

    def _scan(self, folder: Path) -> None:
        """Every entry below `folder` is a candidate: a link to a folder is one too (to be filed away),
        never a folder to enter."""
        now = time.monotonic()
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            links = [d for d in dirnames if os.path.islink(here / d)]
            dirnames[:] = sorted(d for d in dirnames if d not in links and not self._ignored(here / d))
            for name in sorted(filenames + links):
                path = here / name
                if not self._ignored(path):
                    self._settler.watch(path, now)

    def _ignored(self, path: Path) -> bool:
        """Temp names, hidden files, and the done/ and failed/ folders are never taken — nor a link to
        them: how a site may have put them elsewhere."""
        if self._filing(path):
            return True
        try:
            rel = path.relative_to(self.opt.root)
        except ValueError:
            return True
        return any(is_temp(part) for part in rel.parts) or (
            os.path.islink(path) and self._filing(Path(os.path.realpath(path))))

    def _filing(self, path: Path) -> bool:
        return path.is_relative_to(self.opt.done) or path.is_relative_to(self.opt.failed)

    # -- work -------------------------------------------------------------------------------------------

    def _step(self) -> None:
        for path in self._settler.ready(time.monotonic()):
            if self._stop.is_set():
                return
            self._classify(path)
        for uid, paths in self._groups.due(time.monotonic()):
            if self._stop.is_set():
                return
            self._code(paths, study=uid)

    def _classify(self, path: Path) -> None:
        """Links and special files are filed away unread; DICOM objects join their study's group;
        anything else is coded on its own."""
        if os.path.realpath(path.parent) != str(path.parent):
            # Its folder was swapped for a link after the file was seen: what is there now is outside
            # the share. Neither read nor moved; the link itself is an entry of its own.
            log.warning("a file behind a symbolic link to a folder was not read")
            self._settler.forget(path)
            return
        try:
            reason = not_regular(os.lstat(path).st_mode)
        except OSError:  # removed by someone else meanwhile
            self._settler.forget(path)
            return
        if reason:
            self._refuse(path, reason)
            return
        try:
            kind = sniff(path)
        except InputError:
            kind = Kind.UNKNOWN  # the reader gives the reason (empty, unreadable)
        uid = study_uid(path) if kind is Kind.DICOM else None
        if uid:
            self._groups.add(uid, path, time.monotonic())
        else:
            self._code([path], study=None, kind=kind)

    def _code(self, paths: list[Path], study: str | None, kind: Kind = Kind.DICOM) -> None:
        """Read, code, commit, then file away one unit; inputs already stored are only filed. `study`: the
        StudyInstanceUID of a unit of DICOM objects; if the study was coded before, it is re-coded with
        its objects in done/ and stored as an amended result."""
        known, fresh = {}, {}
        for path in paths:
            try:
                sha = sha256_file(path)   # the watcher found the file: it hashes it, once
            except FileNotFoundError:  # removed by someone else meanwhile
                self._settler.forget(path)
                continue
            except InputError as err:  # swapped for a link or a special file since it was classified
                self._refuse(path, err.reason)
                continue
            except OSError as err:  # one the service may not read: filed away, the others go on
                self._refuse(path, f"cannot open: {err.strerror or type(err).__name__}")
                continue
            (known if self.sink.known(sha) else fresh)[path] = sha
        if known:
            for path in known:
                self._file(path, self.opt.done)
            sha = next(iter(known.values()))
            self._report(Outcome(0, self.sink.store.exam_of(sha) or sha, list(known), "duplicate"))
        if not fresh:
            return
        files = list(fresh)
        earlier, missing = self._filed_objects(study) if study else ({}, {})
        unit = Unit(tuple([*earlier, *files]), tuple([*earlier.values(), *fresh.values()]),
                    Kind.DICOM if study else kind, study=study)
        outcome = Outcome(0, unit.sha256, files, "failed", amended=bool(earlier or missing))
        if missing:
            coded = Coded(unit, failure=InputError(files[0], self._not_in_done(study, missing)))
        else:
            coded = run_unit(unit, self.run_options, self._coder)
        outcome.sha256 = coded.sha256
        outcome.results = coded.results
        if not coded.results and not missing and not coded.over_limit and self._later(files, coded):
            return
        # The rule is the pipeline's (`unit.Outcome`): with a result, only the objects the reader
        # rejected fail; without one, the whole unit does. Objects already in done/ stay there: they
        # were coded before.
        bad = set(coded.failed) & set(files)
        reasons = {p: coded.reason(p) for p in bad}
        planned: dict[Path, Path] = {}
        if coded.results:
            # Where each input will be filed is stored with the result, so a later object of the study
            # finds it (a crash before the move files it there at the restart: the name stays free).
            planned = {p: free_name(p, self._target(p, self.opt.done)) for p in files if p not in bad}
            try:
                filed = {fresh[p]: path_to_text(d) for p, d in planned.items()}
                added = self.sink.commit(coded.results, filed)
                outcome.status = "coded" if any(added) else "duplicate"
            except ExportError as err:
                bad, reasons = set(files), dict.fromkeys(files, str(err))
        if bad:
            outcome.reason = "; ".join(dict.fromkeys(reasons.values())) or coded.reason()
        for path in files:
            if path in bad:
                fail_into(path, self._target(path, self.opt.failed), reasons.get(path) or outcome.reason)
                self._settler.forget(path)
            elif (dest := self._file(path, self.opt.done)) != planned.get(path, dest):
                self.sink.store.set_filed(fresh[path], path_to_text(dest))  # the planned name was taken
        self._report(outcome)

    def _not_in_done(self, uid: str, missing: dict[str, str | None]) -> str:
        """Why an object of a study coded before cannot be added to it: objects of the study are not in
        done/. Those the store records no filed path for came another way — the PACS hook, a batch run,
        `dxaparse code` — and were never in the watched folder; those filed here were moved away."""
        current = self.sink.store.latest(uid)
        named = f" (in the store as {current.source.sha256})" if current else ""
        elsewhere = sum(1 for filed in missing.values() if filed is None)
        if elsewhere == len(missing):
            return (f"its study is already coded{named} from {elsewhere} object(s) received another way "
                    "(the PACS hook, a batch run or `dxaparse code`), which are not in done/; this object "
                    "was not added to it. If it is a copy of one sent before, nothing is to be done; to "
                    "re-code the study with it, send it to the PACS hook, or code all the study's objects "
                    "together with `dxaparse code`")
        return (f"its study was coded before{named}, but {len(missing)} of the study's coded object(s) are "
                "not in done/; put them back into the watched folder together with this one to re-code "
                "the study")

    def _later(self, files: list[Path], coded: Coded) -> bool:
        """Put a unit that gave no result back, to be read again, if a writer may have paused in it:
        each file modified less than `retry_partial` seconds ago and first put back less than that long
        ago (a file server's clock may differ from ours). It is read again after a back-off that
        doubles from `settle` (one second at least) up to a minute — or once it settled, if it changes
        first. True if it was put back."""
        window, now = self.opt.retry_partial, time.monotonic()
        delays = []
        for path in files:
            try:
                age = time.time() - os.lstat(path).st_mtime
            except OSError:
                return False
            tries, since = self._settler.tries(path, now)
            if age >= window or since >= window:
                return False
            delays.append(min(max(self.opt.settle, 1.0) * 2 ** tries, LONGEST_BACK_OFF))
        for path, delay in zip(files, delays, strict=True):
            self._settler.again(path, delay, now)
        log.info("%s: no result yet (%s); read again in %.0f s, or once it settled if it changes",
                 coded.sha256[:12], coded.reason(), max(delays), extra={"sha256": coded.sha256})
        return True

    def _refuse(self, path: Path, reason: str) -> None:
        """File away unread what is not a regular file (or may not be opened). One that cannot be moved
        (a FIFO is not copied to a failed/ on another file system) stays where it is: it is taken again
        only when it changes or at the next start, so it is logged once, not at every poll."""
        try:
            fail_into(path, self._target(path, self.opt.failed), reason)
        except FileNotFoundError:
            return
        except OSError as err:
            log.warning("an input that cannot be read could not be moved to failed/ either (%s); "
                        "left where it is", err.strerror or type(err).__name__)
        self._settler.forget(path)
        self._report(Outcome(0, "", [path], "failed", reason=reason))

    def _filed_objects(self, uid: str) -> tuple[dict[Path, str], dict[str, str | None]]:
        """The objects of study `uid` that were coded before and filed in done/ (path → content hash),
        and those that are not there (content hash → filed path recorded, None for an object that came
        another way). Their paths come from the store; an object not found at its recorded path
        (stored by a dxaparse that did not record it, or moved by hand within done/) is looked for in
        done/ by its header's StudyInstanceUID and its content hash — one pass over done/, only then."""
        prior = self.sink.store.study_inputs(uid)
        found = {sha: text_to_path(p) for sha, p in prior.items() if p and is_regular(text_to_path(p))}
        if len(found) < len(prior):
            for dirpath, _, filenames in os.walk(self.opt.done):
                for path in (Path(dirpath) / name for name in sorted(filenames)):
                    if study_uid(path) == uid and (sha := sha256_file(path)) in prior and sha not in found:
                        found[sha] = path
                        self.sink.store.set_filed(sha, path_to_text(path))
        return {path: sha for sha, path in found.items()}, {
            sha: filed for sha, filed in prior.items() if sha not in found}

    def _file(self, path: Path, root: Path) -> Path:
        self._settler.forget(path)
        return move_unique(path, self._target(path, root))

    def _target(self, path: Path, root: Path) -> Path:
        """done/ and failed/ mirror the sub-folders of the watched folder."""
        return root / path.parent.relative_to(self.opt.root)

    def _next(self) -> int:
        self._number += 1
        return self._number

    def _report(self, outcome: Outcome) -> None:
        outcome.number = self._next()  # only now: a unit read again later has no line until then
        self.counts[outcome.status] += 1
        log_outcome(outcome)
        self.reporter.outcome(outcome)
        self._maybe_summarise()

    def _maybe_summarise(self) -> None:
        now = time.monotonic()
        if now - self._last_summary >= self.opt.summary_every and self.counts != self._summarised:
            self._last_summary = now
            self._summarised = self.counts.copy()
            self.reporter.summary(self.counts, self.waiting())


class _Handler(FileSystemEventHandler):
    """Runs on the observer's thread: it only queues the paths that may hold new input."""

    def __init__(self, events: queue.Queue):
        self.events = events

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:  # a folder's own "modified" events only echo changes to its files
            if event.event_type in ("created", "moved"):
                path = event.dest_path if event.event_type == "moved" else event.src_path
                self.events.put(("folder", Path(os.fsdecode(path))))
        elif event.event_type in ("created", "modified", "closed"):
            self.events.put(("seen", Path(os.fsdecode(event.src_path))))
        elif event.event_type == "moved":
            self.events.put(("moved", Path(os.fsdecode(event.dest_path))))
