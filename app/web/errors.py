"""HTTP errors: a styled page with the nav for every HTML route, JSON for /api and /schema."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException

from app.json_types import JSONObject
from app.not_found import NotFound
from app.web.templating import render

log = logging.getLogger("llamalog.web")

JSON_PREFIXES = ("/api", "/schema")
# htmx swaps these answers into the page (see base.html's htmx-config): send the message block only.
INLINE_STATUSES = (400, 409, 422)


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").split(",")[0]
    return request.url.path.startswith(JSON_PREFIXES) or "application/json" in accept


def _message(request: Request, exc: HTTPException) -> str:
    # Litestar's own words for these ("Not Found", "Method Not Allowed") tell a person nothing.
    if exc.status_code == 404 and exc.detail in ("", "Not Found"):
        return f"There is no page at {request.url.path}."
    if exc.status_code == 405:
        return f"{request.url.path} does not answer a {request.method} request."
    if exc.status_code == 413:
        return "What you sent is too big for this form."
    return str(exc.detail)


def http_error(request: Request, exc: HTTPException) -> Response[str] | Response[JSONObject]:
    """Any HTTPException (a handler's or the router's: no route, wrong method) as a page or JSON."""
    status = exc.status_code
    headers = dict(exc.headers or {})
    if wants_json(request):
        body: JSONObject = {"status_code": status, "detail": exc.detail}
        if exc.extra:
            body["extra"] = exc.extra
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    block = "content" if status in INLINE_STATUSES else None
    context = {"status": status, "message": _message(request, exc)}
    return render(request, "error.html", context, status_code=status, headers=headers, block=block)


def not_found(request: Request, exc: NotFound) -> Response[str] | Response[JSONObject]:
    """The one 404 of an album, track, artist, job or log row that is not there (a service's or a
    handler's NotFound): the styled page, or JSON under /api."""
    message = str(exc)
    if wants_json(request):
        body: JSONObject = {"status_code": 404, "detail": message}
        return Response(body, status_code=404, media_type=MediaType.JSON)
    return render(request, "error.html", {"status": 404, "message": message}, status_code=404)


def bad_request(request: Request, exc: Exception) -> Response[str] | Response[JSONObject]:
    message = str(exc)
    errors = getattr(exc, "errors", None)
    if wants_json(request):
        return Response(
            {"status_code": 400, "detail": message, "errors": errors},
            status_code=400,
            media_type=MediaType.JSON,
        )
    return render(request, "error.html", {"status": 400, "message": message}, status_code=400)


def forbidden(request: Request, exc: Exception) -> Response[str] | Response[JSONObject]:
    message = "Your form expired or came from another site: reload the page and try again."
    if "CSRF" not in str(getattr(exc, "detail", exc)):
        message = str(getattr(exc, "detail", exc))
    if wants_json(request):
        body: JSONObject = {"status_code": 403, "detail": message}
        return Response(body, status_code=403)
    return render(request, "error.html", {"status": 403, "message": message}, status_code=403, block=None)


def server_error(request: Request, exc: Exception) -> Response[str] | Response[JSONObject]:
    """An error page instead of a bare JSON body; the traceback goes to the server log."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "Something went wrong on our side. Nothing you sent was saved; try again."
    if wants_json(request):
        body: JSONObject = {"status_code": 500, "detail": message}
        return Response(body, status_code=500)
    return render(request, "error.html", {"status": 500, "message": message}, status_code=500, block=None)
