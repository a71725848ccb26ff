"""The hook's defaults for its options, in a module of their own: `dxaparse pacs --help` (and every
command's parser) shows them without loading pynetdicom."""

ACSE_TIMEOUT = 5.0
"""Seconds a new connection may take to send its A-ASSOCIATE request (and to finish a TLS handshake).
Every connection holds one of the --max-associations slots from the moment it is accepted, and real
senders associate at once: pynetdicom's 30 s let 40 silent connections lock out every PACS."""
NETWORK_TIMEOUT = 30.0
"""Seconds an association may stay silent, or stall in the middle of a PDU, before it is aborted (as
Orthanc's DicomScpTimeout): long enough for a PACS pausing between studies, short enough that a stalled
peer gives its slot back."""

WORKERS = 2
"""Studies coded at once: one poison study holds up one worker (for at most the time limit), never all."""
