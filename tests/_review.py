"""A store for the review workbench tests, filled from the samples (every one held; some flagged), and
its users."""

from __future__ import annotations

import re
from pathlib import Path

from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.pipeline import process
from dxaparse.review.auth import hash_password

from .conftest import ROOT

SAMPLES = {
    "young": ROOT / "samples/pdf/hologic-spine-young-no-pram.pdf",        # flagged: screening_code_alone
    "pram": ROOT / "samples/pdf/hologic-spine-hip-pram.pdf",              # held only
    "disagrees": ROOT / "samples/findings/impression-disagrees.json",     # two flags
    "osteo": ROOT / "samples/findings/postmenopausal-osteoporosis.json",
}
PASSWORD = "correct horse battery"


def fill(path: Path) -> dict[str, str]:
    """The samples coded into a store at `path`, with a coder `cora` and a viewer `vic`; name → sha256."""
    shas = {}
    with Store(path) as store:
        for name, sample in SAMPLES.items():
            (result,) = process(sample, CodingSettings())
            store.add(result)
            shas[name] = result.source.sha256
        store.set_user("cora", "coder", hash_password(PASSWORD))
        store.set_user("vic", "viewer", hash_password(PASSWORD))
    return shas


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)
