"""Security headers on every response: CSP, no framing, no sniffing, same-origin referrers, and no
caching of what a logged-in admin sees."""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Scripts: our own files only, no inline script and no eval (htmx runs with allowEval false and
# without its injected indicator <style>, see the htmx-config meta in base.html).
# Styles: our own sheets; no <style> element, so injected markup cannot use CSS selectors to read
# the page (e.g. the CSRF token in a hidden input). style-src-attr allows style="" attributes: the
# pages draw progress and score bars with a server-computed `width`, and an attribute styles only
# its own element, it cannot select or read anything else.
# Images: cover art comes from the sources (Cover Art Archive, Spotify, Discogs, or the local fake
# in the demo) at whatever host they name; an image cannot run anything.
# frame-ancestors 'none': a framed admin page could be clicked into reverting a whole run.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' https: http: data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# piccolo-admin (/admin/db) is a Vue build that compiles templates at run time (eval) and injects
# <style> elements: it gets eval and inline styles, still no inline script and no framing.
ADMIN_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
ADMIN_PREFIX = "/admin/db"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
PUBLIC_FILES = ("/static/", "/favicon.ico")


def security_headers(app: ASGIApp) -> ASGIApp:
    """ASGI middleware (outermost, so redirects, errors and static files get the headers too)."""

    async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        public = scope["path"].startswith(PUBLIC_FILES)
        policy = ADMIN_CSP if scope["path"].startswith(ADMIN_PREFIX) else CSP
        own = ((b"content-security-policy", policy.encode()), *HEADERS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                # A stricter policy set inside (piccolo-admin's for uploaded media) stays.
                headers += [(name, value) for name, value in own if name not in present]
                # The guard inside has put the user in scope by the time the response starts.
                if scope.get("user") is not None and not public:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return with_headers
