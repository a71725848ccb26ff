"""Site coding settings: TOML file, $DXAPARSE_CONFIG, defaults, and clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dxaparse.code import CodingSettings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("DXAPARSE_CONFIG", raising=False)


def write(tmp_path: Path, text: str, name: str = "coding.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    s = load_settings(None)
    assert (s.billing_mode, s.payer, s.tbs_split, s.abn) == ("global", "medicare", False, "none")
    assert s == CodingSettings()


def test_file(tmp_path):
    s = load_settings(write(tmp_path, 'billing_mode = "professional"\npayer = "commercial"\n'
                                      'tbs_split = true\ntbs_split_codes = ["77092"]\nabn = "GA"\n'))
    assert (s.billing_mode, s.payer, s.tbs_split, s.tbs_split_codes, s.abn) == (
        "professional", "commercial", True, ("77092",), "GA")


def test_env_var_and_path_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DXAPARSE_CONFIG", str(write(tmp_path, 'payer = "commercial"\n', "env.toml")))
    assert load_settings().payer == "commercial"
    assert load_settings(write(tmp_path, 'payer = "medicare"\n')).payer == "medicare"


def test_empty_file_is_defaults(tmp_path):
    assert load_settings(write(tmp_path, "")) == CodingSettings()


@pytest.mark.parametrize(("text", "message"), [
    ('biling_mode = "professional"\n', "unknown setting 'biling_mode'"),
    ('[coding]\npayer = "medicare"\n', "unknown setting 'coding'"),
    ('billing_mode = "pro"\n', "billing_mode"),
    ('payer = "medicaid"\n', "payer"),
    ('abn = "GX"\n', "abn"),
    ('tbs_split_codes = ["77089"]\n', "77089 not among the TBS split codes"),
    ('tbs_split_codes = ["77082"]\n', "77082"),
    ('tbs_split = true\ntbs_split_codes = []\n', "tbs_split_codes is empty"),
    ('payer = medicare\n', "not valid TOML"),
    ('[hl7]\nsending_app = "X"\n', r"unknown setting 'hl7.sending_app' \(known: sending_application, "),
    ('[hl7]\nprocessing_id = "D"\n', "hl7.processing_id"),
    ('[hl7]\npatient_class = "X"\n', "hl7.patient_class"),
    ('[hl7]\nreceiving_facility = "A^B"\n', "hl7.receiving_facility: .*without HL7 delimiters"),
    ('[hl7]\nsending_facility = " "\n', "hl7.sending_facility"),
    ('[hl7]\ntime_zone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
    ('hl7 = "T"\n', "hl7"),
])
def test_bad_settings_are_clear_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError, match=message) as err:
        load_settings(path)
    assert str(path) in str(err.value)


def test_hl7_envelope_from_the_file(tmp_path):
    s = load_settings(write(tmp_path, '[hl7]\nsending_facility = "DXA-CLINIC"\nprocessing_id = "T"\n'
                                      'patient_id_authority = "MAIN-HOSP"\npatient_id_type = "PI"\n'
                                      'patient_class = "I"\ntime_zone = "Europe/Paris"\n'))
    h = s.hl7
    assert (h.sending_application, h.sending_facility, h.receiving_application, h.processing_id) == (
        "DXAPARSE", "DXA-CLINIC", None, "T")
    assert (h.patient_id_authority, h.patient_id_type, h.patient_class, h.time_zone) == (
        "MAIN-HOSP", "PI", "I", "Europe/Paris")
    defaults = CodingSettings().hl7
    assert (defaults.processing_id, defaults.patient_id_type, defaults.patient_class, defaults.time_zone) == (
        "P", "MR", "O", None)


def test_missing_file(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.toml")


def test_documented_example_loads():
    """The example file in docs/configuration.md is valid."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    s = CodingSettings.model_validate(tomllib.loads(example))
    assert s.billing_mode == "professional" and s.payer == "commercial"
