"""CSRF tokens bound to the session: a logged-in admin's token is derived from their session, so a
token minted for anyone else (an anonymous /login page, another session) is refused.

Double submit as before (the `llama_csrf` cookie and the form field or `X-CSRFToken` header must
agree), and on top of it, for a logged-in request, the token must be the one of that session:
HMAC(secret, session token). The login form, before any session, gets a random signed token; login
and logout set a new cookie, so the token rotates with the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from app.config import get_settings
from app.web.guard import TOKEN_SCOPE_KEY, session_cookie

COOKIE = "llama_csrf"
HEADER = "x-csrftoken"
FORM_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# piccolo-admin checks its own token; static files and the health check never take a form.
SKIPPED = ("/admin/db", "/static/", "/healthz", "/favicon.ico")


def _sign(purpose: str, value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def token_for_session(session: str) -> str:
    """The only token a request carrying this session may use."""
    return "s" + _sign("session", session)


def anonymous_token() -> str:
    """A fresh signed token for a page seen before logging in (the login form)."""
    nonce = secrets.token_hex(16)
    return f"a{nonce}.{_sign('anonymous', nonce)}"


def _same(a: str, b: str) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters, and anyone can send those.
    return hmac.compare_digest(a.encode(errors="surrogateescape"), b.encode(errors="surrogateescape"))


def _is_anonymous_token(token: str) -> bool:
    nonce, _, signature = token[1:].partition(".")
    return token.startswith("a") and _same(signature, _sign("anonymous", nonce))


def csrf_cookie(token: str) -> Cookie:
    return Cookie(key=COOKIE, value=token, path="/", httponly=False, samesite="lax")


def _cookies(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, val = part.strip().partition("=")
                found[name] = val
    return found


def _expected(scope: Scope, cookies: dict[str, str]) -> str:
    """The token this request must carry: its session's, else the anonymous one it already has."""
    session = session_cookie(scope)  # the very cookie the guard let in, even if `id` is sent twice
    if scope.get("user") is not None and session:
        return token_for_session(session)
    cookie = cookies.get(COOKIE, "")
    return cookie if _is_anonymous_token(cookie) else anonymous_token()


async def _submitted(scope: Scope, receive: Receive) -> str:
    headers = dict(scope.get("headers", []))
    if HEADER.encode() in headers:
        return headers[HEADER.encode()].decode("latin-1")
    request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
    if request.content_type[0] not in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return ""
    value = (await request.form()).get(FORM_FIELD)  # cached in scope: the handler reads it again
    return value if isinstance(value, str) else ""


class CSRFMiddleware:
    """ASGI middleware: refuse an unsafe request whose token is not its session's (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # raw_path: a mounted app (piccolo-admin) has its prefix cut from scope["path"] by now.
        path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        # A bearer-token request (app.web.guard) carries no cookie to forge: CSRF is for sessions.
        if scope["type"] != "http" or path.startswith(SKIPPED) or scope.get(TOKEN_SCOPE_KEY) is not None:
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        expected = _expected(scope, cookies)
        if scope.get("method") not in SAFE_METHODS:
            submitted = await _submitted(scope, receive)
            cookie = cookies.get(COOKIE, "")
            if not (_same(submitted, expected) and _same(cookie, expected)):
                raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(scope).csrf_token = expected
        if cookies.get(COOKIE) == expected:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if not any(v.startswith(f"{COOKIE}=") for v in headers.getall("set-cookie", [])):
                    headers.add("set-cookie", csrf_cookie(expected).to_header(header=""))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
