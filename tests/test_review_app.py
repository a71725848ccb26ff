"""The review workbench's routes (Starlette's test client): log-in, worklist, exam page, corrections
re-coded, overrides from the tables in force, release, audit trail, roles, CSRF, proxy header, logs."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.testclient import TestClient

from dxaparse.cli import main
from dxaparse.code import CodingSettings
from dxaparse.emit.store import Store
from dxaparse.review.app import Config, create_app

from ._review import PASSWORD, csrf_of, fill


@pytest.fixture
def setup(tmp_path):
    store = tmp_path / "store.sqlite3"
    shas = fill(store)
    config = Config(store=store, settings=CodingSettings(), out_dir=tmp_path / "out")
    return config, shas


def client(config: Config, user: str | None = "cora") -> TestClient:
    c = TestClient(create_app(config), base_url="http://127.0.0.1", follow_redirects=True)
    if user:
        page = c.get("/login")
        r = c.post("/login", data={"name": user, "password": PASSWORD, "csrf": csrf_of(page.text)})
        assert r.status_code == 200 and "Worklist" in r.text
    return c


def post(c: TestClient, url: str, data: dict, page: str = "/"):
    return c.post(url, data={"csrf": csrf_of(c.get(page).text), **data})


def test_login_logout_and_wrong_password(setup):
    config, _ = setup
    c = client(config, user=None)
    assert c.get("/").url.path == "/login"
    page = c.get("/login")
    r = c.post("/login", data={"name": "cora", "password": "wrong", "csrf": csrf_of(page.text)})
    assert r.status_code == 401 and "wrong name or password" in r.text
    c = client(config)
    assert "cora (coder)" in c.get("/").text
    r = post(c, "/logout", {})
    assert r.url.path == "/login"
    assert c.get("/").url.path == "/login"


def test_worklist_order_filters_and_search(setup):
    config, shas = setup
    c = client(config)
    text = c.get("/").text
    assert all(sha[:12] in text for sha in shas.values())
    # every sample is held; held exams come by date of service
    order = sorted(shas, key=lambda n: text.index(shas[n][:12]))
    assert order == ["pram", "young", "osteo", "disagrees"]
    flagged = c.get("/", params={"flag": "impression_disagrees"}).text
    assert shas["disagrees"][:12] in flagged and shas["young"][:12] not in flagged
    assert shas["young"][:12] in c.get("/", params={"flag": "screening_code_alone"}).text
    pdfs = c.get("/", params={"kind": "pdf"}).text
    assert shas["young"][:12] in pdfs and shas["osteo"][:12] not in pdfs
    assert shas["osteo"][:12] in c.get("/", params={"since": "2025-01-01", "until": "2025-01-31"}).text
    assert shas["pram"][:12] not in c.get("/", params={"since": "2025-01-01"}).text
    found = c.get("/", params={"search": "syn-f03"}).text
    assert shas["osteo"][:12] in found and shas["disagrees"][:12] not in found


def test_exam_page_shows_coding_flags_findings_picture_and_records_the_view(setup):
    config, shas = setup
    c = client(config)
    text = c.get(f"/exam/{shas['disagrees']}").text
    assert "impression_disagrees" in text and "screening_code_alone" in text
    assert 'id="findings"' in text and '<svg class="who"' in text and "(basis)" in text
    with Store(config.store) as store:
        (entry,) = store.audit([shas["disagrees"]])
    assert (entry.user, entry.action) == ("cora", "view")
    assert f'/exam/{shas["young"]}/page/0.png' in c.get(f"/exam/{shas['young']}").text
    png = c.get(f"/exam/{shas['young']}/page/0.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_correcting_a_score_recodes_and_shows_the_new_category_beside_the_old(setup):
    config, shas = setup
    c = client(config)
    sha = shas["pram"]
    page = c.get(f"/exam/{sha}").text
    assert 'id="corrected"' not in page
    r = post(c, f"/exam/{sha}/correct", {"reason": "typo on the printout", "measurements": "1",
                                          **_scores(config, sha, 1.0)}, f"/exam/{sha}")
    assert "re-coded: normal (was low_bone_mass)" in r.text
    assert 'id="corrected"' in r.text and 'id="suggested"' in r.text
    with Store(config.store) as store:
        edits = [e for e in store.audit([sha]) if e.action == "edit"]
    assert edits and all(e.reason == "typo on the printout" for e in edits)
    assert any(e.field.endswith("t_score") and json.loads(e.after) == 1.0 for e in edits)


def test_an_edit_without_a_reason_is_not_saved(setup):
    config, shas = setup
    c = client(config)
    sha = shas["osteo"]
    r = post(c, f"/exam/{sha}/correct", {"reason": " ", "age_years": "50"}, f"/exam/{sha}")
    assert "every edit needs a reason" in r.text
    with Store(config.store) as store:
        assert store.draft(sha) is None


def _scores(config: Config, sha: str, t: float) -> dict[str, str]:
    with Store(config.store) as store:
        (result,) = store.find(sha)
    return {f"m{n}.t_score": str(t) for n, m in enumerate(result.measurements) if m.t_score is not None}


@pytest.mark.parametrize(("kind", "code", "why"), [
    ("cpt", "77082", "was deleted"), ("cpt", "99999", "is not in the code table"),
    ("cpt", "77078", "not a DXA code"), ("icd10", "Q99.9", "is not a code of")])
def test_override_refuses_codes_not_in_the_table_in_force(setup, kind, code, why):
    config, shas = setup
    c = client(config)
    sha = shas["osteo"]
    r = post(c, f"/exam/{sha}/override", {"kind": kind, "line": "0", "code": code, "reason": "x"},
             f"/exam/{sha}")
    assert "not overridden" in r.text and why in r.text
    with Store(config.store) as store:
        assert store.draft(sha) is None


def test_override_then_release_writes_the_dft_and_a_new_version_and_audits_it(setup):
    config, shas = setup
    c = client(config)
    sha = shas["osteo"]
    r = post(c, f"/exam/{sha}/override", {"kind": "icd10", "line": "0", "code": "M81.8",
                                           "reason": "secondary osteoporosis per chart"}, f"/exam/{sha}")
    assert "overridden: coding.icd10[0].code" in r.text
    r = post(c, f"/exam/{sha}/release", {"reason": "reviewed"}, f"/exam/{sha}")
    assert r.url.path == "/" and "released" in r.text and "(version 2)" in r.text
    with Store(config.store) as store:
        (old,) = store.find(sha)
        new_sha = next(e.exam for e in store.audit() if e.action == "release")
        (new,) = store.find(new_sha)
        version, old_version = store.version(new_sha), store.version(sha)
        trail = store.audit([sha, new_sha])
        history = [s.result.source.sha256 for s in store.history(new_sha)]
    assert version.version == 2 and version.supersedes == sha and version.current
    assert not old_version.current and history == [new_sha, sha]
    assert new.billing.status.value == "released" and new.billing.release.by == "cora"
    assert new.coding.icd10[0].code == "M81.8" and old.coding.icd10[0].code != "M81.8"
    hl7 = (config.out_dir / "hl7" / f"{new_sha}.release.hl7").read_text()
    assert hl7.startswith("MSH|") and "DFT^P03" in hl7 and "M81.8" in hl7
    assert [e.action for e in trail if e.action != "view"] == ["override", "release"]
    assert all(e.user == "cora" for e in trail)
    assert new_sha[:12] not in c.get("/").text      # released: off the worklist
    page = c.get(f"/exam/{new_sha}").text            # the new version's page: its diff and the trail
    assert "coding.icd10[0].code" in page and "M81.8" in page and ">release<" in page


def test_accepting_records_accept_and_release(setup):
    config, shas = setup
    c = client(config)
    sha = shas["pram"]
    post(c, f"/exam/{sha}/release", {"reason": "checked"}, f"/exam/{sha}")
    with Store(config.store) as store:
        actions = [e.action for e in store.audit()]
    assert actions[-2:] == ["accept", "release"]


def test_a_viewer_may_look_but_not_correct_override_or_release(setup):
    config, shas = setup
    c = client(config, "vic")
    sha = shas["osteo"]
    page = c.get(f"/exam/{sha}")
    assert page.status_code == 200 and 'id="release"' not in page.text and 'id="correct"' not in page.text
    for action, data in (("correct", {"age_years": "50"}), ("override", {"kind": "cpt", "line": "0",
                                                                         "code": "77080"}), ("release", {})):
        r = post(c, f"/exam/{sha}/{action}", {"reason": "x", **data}, f"/exam/{sha}")
        assert r.status_code == 403
    with Store(config.store) as store:
        assert store.find(sha)[0].billing.status.value == "held"
        assert not any(e.action in {"edit", "override", "release"} for e in store.audit())


def test_a_post_without_the_csrf_token_is_refused(setup):
    config, shas = setup
    c = client(config)
    sha = shas["osteo"]
    assert c.post(f"/exam/{sha}/release", data={"reason": "x"}).status_code == 403
    assert c.post(f"/exam/{sha}/release", data={"reason": "x", "csrf": "forged"}).status_code == 403
    assert c.post("/logout").status_code == 403
    with Store(config.store) as store:
        assert store.find(sha)[0].billing.status.value == "held"


def test_proxy_header_mode_trusts_the_header_and_gives_unknown_users_the_viewer_role(setup):
    config, shas = setup
    config = Config(**{**config.__dict__, "trust_header": "X-Remote-User"})
    c = TestClient(create_app(config), base_url="http://127.0.0.1", follow_redirects=False)
    assert c.get("/").headers["location"] == "/login"
    assert "cora (coder)" in c.get("/", headers={"X-Remote-User": "cora"}).text
    sha = shas["osteo"]
    page = c.get(f"/exam/{sha}", headers={"X-Remote-User": "someone"})
    assert "someone (viewer)" in page.text
    r = c.post(f"/exam/{sha}/release", data={"reason": "x", "csrf": csrf_of(page.text)},
               headers={"X-Remote-User": "someone"})
    assert r.status_code == 403


def test_access_log_names_no_patient_identifier(setup, caplog):
    config, shas = setup
    c = client(config)
    with caplog.at_level(logging.INFO, logger="dxaparse.review.access"):
        assert shas["osteo"][:12] in c.get("/", params={"search": "SYN-F03"}).text
        c.get(f"/exam/{shas['osteo']}")
    lines = [r.getMessage() for r in caplog.records if r.name == "dxaparse.review.access"]
    assert any(line.startswith("GET / 200 cora") for line in lines)
    assert any(line.startswith(f"GET /exam/{shas['osteo']} 200") for line in lines)
    assert not any("SYN-F03" in line or "search" in line for line in lines)


def test_users_and_audit_commands(setup, tmp_path, monkeypatch, capsys):
    config, shas = setup
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("another secret\n"))
    assert main(["users", "add", "bea", "--role", "coder", "--store", str(config.store)]) == 0
    c = client(config, user=None)
    page = c.get("/login")
    assert "Worklist" in c.post("/login", data={"name": "bea", "password": "another secret",
                                                "csrf": csrf_of(page.text)}).text
    c.get(f"/exam/{shas['osteo']}")
    out = tmp_path / "audit.csv"
    assert main(["audit", "--store", str(config.store), "--format", "csv", "-o", str(out)]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "at,user,action,exam,field,before,after,reason"
    assert any(",bea,view," + shas["osteo"] in row for row in rows)
    capsys.readouterr()
    assert main(["audit", "--store", str(config.store), "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
