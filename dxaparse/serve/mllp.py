"""HL7 v2 delivery over MLLP with a persistent, ordered retry queue.

A message is first written to the outbox (SQLite, committed; a control ID is queued once, however often
it is offered), then sent by one background thread in the order it was queued. It counts as delivered
only when the receiver's ACK (MSA-1 AA/CA) names its control ID. A receiver that is down, times out or
answers garbage is retried with back-off, forever and in order, because an interface engine that is
down must not lose or reorder charges. A negative ACK (AE/AR/CE/CR) will not turn positive on resending
the same text, so that message is set aside as `rejected` (kept, logged) and the queue moves on.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

START, END = b"\x0b", b"\x1c\x0d"
POLL = 2.0
"""Seconds between looks at an empty outbox for messages queued by another process."""


class MllpError(Exception):
    """The receiver could not be reached or gave no usable ACK: worth retrying."""


def _segments(message: str) -> list[str]:
    return [s for s in message.replace("\r\n", "\r").replace("\n", "\r").split("\r") if s]


def _field(segment: str, sep: str, n: int) -> str:
    parts = segment.split(sep)
    return parts[n] if len(parts) > n else ""


def control_id(message: str) -> str:
    """MSH-10 of a message (the ACK must echo it in MSA-2)."""
    msh = _segments(message)[0]
    return _field(msh, msh[3], 9)


def _encoding(message: str) -> str:
    msh = _segments(message)[0]
    return "utf-8" if "UTF" in _field(msh, msh[3], 17).upper() else "latin-1"


def exchange(host: str, port: int, message: str, timeout: float) -> str:
    """Send one framed message and return the ACK's text; MllpError on any transport problem."""
    enc = _encoding(message)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(START + message.encode(enc, errors="replace") + END)
            buf = b""
            while END not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise MllpError("connection closed before an ACK arrived")
                buf += chunk
    except TimeoutError:
        raise MllpError(f"no ACK within {timeout:g} s") from None
    except OSError as err:
        raise MllpError(f"cannot reach {host}:{port}: {err.strerror or err}") from None
    return buf[buf.find(START) + 1: buf.find(END)].decode(enc, errors="replace")


def ack_code(ack: str, expected_id: str) -> tuple[str, str]:
    """(MSA-1, MSA-3 text) of an ACK for `expected_id`; MllpError when it is not one."""
    for seg in _segments(ack):
        if seg.startswith("MSA"):
            sep = seg[3]
            code, ref = _field(seg, sep, 1), _field(seg, sep, 2)
            if ref != expected_id:
                raise MllpError(f"ACK names message {ref!r}, expected {expected_id!r}")
            return code, _field(seg, sep, 3)
    raise MllpError("reply has no MSA segment")


@dataclass
class Queued:
    id: int
    kind: str
    message: str
    attempts: int


class Outbox:
    """The persistent queue: one SQLite file; states pending → sent | rejected."""

    def __init__(self, path: Path):
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("""CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, control_id TEXT NOT NULL UNIQUE,
                message TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL
                DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, last_error TEXT, queued_at REAL NOT NULL,
                done_at REAL)""")

    def put(self, kind: str, message: str) -> bool:
        """Queue a message; False if one with its control ID was queued before (it is not queued twice)."""
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO outbox (kind, control_id, message, queued_at) "
                                   "VALUES (?,?,?,?)", (kind, control_id(message), message, time.time()))
        return cur.rowcount == 1

    def head(self) -> tuple[Queued | None, float]:
        """The oldest pending message and when it may be tried (queue order is delivery order)."""
        with self._lock:
            row = self._db.execute("SELECT id, kind, message, attempts, next_try FROM outbox "
                                   "WHERE state='pending' ORDER BY id LIMIT 1").fetchone()
        return (Queued(*row[:4]), row[4]) if row else (None, 0.0)

    def settle(self, item: Queued, state: str, error: str | None = None, next_try: float = 0.0) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state=?, attempts=attempts+1, last_error=?, next_try=?, done_at=? "
                "WHERE id=?", (state, error, next_try, None if state == "pending" else time.time(), item.id))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Deliverer(threading.Thread):
    """Sends the outbox to one receiver, in order, until stopped."""

    def __init__(self, outbox: Outbox, host: str, port: int, *, timeout: float = 10.0,
                 retry: float = 2.0, retry_max: float = 300.0):
        super().__init__(name="mllp", daemon=True)
        self.outbox, self.host, self.port = outbox, host, port
        self.timeout, self.retry, self.retry_max = timeout, retry, retry_max
        self._wake = threading.Event()
        self._halt = threading.Event()

    def enqueue(self, kind: str, message: str) -> None:
        if self.outbox.put(kind, message):
            self._wake.set()

    def stop(self) -> None:
        self._halt.set()
        self._wake.set()

    def run(self) -> None:
        while not self._halt.is_set():
            item, due = self.outbox.head()
            # An empty queue is looked at again every POLL seconds: `dxaparse release`, another
            # process, queues released charges into the same outbox file.
            wait = POLL if item is None else due - time.time()
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            self._deliver(item)

    def _deliver(self, item: Queued) -> None:
        expected = control_id(item.message)
        try:
            code, text = ack_code(exchange(self.host, self.port, item.message, self.timeout), expected)
        except MllpError as err:
            delay = min(self.retry * 2 ** item.attempts, self.retry_max)
            log.warning("HL7 %s %s not delivered (attempt %d): %s; retrying in %.1f s",
                        item.kind, expected, item.attempts + 1, err, delay)
            self.outbox.settle(item, "pending", str(err), time.time() + delay)
            return
        if code in ("AA", "CA"):
            log.info("HL7 %s %s delivered to %s:%d", item.kind, expected, self.host, self.port)
            self.outbox.settle(item, "sent")
        else:
            log.error("HL7 %s %s rejected by the receiver (%s %s); kept in %s, not resent",
                      item.kind, expected, code, text, self.outbox.path)
            self.outbox.settle(item, "rejected", f"{code} {text}".strip())
