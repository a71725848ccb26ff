"""The workbench's web application (Starlette, Jinja2 templates): routes, access control, audit.

Every page is rendered on the server; the only script highlights a value's evidence box. Every form
carries the session's CSRF token and is refused (403) without it. A viewer may look; only a coder may
correct, override and release (403 otherwise). The access log names the method, the path (never the
query string, which may hold a searched patient ID), the status and the user — no patient identifier.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..code import CodingSettings
from ..code.tables import in_force
from ..emit.store import AuditEntry, Store
from ..models import ExamResult, Site
from ..release import release_stored, why_not
from ..serve.mllp import Outbox
from . import edits, evidence
from .auth import Role, csrf_ok, csrf_token, password_ok
from .pictures import who_bands

ACCESS = logging.getLogger("dxaparse.review.access")


@dataclass(frozen=True)
class Config:
    """What `dxaparse review` was started with."""

    store: Path
    settings: CodingSettings
    out_dir: Path | None = None          # release writes <out_dir>/hl7/<sha256>.release.hl7
    mllp_queue: Path | None = None       # and queues the messages here
    trust_header: str | None = None      # the reverse proxy's authenticated-user header, if trusted
    secret: str = ""                     # signs the session cookie (random per start when empty)


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    @property
    def coder(self) -> bool:
        return self.role is Role.CODER


def create_app(config: Config) -> Starlette:
    store = Store(config.store)
    templates = Environment(loader=PackageLoader("dxaparse.review", "templates"),
                            autoescape=select_autoescape(["html"]))
    templates.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False)

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("user", request.state.user)
        context["csrf"] = csrf_token(request.session)
        context["message"] = request.session.pop("message", None)
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    def current_user(request: Request) -> User | None:
        if config.trust_header:
            name = request.headers.get(config.trust_header, "").strip()
        else:
            name = request.session.get("user", "")
        if not name:
            return None
        found = store.user(name)
        if found is None:
            # A proxy vouches for who it is; what they may do is ours to say: viewer unless added.
            return User(name, Role.VIEWER) if config.trust_header else None
        return User(name, Role(found[0]))

    def audit(user: User, action: str, exam: str | None = None, change: edits.Change | None = None,
              reason: str | None = None, after: str | None = None) -> None:
        store.record(AuditEntry(
            user=user.name, action=action, exam=exam, reason=reason,
            field=change.field if change else None,
            before=json.dumps(change.before) if change else None,
            after=json.dumps(change.after) if change else after))

    async def form_of(request: Request, role: Role | None = Role.CODER) -> dict[str, str]:
        """The posted form, refused without the session's CSRF token, and, for `role`, without it."""
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page")
        if role is Role.CODER and not request.state.user.coder:
            raise HTTPException(403, "only a coder may correct, override and release")
        return {key: value for key, value in form.items() if isinstance(value, str)}

    def stored(sha: str) -> ExamResult:
        found = [r for r in store.find(sha) if r.source.sha256 == sha]
        if not found:
            raise HTTPException(404, "no stored exam has this content hash")
        return found[0]

    def back(sha: str, message: str | None, request: Request) -> RedirectResponse:
        if message:
            request.session["message"] = message
        return RedirectResponse(f"/exam/{sha}", status_code=303)

    # --- pages ---------------------------------------------------------------------------------

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html", user=None)
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page")
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        found = store.user(name)
        if found is None or not password_ok(found[1], password):
            return render(request, "login.html", status=401, user=None, error="wrong name or password")
        request.session.clear()
        request.session["user"] = name
        store.record(AuditEntry(user=name, action="login"))
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        await form_of(request, role=None)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def worklist(request: Request) -> Response:
        q = request.query_params
        rows = store.worklist()
        want = {key: q.get(key, "").strip() for key in ("flag", "hold", "vendor", "kind", "since", "until",
                                                       "search")}
        def keep(r: ExamResult) -> bool:
            date = r.exam.date.isoformat() if r.exam.date else ""
            return all((
                not want["flag"] or want["flag"] in {f.code.value for f in r.coding.flags},
                not want["hold"] or want["hold"] in {h.reason.value for h in r.billing.holds},
                not want["vendor"] or r.source.vendor == want["vendor"],
                not want["kind"] or r.source.kind == want["kind"],
                not want["since"] or (date and date >= want["since"]),
                not want["until"] or (date and date <= want["until"]),
                not want["search"] or want["search"].lower() in {(r.exam.accession or "").lower(),
                                                                 (r.patient.id or "").lower()}))
        shown = [s for s in rows if keep(s.result)]
        choices = {
            "flag": sorted({f.code.value for s in rows for f in s.result.coding.flags}),
            "hold": sorted({h.reason.value for s in rows for h in s.result.billing.holds}),
            "vendor": sorted({s.result.source.vendor for s in rows}),
            "kind": sorted({s.result.source.kind for s in rows}),
        }
        return render(request, "worklist.html", rows=shown, total=len(rows), want=want, choices=choices)

    async def exam(request: Request) -> Response:
        sha = request.path_params["sha"]
        result = stored(sha)
        user = request.state.user
        audit(user, "view", sha)
        draft = store.draft(sha)
        working = draft or result
        history = store.history(sha)
        versions = [(newer, older, edits.diff(older.result.model_dump(mode="json", exclude={"source"}),
                                              newer.result.model_dump(mode="json", exclude={"source"})))
                    for newer, older in itertools.pairwise(history)]
        marks = evidence.marks(working)
        pdf = evidence.pdf_source(result)
        pages = sorted({m.page for m in marks if m.page is not None}) or ([0] if pdf else [])
        tables = in_force(result.exam.date)
        return render(
            request, "exam.html", r=result, draft=draft, working=working, sha=sha,
            version=store.version(sha), versions=versions, marks=marks, pdf=pdf, pages=pages,
            source_missing=result.source.kind == "pdf" and pdf is None,
            has_evidence=any(m.evidence for m in working.measurements),
            picture=who_bands(working), sites=[s.value for s in Site],
            fractures=edits.fractures_text(working),
            cpt_codes=sorted(c for c, e in tables.cpt.codes.items() if e.status == "active"),
            icd_codes=sorted(c for c in tables.icd10.codes if c not in tables.icd10.never),
            editions=tables.editions, trail=store.audit([sha, *(s.result.source.sha256 for s in history)]),
            not_releasable=why_not(store, result), not_read=not_read(result),
            inputs=store.study_inputs(result.exam.study_uid) if result.exam.study_uid else {})

    async def page_image(request: Request) -> Response:
        result = stored(request.path_params["sha"])
        pdf = evidence.pdf_source(result)
        if pdf is None:
            raise HTTPException(404, "the source PDF is no longer where it was read")
        try:
            png = evidence.page_png(pdf, request.path_params["page"])
        except IndexError:
            raise HTTPException(404, "no such page") from None
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    # --- actions -------------------------------------------------------------------------------

    async def correct(request: Request) -> Response:
        sha = request.path_params["sha"]
        form = await form_of(request)
        reason = form.pop("reason", "").strip()
        if not reason:
            return back(sha, "not saved: every edit needs a reason", request)
        result = stored(sha)
        working = store.draft(sha) or result
        try:
            findings, changes = edits.corrected(working, form)
        except edits.EditError as err:
            return back(sha, f"not saved: {err}", request)
        if not changes:
            return back(sha, "nothing changed", request)
        recoded = edits.recode(result, findings, config.settings, config.store)
        store.set_draft(sha, recoded, request.state.user.name)
        for change in changes:
            audit(request.state.user, "edit", sha, change, reason)
        return back(sha, f"re-coded: {recoded.coding.category.value} (was {working.coding.category.value})",
                    request)

    async def override(request: Request) -> Response:
        sha = request.path_params["sha"]
        form = await form_of(request)
        reason = form.get("reason", "").strip()
        if not reason:
            return back(sha, "not saved: every override needs a reason", request)
        working = store.draft(sha) or stored(sha)
        try:
            line = int(form.get("line", ""))
            overridden, change = edits.override(working, form.get("kind", ""), line, form.get("code", ""),
                                                reason, request.state.user.name)
        except (ValueError, edits.EditError) as err:
            return back(sha, f"not overridden: {err}", request)
        store.set_draft(sha, overridden, request.state.user.name)
        audit(request.state.user, "override", sha, change, reason)
        return back(sha, f"overridden: {change.field} {change.before} → {change.after}", request)

    async def discard(request: Request) -> Response:
        sha = request.path_params["sha"]
        form = await form_of(request)
        if store.draft(sha) is not None:
            store.set_draft(sha, None)
            audit(request.state.user, "discard", sha, reason=form.get("reason") or None)
        return back(sha, "the corrections were discarded", request)

    async def release(request: Request) -> Response:
        sha = request.path_params["sha"]
        form = await form_of(request)
        reason = form.get("reason", "").strip()
        if not reason:
            return back(sha, "not released: say why it may bill", request)
        result = stored(sha)
        if problem := why_not(store, result):
            return back(sha, f"not released: {problem}", request)
        draft = store.draft(sha)
        user = request.state.user
        if draft is None:
            audit(user, "accept", sha, reason=reason)
        new = edits.new_version(draft or result, result)
        if problem := why_not_new(new):
            return back(sha, f"not released: {problem}", request)
        store.amend(new, of=sha)
        outbox = Outbox(config.mllp_queue) if config.mllp_queue else None
        try:
            done = release_stored(store, new, user.name, reason, envelope=config.settings.hl7,
                                  out_dir=config.out_dir, outbox=outbox)
        finally:
            if outbox:
                outbox.close()
        store.set_draft(sha, None)
        sent = ", ".join(kind for kind, _ in done.messages) or "nothing"
        where = "; ".join(done.where) or "recorded only (no --out-dir or MLLP outbox configured)"
        store.record(AuditEntry(user=user.name, action="release", exam=new.source.sha256,
                                field="billing.status", before=json.dumps("held"),
                                after=json.dumps(f"released: {sent} → {where}"), reason=reason))
        request.session["message"] = (f"released {new.source.sha256[:12]} (version "
                                      f"{store.version(new.source.sha256).version}): {sent} → {where}")
        return RedirectResponse("/", status_code=303)

    def why_not_new(new: ExamResult) -> str | None:
        if not (new.patient.id or "").strip():
            return "no patient identifier"
        if new.exam.date is None:
            return "no date of service"
        return None

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", worklist),
        Route("/exam/{sha:str}", exam),
        Route("/exam/{sha:str}/page/{page:int}.png", page_image),
        Route("/exam/{sha:str}/correct", correct, methods=["POST"]),
        Route("/exam/{sha:str}/override", override, methods=["POST"]),
        Route("/exam/{sha:str}/discard", discard, methods=["POST"]),
        Route("/exam/{sha:str}/release", release, methods=["POST"]),
    ]

    async def on_error(request: Request, exc: HTTPException) -> Response:
        return HTMLResponse(templates.get_template("error.html").render(
            status=exc.status_code, detail=exc.detail, user=getattr(request.state, "user", None)),
            status_code=exc.status_code)

    secret = config.secret or secrets.token_hex(32)
    app = Starlette(routes=routes, exception_handlers={HTTPException: on_error},
                    middleware=[Middleware(SessionMiddleware, secret_key=secret,
                                           session_cookie="dxaparse_review", same_site="strict"),
                                Middleware(_Access, who=current_user)])
    app.state.store = store
    return app


class _Access:
    """Logs each request (method, path without query, status, user) and sends anyone not signed in to
    the login page. Pure ASGI, so it sits inside the session middleware and sees the session."""

    def __init__(self, app, who):
        self.app, self.who = app, who

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        user = self.who(request)
        scope.setdefault("state", {})["user"] = user
        status = {}

        async def sending(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        if user is None and scope["path"] != "/login":
            await RedirectResponse("/login", status_code=303)(scope, receive, sending)
        else:
            await self.app(scope, receive, sending)
        ACCESS.info("%s %s %s %s", scope["method"], scope["path"], status.get("code", "-"),
                    user.name if user else "-")


def not_read(result: ExamResult) -> list[tuple[str, str]]:
    """The study's objects the reader skipped or could not read, and why (the objects read are the
    store's inputs of the study)."""
    from ..models import DoubtReason

    return [(d.field, d.detail) for d in result.exam.doubts if d.reason is DoubtReason.OBJECT_NOT_READ]
