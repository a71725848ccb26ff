"""dxaparse: read DXA bone-density results and code them for billing.

The pipeline is `read` (DICOM / PDF / findings JSON → `Findings`) → `code` (`Findings` → `Coding`)
→ `emit` (JSON, CSV, HL7 v2, FHIR, the SQLite store). Entry points (CLI, watcher, PACS hook) only wire
these stages together.
"""

__version__ = "0.1.0"
