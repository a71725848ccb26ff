"""Log records as JSON lines (`--log-format json`), for a log shipper that indexes fields.

One object per record: `time` (ISO 8601, UTC), `level`, `logger`, `message` (formatted, one line), and
the structured fields a record carries (`FIELDS`: an exam's `sha256`, the outcome's `status` …) — the
services pass them as `extra=` on their per-exam lines. A traceback (`-vv`) is the `exc` field.
Nothing here adds identifiers: a record holds what the text line would.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

OUTCOMES = "dxaparse.outcomes"
"""The logger of the services' one record per coded unit (watch, pacs, batch): INFO, so shown with
`-v`, and always with `--log-format json` (the text stream has the same on stdout)."""

FIELDS = ("sha256", "status", "study", "files", "cpt", "icd10", "flags", "reason", "amended", "input_sha256")
"""Record attributes written as fields when a record has them."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        doc.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc, ensure_ascii=False, default=str)


def use_json(root: logging.Logger | None = None) -> None:
    """Every handler of the root logger writes JSON lines."""
    for handler in (root or logging.getLogger()).handlers:
        handler.setFormatter(JsonFormatter())


def outcome_fields(sha256: str, status: str, results: list, reason: str | None,
                   amended: bool = False, files: int = 1) -> dict:
    """The structured fields of a unit's record (`--log-format json`)."""
    return {"sha256": sha256, "status": status, "reason": reason, "amended": amended, "files": files,
            "cpt": [line.code for r in results for line in r.coding.cpt],
            "icd10": [line.code for r in results for line in r.coding.icd10],
            "flags": sum(len(r.coding.flags) for r in results)}
