"""What a coder changes in a review: corrections of the findings (re-coded at once by the same coder),
overrides of a code from the tables in force on the date of service, and the new result version a
release stores. Each change is a list of `Change`s, which the audit trail records one by one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..code import CodingSettings
from ..code.tables import in_force
from ..history import lookup
from ..models import Billing, BillingStatus, ExamResult, Findings, Fracture, Site
from ..pipeline import result_of


class EditError(ValueError):
    """An edit the workbench refuses; the message says why, for the person who made it."""


@dataclass(frozen=True)
class Change:
    field: str          # a path into the result, e.g. "measurements[2].t_score"
    before: Any
    after: Any


def _number(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise EditError(f"{what}: {text!r} is not a number") from None


def _fractures(text: str) -> list[Fracture]:
    """One fracture a line: `VERTEBRA GRADE [acute|chronic]`, e.g. `T12 2 acute`."""
    out = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        parts = line.split()
        try:
            grade = int(parts[1]) if len(parts) > 1 else None
            acute = {"acute": True, "chronic": False}.get(parts[2].lower()) if len(parts) > 2 else None
            out.append(Fracture(vertebra=parts[0], grade=grade, acute=acute))
        except (ValueError, IndexError) as err:
            raise EditError(f"VFA fracture {line!r}: write VERTEBRA GRADE [acute|chronic]") from err
    return out


def fractures_text(findings: Findings) -> str:
    return "\n".join(" ".join(filter(None, (f.vertebra or "?", "" if f.grade is None else str(f.grade),
                                            {True: "acute", False: "chronic"}.get(f.acute, ""))))
                     for f in findings.vfa.fractures)


def corrected(findings: Findings, form: dict[str, str]) -> tuple[Findings, list[Change]]:
    """The findings with the correction form's values, and what changed. Fields the form leaves out are
    kept; an empty number field clears the value."""
    data = findings.model_dump(mode="json")
    patient = data["patient"]
    for key in ("sex", "menopausal_status"):
        if key in form:
            patient[key] = form[key] or None
    if "age_years" in form:
        patient["age_years"] = _number(form["age_years"], "age")
    for n, m in enumerate(data["measurements"]):
        for key in ("bmd", "t_score", "z_score"):
            if f"m{n}.{key}" in form:
                m[key] = _number(form[f"m{n}.{key}"], f"measurement {n + 1} {key}")
        if f"m{n}.site" in form:
            if form[f"m{n}.site"] not in Site.__members__.values():
                raise EditError(f"measurement {n + 1}: {form[f'm{n}.site']!r} is not a site")
            m["site"] = form[f"m{n}.site"]
        if "measurements" in form:   # the form lists the measurements: an unticked box is not excluded
            m["excluded"] = f"m{n}.excluded" in form
    if "vfa.performed" in form or "vfa.fractures" in form:
        data["vfa"]["performed"] = form.get("vfa.performed") == "on"
        fractures = _fractures(form.get("vfa.fractures", ""))
        data["vfa"]["fractures"] = [f.model_dump(mode="json") for f in fractures]
    if "indications" in form:
        data["indications"] = [line.strip() for line in form["indications"].splitlines() if line.strip()]
    try:
        after = Findings.model_validate(data)
    except ValueError as err:
        raise EditError(str(err).splitlines()[0] if str(err) else "not a valid correction") from None
    after.printed = findings.printed
    return after, diff(findings.model_dump(mode="json"), after.model_dump(mode="json"))


def recode(result: ExamResult, findings: Findings, settings: CodingSettings, store: Path | None = None,
           ) -> ExamResult:
    """The corrected findings coded again by the same coder (the same settings), as a new suggestion —
    with the patient's history in `store` (the workbench's store), as every entry point codes: without
    it, a correction would drop the comparison with the prior exam and the frequency hold."""
    findings = Findings.model_validate(findings.model_dump())
    return result_of(findings, settings, history=lookup(store, findings, settings))


def override(result: ExamResult, kind: str, line: int, code: str, reason: str, user: str,
             ) -> tuple[ExamResult, Change]:
    """`result` with one CPT line's or ICD-10-CM code's code replaced (or, `line` one past the last, a
    code added) — only by a code of the tables in force on the date of service, never a deleted one."""
    code = code.strip().upper()
    tables = in_force(result.exam.date)
    if kind == "cpt":
        try:
            tables.cpt.require_active(code)
        except ValueError as err:
            raise EditError(str(err)) from None
        lines = result.coding.cpt
    elif kind == "icd10":
        if code not in tables.icd10.codes or code in tables.icd10.never:
            raise EditError(f"ICD-10-CM {code} is not a code of {tables.icd10.header.edition}, the table in "
                            f"force on {result.exam.date or 'the date of service'}")
        lines = result.coding.icd10
    else:
        raise EditError(f"{kind!r}: override a cpt or an icd10 line")
    if not 0 <= line <= len(lines):
        raise EditError(f"there is no {kind} line {line + 1}")
    coding = result.coding.model_dump(mode="json")
    why = f"override by {user}: {reason}"
    before = lines[line].code if line < len(lines) else None
    if line < len(lines):
        coding[kind][line].update(code=code, reason=why)
    elif kind == "cpt":
        coding[kind].append({"code": code, "modifiers": [], "units": 1, "reason": why})
    else:
        coding[kind].append({"code": code, "reason": why})
    out = result.model_copy(update={"coding": type(result.coding).model_validate(coding)})
    return out, Change(f"coding.{kind}[{line}].code", before, code)


def new_version(reviewed: ExamResult, stored: ExamResult) -> ExamResult:
    """The result a release stores as the exam's next version: the reviewed findings and coding, held
    (why it waited: the reviewed holds, else the stored ones) until `release` releases it, under a
    content hash of its own — of what the coder decided and of the version it supersedes."""
    body = reviewed.model_dump(mode="json", exclude={"billing", "source"})
    digest = hashlib.sha256(json.dumps({"supersedes": stored.source.sha256, "review": body},
                                       sort_keys=True).encode()).hexdigest()
    holds = reviewed.billing.holds or stored.billing.holds
    source = stored.source.model_copy(update={"sha256": digest})
    return reviewed.model_copy(update={"source": source,
                                       "billing": Billing(status=BillingStatus.HELD, holds=holds)})


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """A JSON value as {dotted path: leaf}: what `diff` compares."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and value:
        out = {}
        for n, item in enumerate(value):
            out.update(flatten(item, f"{path}[{n}]"))
        return out
    return {path: value}


def diff(before: Any, after: Any) -> list[Change]:
    """Leaf by leaf, what differs between two JSON values, in path order."""
    a, b = flatten(before), flatten(after)
    return [Change(key, a.get(key), b.get(key)) for key in sorted(a.keys() | b.keys())
            if a.get(key) != b.get(key)]
