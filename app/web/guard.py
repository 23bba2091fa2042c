"""Every page, /api and /admin/db need a logged-in admin; anonymous pages go to /login."""

from __future__ import annotations

import json
from urllib.parse import quote

from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from app.auth.tokens import token_user
from app.auth.users import CurrentUser, user_for_session
from app.llamalog.context import job_scope, user_job

SESSION_COOKIE = "id"  # piccolo-admin reads the same cookie
PUBLIC_PREFIXES = ("/login", "/static/", "/healthz", "/favicon.ico")
# Where `Authorization: Bearer <token>` is read (scripts); pages stay cookie-only.
TOKEN_PREFIXES = ("/api", "/schema")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The scope key that marks a request authenticated by a bearer token (CSRF skips those: a browser
# never attaches the header by itself, so a forged cross-site request cannot carry it).
TOKEN_SCOPE_KEY = "llama_token"


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def session_cookie(scope: Scope) -> str | None:
    """The session token this request is authenticated by (the first `id` cookie)."""
    return _cookie(scope, SESSION_COOKIE)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def login_guard(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: put the user in scope["user"] and run the request as a user job."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        path: str = scope["path"]
        authorization = _header(scope, b"authorization")
        if authorization is not None and path.startswith(TOKEN_PREFIXES):
            await _with_token(app, authorization, scope, receive, send)
            return
        user = await user_for_session(session_cookie(scope))
        scope["user"] = user  # type: ignore[typeddict-unknown-key]
        if user is None and not path.startswith(PUBLIC_PREFIXES):
            await _refuse(scope, send, path)
            return
        if user is None:
            await app(scope, receive, send)
            return
        with job_scope(user_job(user.id, user.username)):
            await app(scope, receive, send)

    return guarded


async def _with_token(app: ASGIApp, authorization: str, scope: Scope, receive: Receive, send: Send) -> None:
    """A script's request: a live bearer token, else 401; a read-only token on a write, 403."""
    kind, _, token = authorization.strip().partition(" ")
    found = await token_user(token.strip()) if kind.lower() == "bearer" else None
    if found is None:
        await _json_error(send, 401, "bad or revoked API token (send Authorization: Bearer <token>)")
        return
    if scope.get("method", "GET") not in SAFE_METHODS and not found.can_write:
        await _json_error(send, 403, "this API token is read-only")
        return
    scope["user"] = CurrentUser(id=found.user_id, username=found.username)  # type: ignore[typeddict-unknown-key]
    scope[TOKEN_SCOPE_KEY] = found.token_id  # type: ignore[literal-required]
    with job_scope(user_job(found.user_id, found.username)):
        await app(scope, receive, send)


async def _json_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"status_code": status, "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="llamalog"'))
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _refuse(scope: Scope, send: Send, path: str) -> None:
    if path.startswith("/api") or path.startswith("/schema"):
        body = json.dumps({"status_code": 401, "detail": "log in first"}).encode()
        headers = [(b"content-type", b"application/json")]
        status = 401
    else:
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        location = "/login?next=" + quote(target, safe="")
        headers = [(b"location", location.encode()), (b"content-type", b"text/plain")]
        if _header(scope, b"hx-request") == "true":
            headers.append((b"hx-redirect", location.encode()))
        body = b"log in first"
        status = 303
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
