"""Findings JSON: a result-v1 object supplied by a user or another system; its coding is recomputed.

The input is strict where leniency would code a wrong exam: the models ignore fields they do not know,
so a spine T-score spelt `t-score` would be dropped and the exam coded from the other sites (issue 14,
case 4). Hence, before the models see the document:

- a field that is not known but nearly a known field of its object (same letters ignoring case, `-`,
  `_` and spaces, or one typo away: one letter added, left out or changed, or two swapped) is an
  error naming both;
- any other unknown field (another system's extension) is ignored with one warning per document,
  naming the fields, never their values;
- a JSON document that is not a findings object (a FHIR resource, an array, an object with none of the
  findings keys) is refused saying what it is, rather than coded as an empty exam.

A result of `dxaparse code` is findings: its `coding`, `source`, `schema_version` and every other field
of the result models are known, so it is read back silently.

Values are typed as the models type them (`models.Number`, `models.Day`): `true` is no T-score and `0`
no date. NaN and Infinity, which Python's JSON accepts and JSON does not have, are refused where they
stand, as are integers longer than Python converts (4,300 digits) and documents nested deeper than the
parser's recursion allows. UTF-8 with a byte order mark (as Windows tools write it) is read.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, get_args

import regex
from pydantic import BaseModel, ValidationError

from ..errors import InputError, warn_input
from ..models import FINDINGS_INPUT_FIELDS, STORE_BLOCK, ExamResult, Findings, Source
from .files import sha256_file

log = logging.getLogger(__name__)

_READ = (*FINDINGS_INPUT_FIELDS, "source")       # checked field by field: `source` gives the vendor
_FHIR_TYPE = regex.compile(r"[A-Z][A-Za-z]{1,63}")
_PLAIN_NAME = regex.compile(r"[A-Za-z0-9_\-]{1,64}")


def read_findings_json(path: Path, *, sha256: str | None = None) -> Findings:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_not_a_number)
    except UnicodeDecodeError:
        raise InputError(path, "findings JSON is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise InputError(path, f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except _NotANumber as err:
        raise InputError(path, f"findings JSON holds {err}, which is not a number") from None
    except ValueError:  # int() refuses to convert more digits than sys.get_int_max_str_digits()
        raise InputError(path, f"findings JSON holds a number of more than {sys.get_int_max_str_digits()} "
                               "digits") from None
    except RecursionError:
        raise InputError(path, "findings JSON nested too deep") from None
    if (other := _not_findings(data)) is not None:
        raise InputError(path, other)
    ignored: list[str] = []
    try:
        _check_fields(data, ExamResult, "", ignored, descend=_READ)
    except _NearMiss as err:
        raise InputError(path, str(err)) from None
    if not any(key in data for key in FINDINGS_INPUT_FIELDS):
        keys = ", ".join(FINDINGS_INPUT_FIELDS)
        raise InputError(path, f"an object with none of the findings keys ({keys})")
    findings = _validate(path, data, sha256 or sha256_file(path))
    if ignored:
        warn_input(log, path, findings.source.sha256, f"ignored unknown fields: {', '.join(ignored)}")
    return findings


def _validate(path: Path, data: dict, sha256: str) -> Findings:
    source_in = data.get("source")
    vendor = source_in.get("vendor", "unknown") if isinstance(source_in, dict) else "unknown"
    fields = {k: data[k] for k in FINDINGS_INPUT_FIELDS if k in data and data[k] is not None}
    try:
        source = Source(path=str(path), kind="findings-json", vendor=vendor, sha256=sha256)
    except ValidationError:
        source = Source(path=str(path), kind="findings-json", sha256=sha256)
    try:
        return Findings(source=source, **fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(path, f"findings JSON invalid at {where}: {first['msg']}") from None


def _not_findings(data: Any) -> str | None:
    """What a JSON document is instead of a findings object, or None when it is an object that is not
    something else. An array is refused, even of results: one file is one exam (the store, the
    watcher's done/ and failed/ and the batch tally count files), and `dxaparse code` writes its
    results one per file with `--format json` on one input."""
    if isinstance(data, list):
        noun = "result" if all(isinstance(item, dict) for item in data) else "value"
        plural = "" if len(data) == 1 else "s"
        return f"an array of {len(data)} {noun}{plural}; give one findings object per file"
    if not isinstance(data, dict):
        return "a single JSON value, not a findings object"
    if "resourceType" in data:
        kind = data["resourceType"]
        named = f"{kind} " if isinstance(kind, str) and _FHIR_TYPE.fullmatch(kind) else ""
        return f"a FHIR {named}resource, not dxaparse findings"
    return None


class _NotANumber(ValueError):
    """NaN, Infinity or -Infinity in the document: Python's extensions to JSON, numbers of no exam."""


def _not_a_number(constant: str) -> float:
    raise _NotANumber(constant)


class _NearMiss(Exception):
    """A field nearly named as a known one: surely meant as it, so ignoring it would code a wrong exam."""


def _check_fields(data: dict, model: type[BaseModel], where: str, ignored: list[str],
                  descend: tuple[str, ...] | None = None) -> None:
    """Check the keys of `data`, an object of `model` at `where`, and of the objects inside it (only the
    fields in `descend`, when given): raise `_NearMiss` on the first near miss, collect the other
    unknown keys into `ignored` as `where.key`. Values of the wrong shape are left to the models."""
    known = model.model_fields
    for key, value in data.items():
        here = f"{where}.{key}" if where else key
        if not where and key == STORE_BLOCK:  # the version block of a result exported from the store
            continue
        if key not in known:
            if (meant := _meant(key, known)) is not None:
                inside = f" in {where}" if where else ""
                raise _NearMiss(f"unknown field {key!r}{inside}; did you mean {meant!r}?")
            ignored.append(f"{where}.{_shown(key)}" if where else _shown(key))
            continue
        inner = _model_in(known[key].annotation)
        if inner is None or (descend is not None and key not in descend):
            continue
        if isinstance(value, dict):
            _check_fields(value, inner, here, ignored)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, dict):
                    _check_fields(item, inner, f"{here}[{n}]", ignored)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, alone, optional or in a list (`Tbs | None`, `list[Measurement]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if (model := _model_in(arg)) is not None:
            return model
    return None


def _meant(key: str, known: dict[str, Any]) -> str | None:
    """The known field `key` is a near miss of, preferring one that differs only by case and
    separators; None when it is near none."""
    folded = _fold(key)
    near = [name for name in known if _one_typo_apart(folded, _fold(name))]
    return next((name for name in near if _fold(name) == folded), near[0] if near else None)


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def _one_typo_apart(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1, or two neighbouring letters swapped (`preformed`: the commonest typo
    that Levenshtein counts as two edits). Folded names are compared, so one edit of a name's letters
    or of its separators alike is caught (a separator edit folds to no change or one letter more or
    less)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if len(a) < len(b):
                return a[i:] == b[i + 1:]
            swapped = a[i:i + 2] == b[i:i + 2][::-1]
            return a[i + 1:] == b[i + 1:] or (swapped and a[i + 2:] == b[i + 2:])
    return True


def _shown(key: str) -> str:
    """A field name for the one warning line: as it is when plain, else quoted with escapes (a newline
    in a name must not start a second line) and cut short."""
    if _PLAIN_NAME.fullmatch(key):
        return key
    return repr(key[:64]) + ("…" if len(key) > 64 else "")
