"""The review workbench in a real browser: Debian's headless chromium driven by Playwright for Python
(its own browser build cannot be downloaded here; scripts/install-peers installs chromium). The test
starts `dxaparse review` itself on a free loopback port over a store filled from the samples, and walks
the loop: log in, worklist, a flagged exam and its evidence, a corrected score re-coded, a release that
writes the DFT and is audited, a viewer who cannot release, a form without its CSRF token refused.
The screenshots in docs/review/ are taken here."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dxaparse.emit.store import Store

from ._review import PASSWORD, SAMPLES, fill
from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "docs" / "review"

pytestmark = [pytest.mark.peers, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).is_file(),
                                 reason="no chromium: run scripts/install-peers")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    store = tmp_path / "store.sqlite3"
    shas = fill(store)
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "dxaparse", "review", "--store", str(store), "--port",
                             str(port), "--out-dir", str(tmp_path / "out")],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", store, shas, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _login(browser, base: str, name: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("#worklist")
    return page


def test_the_review_loop_in_chromium(server, browser):
    base, store, shas, tmp = server
    page = _login(browser, base, "cora")
    rows = page.locator("#worklist tr")
    assert rows.count() == len(SAMPLES) + 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "worklist.png"), full_page=True)

    # a flagged exam: its flag, its findings, and the evidence of a value
    page.click(f"a[href='/exam/{shas['young']}']")
    page.wait_for_selector("#findings")
    assert "screening_code_alone" in page.inner_text("#suggested")
    # the readers keep provenance: a value's box is drawn on the page, and clicking the value lights it
    assert page.locator("rect.box").count() > 0 and "No evidence boxes kept" not in page.content()
    cell = page.locator("td.value[data-box]").first
    box_id = cell.get_attribute("data-box")
    assert "on" not in (page.locator(f"#{box_id}").get_attribute("class") or "")
    cell.click()
    assert "on" in page.locator(f"#{box_id}").get_attribute("class")
    page.wait_for_function("() => { const i = document.querySelector('.page img'); "
                           "return i && i.complete && i.naturalWidth > 0; }", timeout=15000)
    page.screenshot(path=str(SHOTS / "exam.png"), full_page=True)

    # correct a score: re-coded at once, the new category beside the old
    sha = shas["pram"]
    page.goto(f"{base}/exam/{sha}")
    assert page.inner_text("#suggested .category") == "low_bone_mass"
    for field in page.locator("#correct input[name$='.t_score']").all():
        if field.input_value():
            field.fill("1.0")
    page.fill("#correct input[name=reason]", "T-scores misread")
    page.click("#correct button")
    page.wait_for_selector("#corrected")
    assert page.inner_text("#corrected .category") == "normal"
    assert page.inner_text("#suggested .category") == "low_bone_mass"
    page.screenshot(path=str(SHOTS / "exam-corrected.png"), full_page=True)

    # release: a new version, the DFT written, the audit entry shown
    page.fill("#release input[name=reason]", "reviewed against the printout")
    page.click("#release button")
    page.wait_for_selector("#worklist")
    assert "released" in page.inner_text("[role=status]")
    (written,) = (tmp / "out" / "hl7").glob("*.release.hl7")
    assert "DFT^P03" in written.read_text()
    new_sha = written.name.split(".")[0]
    with Store(store) as s:
        assert s.version(new_sha).supersedes == sha and s.find(new_sha)[0].billing.status.value == "released"
    page.goto(f"{base}/exam/{new_sha}")
    actions = page.locator("#audit td.action").all_inner_texts()
    assert "release" in actions and "edit" in actions

    # a form without its CSRF token is refused
    page.goto(f"{base}/exam/{shas['osteo']}")
    page.evaluate("document.querySelector('#release input[name=csrf]').remove()")
    page.fill("#release input[name=reason]", "no token")
    with page.expect_response(lambda r: r.url.endswith("/release")) as response:
        page.click("#release button")
    assert response.value.status == 403
    assert "CSRF" in page.inner_text("main")

    # a viewer sees the exam but no release form, and a release posted anyway is refused
    viewer = _login(browser, base, "vic")
    viewer.goto(f"{base}/exam/{shas['osteo']}")
    assert viewer.locator("#release").count() == 0 and viewer.locator("#correct").count() == 0
    token = viewer.locator("input[name=csrf]").first.get_attribute("value")
    answer = viewer.request.post(f"{base}/exam/{shas['osteo']}/release",
                                 form={"csrf": token, "reason": "trying"})
    assert answer.status == 403
    with Store(store) as s:
        assert s.find(shas["osteo"])[0].billing.status.value == "held"

    # searching by patient ID finds the exam, and the server's access log names no patient
    page.goto(f"{base}/")
    page.fill("input[name=search]", "SYN-F03")
    page.click("button:has-text('Filter')")
    assert page.locator("#worklist tr").count() == 2
    log = (tmp / "server.log").read_text()
    assert "GET /exam/" in log and "SYN-" not in log and "search" not in log
