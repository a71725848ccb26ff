"""FHIR R4 checks shared by the FHIR tests: a Bundle parsed by fhir.resources (its R4 line, R4B), plus
the required code bindings fhir.resources leaves unchecked (a `status` of "bogus" parses)."""

from __future__ import annotations

import json

from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel


def valid_r4(text: str | dict) -> Bundle:
    """The Bundle, validated by fhir.resources, every coded element within its listed codes."""
    b = Bundle.model_validate_json(text) if isinstance(text, str) else Bundle.model_validate(text)
    _codes(b, "Bundle")
    return b


def resources(b: Bundle) -> dict[str, list]:
    out: dict[str, list] = {}
    for entry in b.entry:
        out.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return out


def documents(text: str) -> list[dict]:
    """JSON documents written one after another (several exams' transaction Bundles)."""
    decoder, out, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        doc, at = decoder.raw_decode(text, at)
        out.append(doc)
    return out


def _codes(model: BaseModel, where: str) -> None:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        allowed = (field.json_schema_extra or {}).get("enum_values") if isinstance(
            field.json_schema_extra, dict) else None
        if allowed and value is not None:
            assert value in allowed, f"{where}.{name} = {value!r} is not one of {allowed}"
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                _codes(item, f"{where}.{name}")
