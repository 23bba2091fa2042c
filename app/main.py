"""create_app(): the Litestar application factory."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app import __version__
from app.auth.csrf import CSRFMiddleware
from app.auth.guard import login_guard
from app.auth.routes import login_page, login_submit, logout_submit
from app.catalog.pages import ROUTES as CATALOG_ROUTES
from app.catalog.validation import ValidationError
from app.config import ROOT, get_settings
from app.correction.pages import ROUTES as CORRECTION_ROUTES
from app.db import engine
from app.error_pages import http_error
from app.jobs.pages import ROUTES as JOBS_ROUTES
from app.llamalog.api import api_chain, api_logs
from app.llamalog.filters import FilterError
from app.llamalog.pages import ROUTES as LLAMALOG_ROUTES
from app.security_headers import security_headers
from app.web import render, template_config

log = logging.getLogger("llamalog.web")


def _wants_json(request: Request) -> bool:
    return (
        request.url.path.startswith("/api")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


def bad_request(request: Request, exc: Exception) -> Response[Any]:
    message = str(exc)
    errors = getattr(exc, "errors", None)
    if _wants_json(request):
        return Response(
            {"status_code": 400, "detail": message, "errors": errors},
            status_code=400,
            media_type=MediaType.JSON,
        )
    return render(request, "error.html", {"status": 400, "message": message}, status_code=400)


def forbidden(request: Request, exc: Exception) -> Response[Any]:
    message = "Your form expired or came from another site: reload the page and try again."
    if "CSRF" not in str(getattr(exc, "detail", exc)):
        message = str(getattr(exc, "detail", exc))
    if _wants_json(request):
        return Response({"status_code": 403, "detail": message}, status_code=403)
    return render(request, "error.html", {"status": 403, "message": message}, status_code=403, block=None)


def server_error(request: Request, exc: Exception) -> Response[Any]:
    """An error page instead of a bare JSON body; the traceback goes to the server log."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "Something went wrong on our side. Nothing you sent was saved; try again."
    if _wants_json(request):
        return Response({"status_code": 500, "detail": message}, status_code=500)
    return render(request, "error.html", {"status": 500, "message": message}, status_code=500, block=None)


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


async def _start_pool() -> None:
    if get_settings().is_postgres:
        db: Any = engine()
        await db.start_connection_pool(min_size=1, max_size=10)


async def _close_pool() -> None:
    db: Any = engine()
    if get_settings().is_postgres and db.pool is not None:
        await db.close_connection_pool()


# Other areas add lifespan work here (e.g. the embedded worker and scheduler), in app/runtime.py.
from app.runtime import SHUTDOWN_HOOKS, STARTUP_HOOKS  # noqa: E402


def create_app(*, extra_route_handlers: list[Any] | None = None) -> Litestar:
    handlers: list[Any] = [
        healthz,
        login_page,
        login_submit,
        logout_submit,
        api_logs,
        api_chain,
        *CATALOG_ROUTES,
        *LLAMALOG_ROUTES,
        *JOBS_ROUTES,
        *CORRECTION_ROUTES,
        create_static_files_router(path="/static", directories=[ROOT / "static"], name="static"),
        *(extra_route_handlers or []),
    ]
    app = Litestar(
        route_handlers=handlers,
        template_config=template_config(),
        middleware=[CSRFMiddleware],  # tokens bound to the session (app.auth.csrf)
        # JSON (and YAML) only: the interactive UIs load their scripts from CDNs.
        openapi_config=OpenAPIConfig(
            title="LlamaLog",
            version=__version__,
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/openapi.json", "/"]), YamlRenderPlugin()],
        ),
        exception_handlers={
            FilterError: bad_request,
            ValidationError: bad_request,
            PermissionDeniedException: forbidden,
            HTTPException: http_error,  # 400/404/405/409/413/422, the router's too
            HTTP_500_INTERNAL_SERVER_ERROR: server_error,
        },
        on_startup=[_start_pool, *STARTUP_HOOKS],
        on_shutdown=[*SHUTDOWN_HOOKS, _close_pool],
        debug=False,
        request_max_body_size=1024 * 1024,  # every form is small: a bigger body is a 413, not work
    )
    app.asgi_handler = security_headers(login_guard(app.asgi_handler))
    return app


__all__ = ["create_app", "HTTPException"]
