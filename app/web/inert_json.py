"""JSON that cannot turn into markup: `<`, `>` and `&` sent as \\u escapes (the same data once parsed).

Wrapped around /api/albums and the piccolo-admin mount, so a hostile title never appears as a raw
tag in any response body, even if a browser or a careless client treats the JSON as HTML.
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def escape_markup(body: bytes) -> bytes:
    """`<`, `>`, `&` only occur inside JSON strings, where \\u escapes mean the same characters."""
    for raw, escaped in _ESCAPES:
        body = body.replace(raw, escaped)
    return body


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in headers)


def inert_json(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: buffer each JSON response, escape it and fix its length."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _is_json(list(message.get("headers", []))):
                start = dict(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(bytes(message.get("body", b"")))
            if message.get("more_body"):
                return
            body = escape_markup(b"".join(chunks))
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers += [(b"content-length", str(len(body)).encode()), (b"x-content-type-options", b"nosniff")]
            await send({**start, "headers": headers})  # type: ignore[typeddict-item,arg-type]
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await app(scope, receive, capture)

    return wrapped
