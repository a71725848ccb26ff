"""Site coding settings: how this site bills (global / professional / technical), whom (payer profile),
TBS split and ABN status, how its reports are read (date order, resource limits), and the HL7 envelope
its interface engine expects (`[hl7]`). Documented in docs/configuration.md.

They come from a TOML file because they belong to the site, not to an exam. A misspelt key must not
silently fall back to a default (a wrong modifier on every claim), so unknown keys are an error.
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import SettingsError
from ..models import Site
from ..read.options import DEFAULTS as READ
from .tables import cpt_tables

ENV_VAR = "DXAPARSE_CONFIG"

_HL7_UNSAFE = re.compile(r"[|^~\\&\x00-\x1f\x7f]")
"""What no envelope value may hold: an HL7 delimiter (`|^~\\&`) or a control character would change the
structure of every message dxaparse sends."""


class Hl7Envelope(BaseModel):
    """Who sends HL7 v2 messages to whom, and how the receiver files them: MSH-3 to MSH-6 and MSH-11, the
    assigning authority and type of the patient identifier (PID-3), the patient class (PV1-2) and the
    time zone of MSH-7. Site facts an interface team sets once, so that a receiving system routes and
    accepts the messages without a custom mapping (docs/exports.md, "HL7 v2.5.1")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sending_application: str = "DXAPARSE"                  # MSH-3
    sending_facility: str | None = None                     # MSH-4
    receiving_application: str | None = None                # MSH-5
    receiving_facility: str | None = None                   # MSH-6
    # MSH-11, HL7 table 0103: P production, T training (a test feed the receiver must not post for real).
    processing_id: Literal["P", "T"] = "P"
    patient_id_authority: str | None = None                 # PID-3.4: who assigned the scanner's patient ID
    # PID-3.5, HL7 table 0203: MR medical record number (what a modality worklist hands the scanner), PI
    # patient internal identifier, PT patient external identifier.
    patient_id_type: Literal["MR", "PI", "PT"] = "MR"
    # PV1-2, HL7 table 0004: O outpatient (a DXA exam almost always is), I inpatient, E emergency, P preadmit,
    # R recurring patient, B obstetrics, C commercial account, N not applicable, U unknown.
    patient_class: Literal["O", "I", "E", "P", "R", "B", "C", "N", "U"] = "O"
    # The zone of MSH-7's UTC offset: an IANA name ("America/New_York"); None: the machine's local zone.
    time_zone: str | None = None

    @field_validator("sending_application", "sending_facility", "receiving_application", "receiving_facility",
                     "patient_id_authority")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or _HL7_UNSAFE.search(value)):
            raise ValueError("must be non-empty text without HL7 delimiters (| ^ ~ \\ &) or control "
                             "characters")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r} (an IANA name such as "
                                 "'America/New_York')") from None
        return name


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
    # The HL7 v2 envelope: the `[hl7]` table of the file.
    hl7: Hl7Envelope = Field(default_factory=Hl7Envelope)
    # History (docs/history.md). Which stored exams are the same patient's: the patient ID alone, with the
    # birth date, or with the ID's issuer and the birth date too. A stored exam with the same ID but
    # another birth date or sex is never taken as the patient's: the exam is held (patient_mismatch).
    patient_match: Literal["id", "id+birth_date", "id+issuer+birth_date"] = "id+birth_date"
    # The payer's frequency rule: "medicare" holds an exam within 23 months of the last covered one
    # (frequency_limit); "none" checks nothing.
    frequency_rule: Literal["medicare", "none"] = "medicare"
    # Precision error (RMS-SD, g/cm²) per device serial number and site, from the facility's precision
    # study (`dxaparse precision --write`): `[precision."SERIAL"] lumbar_spine = 0.010`. LSC = 2.77 × it.
    precision: dict[str, dict[Site, float]] = Field(default_factory=dict)
    # A TOML file holding `[precision."SERIAL"]` tables (as `dxaparse precision --write` writes them),
    # merged into `precision`; relative to the settings file.
    precision_file: Path | None = None
    # Scanners cross-calibrated in vivo: the earlier device's serial → the serial of the device that
    # replaced it, whose results may then be compared with the earlier ones.
    cross_calibration: dict[str, str] = Field(default_factory=dict)

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

    @field_validator("precision")
    @classmethod
    def _positive_precision(cls, table: dict[str, dict[Site, float]]) -> dict[str, dict[Site, float]]:
        bad = [f"{serial}.{site}" for serial, sites in table.items() for site, sd in sites.items()
               if not 0 < sd < 1]
        if bad:
            raise ValueError(f"an RMS-SD is a positive number of g/cm² below 1: {', '.join(bad)}")
        return table

    def lsc(self, serial: str | None, site: Site) -> float | None:
        """The least significant change (g/cm², 95 % confidence: 2.77 × RMS-SD) of `site` on the
        device with this serial number; None when no precision study gives it."""
        sd = self.precision.get(serial or "", {}).get(site)
        return None if sd is None else lsc_of(sd)

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


LSC_FACTOR = 2.77
"""ISCD: LSC at 95 % confidence = 2.77 × the precision error (1.96 × √2)."""


def lsc_of(rms_sd: float) -> float:
    """The least significant change of a precision error, to 4 decimals (g/cm²)."""
    return round(LSC_FACTOR * rms_sd, 4)


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
    if isinstance(name := data.get("precision_file"), str):
        data["precision"] = _precision_file(Path(path).parent / name) | data.get("precision", {})
    try:
        return CodingSettings(**data)
    except ValidationError as err:
        raise SettingsError(f"{path}: {_explain(err)}") from None


def _precision_file(path: Path) -> dict:
    """The `[precision."SERIAL"]` tables of a precision file (`dxaparse precision --write`)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise SettingsError(f"{path}: cannot read the precision file: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"{path}: not valid TOML: {err}") from None
    if set(data) - {"precision"} or not isinstance(data.get("precision", {}), dict):
        raise SettingsError(f"{path}: a precision file holds only [precision.\"SERIAL\"] tables")
    return data.get("precision", {})


def _explain(err: ValidationError) -> str:
    out = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "settings"
        if e["type"] == "extra_forbidden":
            model = Hl7Envelope if e["loc"][:1] == ("hl7",) and len(e["loc"]) == 2 else CodingSettings
            out.append(f"unknown setting {where!r} (known: {', '.join(model.model_fields)})")
        else:
            out.append(f"{where}: {e['msg']}")
    return "; ".join(out)
