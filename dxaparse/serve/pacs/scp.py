"""The DICOM side of the hook: a pynetdicom Storage SCP whose C-STORE handler only spools.

Association plumbing (which SOP classes and transfer syntaxes, who may connect, TLS) is set up here;
the service logic lives in the event handlers. The C-STORE handler checks the dataset, writes it to
the spool and returns; coding runs elsewhere, so a slow reader never holds up a sending PACS.
Logs name peers by AE title and address and studies by a short hash, never by patient data.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pydicom.uid import JPEGBaseline8Bit, RLELossless
from pynetdicom import AE, DEFAULT_TRANSFER_SYNTAXES, evt
from pynetdicom import sop_class as sc
from pynetdicom.dsutils import encode_file_meta

from ...read.dicom import ENCAPSULATED_PDF_CLASS
from ...read.dicom.image import IMAGE_CLASSES, PRESENTATION_STATES
from ...read.dicom.sr import SR_CLASSES
from ...read.dicom.truncation import stream_truncation
from .defaults import ACSE_TIMEOUT, NETWORK_TIMEOUT
from .spool import Spool, safe_name, short

log = logging.getLogger(__name__)

# Accepted: what the DICOM reader reads (SRs, DXA images, the presentation states sent with Hologic IVA)
# and Encapsulated PDF reports; anything else is refused at association negotiation. Images may come
# compressed in the syntaxes pydicom decodes with what dxaparse installs; senders convert the others.
_IMAGE_SYNTAXES = [*DEFAULT_TRANSFER_SYNTAXES, RLELossless, JPEGBaseline8Bit]
SUPPORTED = {
    **dict.fromkeys(sorted(SR_CLASSES | PRESENTATION_STATES | {ENCAPSULATED_PDF_CLASS}),
                    DEFAULT_TRANSFER_SYNTAXES),
    **dict.fromkeys(sorted(IMAGE_CLASSES), _IMAGE_SYNTAXES),
}

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
DOES_NOT_MATCH = 0xA900     # PS3.4 B.2.3 "Error: Data Set does not match SOP Class"
CANNOT_UNDERSTAND = 0xC210  # PS3.4 B.2.3 "Error: Cannot understand" (Cxxx; pynetdicom's decode failure)
_REQUIRED = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID")


class _HandshakeLater(ssl.SSLContext):
    """pynetdicom wraps sockets in its accept loop, where a peer that never finishes the handshake would
    stall every new association; the handshake is done in the association's own thread instead."""

    def wrap_socket(self, sock, *args, **kwargs):
        kwargs["do_handshake_on_connect"] = False
        return super().wrap_socket(sock, *args, **kwargs)


def tls_context(cert: Path, key: Path, ca: Path | None = None) -> ssl.SSLContext:
    """Server-side TLS (1.2 or later); with `ca`, peers must present a certificate it signed."""
    ctx = _HandshakeLater(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if ca:
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _peer(assoc) -> str:
    r = assoc.requestor
    return f"AE {r.ae_title!r} ({r.address}:{r.port})"


class StorageSCP:
    """Accepts DXA objects into the spool; `on_instance(study_key, sop_uid)` hears of every new instance."""

    def __init__(self, aet: str, spool: Spool, on_instance: Callable[[str, str], None], *,
                 allow: list[str] | None = None, max_associations: int = 32,
                 acse_timeout: float = ACSE_TIMEOUT, network_timeout: float = NETWORK_TIMEOUT):
        self.spool, self.on_instance, self.allow = spool, on_instance, allow or []
        self.ae = AE(ae_title=aet)
        self.ae.add_supported_context(sc.Verification)
        for uid, syntaxes in SUPPORTED.items():
            self.ae.add_supported_context(uid, syntaxes)
        self.ae.require_calling_aet = self.allow
        self.ae.maximum_associations = max_associations
        self.ae.acse_timeout, self.ae.network_timeout = acse_timeout, network_timeout
        self._counts: dict[int, Counter] = {}
        self._lock = threading.Lock()

    def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None):
        handlers = [(evt.EVT_CONN_OPEN, self._on_open),
                    (evt.EVT_C_ECHO, lambda e: SUCCESS), (evt.EVT_C_STORE, self._on_store),
                    (evt.EVT_ACCEPTED, self._on_accepted), (evt.EVT_REJECTED, self._on_rejected),
                    (evt.EVT_RELEASED, self._on_end), (evt.EVT_ABORTED, self._on_end)]
        return self.ae.start_server((host, port), block=False, evt_handlers=handlers,
                                    ssl_context=ssl_context)

    def stop(self) -> None:
        self.ae.shutdown()

    def _count(self, assoc, what: str) -> None:
        with self._lock:
            self._counts[id(assoc)][what] += 1

    def _on_open(self, event) -> None:
        """pynetdicom reads a PDU header and body with blocking reads, so a peer that sends half a PDU
        and stalls would hold its thread and slot for good: the socket gets a timeout, the ACSE one
        until the association is accepted."""
        sock = event.assoc.dul.socket.socket
        sock.settimeout(self.ae.acse_timeout)
        if not isinstance(sock, ssl.SSLSocket):
            return
        try:
            sock.do_handshake()
        except (ssl.SSLError, OSError) as err:
            host, port = event.address[:2]
            log.warning("TLS handshake with %s:%s failed: %s", host, port,
                        getattr(err, "reason", None) or err)
            sock.close()  # pynetdicom sees a closed connection and ends the association

    def _on_accepted(self, event) -> None:
        assoc = event.assoc
        assoc.dul.socket.socket.settimeout(self.ae.network_timeout)
        refused = sorted({cx.abstract_syntax.name for cx in assoc.rejected_contexts})
        storage = [cx for cx in assoc.accepted_contexts if cx.abstract_syntax != sc.Verification]
        if refused and not storage:
            more = f" and {len(refused) - 8} more" if len(refused) > 8 else ""
            log.warning("association from %s accepted, but none of its storage SOP classes is: %s%s "
                        "are not DXA objects dxaparse reads (refused)",
                        _peer(assoc), ", ".join(refused[:8]), more)
        else:
            log.info("association from %s accepted", _peer(assoc))
        log.debug("refused presentation contexts: %s", ", ".join(refused) or "none")
        with self._lock:
            self._counts[id(assoc)] = Counter()

    def _on_rejected(self, event) -> None:
        assoc = event.assoc
        if self.allow and assoc.requestor.ae_title not in self.allow:
            reason = "calling AE title not recognised (not in --allow-aet)"
        else:
            reason = f"more than {self.ae.maximum_associations} associations at once"
        log.warning("association from %s rejected: %s", _peer(assoc), reason)

    def _on_end(self, event) -> None:
        with self._lock:
            counts = self._counts.pop(id(event.assoc), None)
        if counts is None:  # never associated: a failed TLS handshake, a rejection, a port scan
            r = event.assoc.requestor
            log.debug("connection from %s:%s closed without an association", r.address, r.port)
            return
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing stored"
        if event.event is evt.EVT_ABORTED:
            log.warning("association from %s aborted (%s); instances acknowledged before it are kept",
                        _peer(event.assoc), summary)
        else:
            log.info("association from %s released: %s", _peer(event.assoc), summary)

    def _on_store(self, event) -> int:
        assoc, rq = event.assoc, event.request
        stream = event.encoded_dataset(include_meta=False)
        refusal = self._refusal(event, stream)
        if refusal:
            status, reason = refusal
            log.warning("C-STORE of %s from %s refused (0x%04X): %s",
                        rq.AffectedSOPClassUID.name, _peer(assoc), status, reason)
            self._count(assoc, "refused")
            return status
        ds = event.dataset
        key = safe_name(str(ds.StudyInstanceUID))
        meta = event.file_meta
        meta.SourceApplicationEntityTitle = assoc.requestor.ae_title
        try:
            new = self.spool.add(key, str(ds.SOPInstanceUID),
                                 b"".join((b"\0" * 128, b"DICM", encode_file_meta(meta), stream)))
        except OSError as err:
            log.error("C-STORE from %s refused (0x%04X out of resources): cannot write the spool: %s",
                      _peer(assoc), OUT_OF_RESOURCES, err.strerror or err)
            self._count(assoc, "refused")
            return OUT_OF_RESOURCES
        if new:
            self.on_instance(key, str(ds.SOPInstanceUID))
            log.debug("study %s: %s spooled", short(key), rq.AffectedSOPClassUID.name)
        self._count(assoc, "stored" if new else "duplicates")
        return SUCCESS

    @staticmethod
    def _refusal(event, stream: bytes) -> tuple[int, str] | None:
        """(status, reason) when the dataset is malformed or not the instance the request names."""
        syntax = event.context.transfer_syntax
        broken = None if syntax.is_deflated else stream_truncation(
            stream, syntax.is_implicit_VR, syntax.is_little_endian)
        if not broken:
            try:
                ds = event.dataset
                for _ in ds:  # convert every top-level element now, so a broken one is caught here
                    pass
            except Exception as err:
                broken = f"it does not decode ({type(err).__name__})"
                log.debug("decode error: %s", err)
        if broken:
            return CANNOT_UNDERSTAND, f"cannot understand: the dataset is malformed: {broken}"
        rq = event.request
        missing = [k for k in _REQUIRED if not ds.get(k)]
        if missing:
            problem = f"the dataset lacks {', '.join(missing)}"
        elif ds.SOPClassUID != rq.AffectedSOPClassUID:
            problem = f"the dataset is {ds.SOPClassUID.name}"
        elif ds.SOPInstanceUID != rq.AffectedSOPInstanceUID:
            problem = "its SOP Instance UID differs from the request's"
        else:
            return None
        return DOES_NOT_MATCH, f"data set does not match SOP class: {problem}"
