"""Site coding settings: how this site bills (global / professional / technical), whom (payer profile),
TBS split and ABN status, and how its reports are read (date order, resource limits). Documented in
docs/configuration.md.

They come from a TOML file because they belong to the site, not to an exam. A misspelt key must not
silently fall back to a default (a wrong modifier on every claim), so unknown keys are an error.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import SettingsError
from ..read.options import DEFAULTS as READ
from .tables import cpt_tables

ENV_VAR = "DXAPARSE_CONFIG"


class CodingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    billing_mode: Literal["global", "professional", "technical"] = "global"
    payer: Literal["medicare", "commercial"] = "medicare"
    tbs_split: bool = False
    tbs_split_codes: tuple[str, ...] = ("77090", "77091", "77092")
    abn: Literal["none", "GA", "GZ", "GY"] = "none"
    # How a printed date like 03/05/2024 is read when day and month could be either (a dotted date is
    # always day first, and a part over 12 decides): the site's scanners print month-first or day-first.
    date_order: Literal["month-first", "day-first"] = "month-first"
    # Limits on coding one input (a file, or a DICOM study), so that one poison report cannot stall a
    # service: over one, the input is refused with the limit's name (dxaparse/isolate.py). 0: no limit.
    seconds_per_input: float = Field(default=120, ge=0)
    # What coding one input may take on top of the loaded program; below 256 MB nothing could be read.
    memory_per_worker_mb: int = Field(default=2048, ge=0)
    # Whether an exam with no billing hold bills at once, or waits for `dxaparse release` like a held one.
    bill_ready_exams: Literal["at-once", "on-release"] = "at-once"
    # The payer's timely-filing limit in months from the date of service (Medicare: 12, 42 CFR 424.44);
    # an older exam is coded for the record but held. 0: no limit.
    timely_filing_months: int = Field(default=12, ge=0, le=120)
    # Reader resource limits (read/options.py says why): the most pages a PDF or DICOM report page may
    # have, and the most pixels of one page or image as OCR reads it; an input over either is refused.
    max_pages: int = Field(default=READ.max_pages, ge=1)
    max_page_pixels: int = Field(default=READ.max_page_pixels, ge=1)

    @field_validator("tbs_split_codes")
    @classmethod
    def _tbs_parts(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        # A site's split codes serve exams of every year: each must be a TBS part in every CPT table,
        # or coding an exam of some year would stop on a code that table does not allow.
        parts = set.intersection(*({c.code for c in t.with_role("tbs_part")} for t in cpt_tables()))
        bad = [c for c in codes if c not in parts]
        if bad:
            raise ValueError(f"{', '.join(bad)} not among the TBS split codes {', '.join(sorted(parts))}")
        return tuple(dict.fromkeys(codes))

    @field_validator("memory_per_worker_mb")
    @classmethod
    def _enough_memory(cls, mb: int) -> int:
        if 0 < mb < 256:
            raise ValueError("must be 0 (no limit) or at least 256 MB")
        return mb

    @model_validator(mode="after")
    def _split_needs_codes(self) -> CodingSettings:
        if self.tbs_split and not self.tbs_split_codes:
            raise ValueError("tbs_split is true but tbs_split_codes is empty")
        return self


def load_settings(path: Path | None = None) -> CodingSettings:
    """Settings from `path`, else from the file named by $DXAPARSE_CONFIG, else the defaults."""
    if path is None and (env := os.environ.get(ENV_VAR)):
        path = Path(env)
    if path is None:
        return CodingSettings()
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise SettingsError(f"{path}: cannot read coding settings: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"{path}: not valid TOML: {err}") from None
    try:
        return CodingSettings(**data)
    except ValidationError as err:
        raise SettingsError(f"{path}: {_explain(err)}") from None


def _explain(err: ValidationError) -> str:
    known = ", ".join(CodingSettings.model_fields)
    out = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "settings"
        if e["type"] == "extra_forbidden":
            out.append(f"unknown setting {where!r} (known: {known})")
        else:
            out.append(f"{where}: {e['msg']}")
    return "; ".join(out)
