"""create_app(): the Litestar application factory."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ControllerRouterHandler
from piccolo.engine.postgres import PostgresEngine

from app import __version__
from app.catalog.validation import ValidationError
from app.config import ROOT, get_settings
from app.db import engine
from app.llamalog.filters import FilterError
from app.not_found import NotFound
from app.web import (
    admin_db,
    album,
    albums,
    api,
    audit,
    auth,
    dashboard,
    entities,
    export,
    fix,
    fix_queue,
    jobs,
    logs,
    matching_settings,
    run_changes,
    schedules,
    settings,
    timeline,
    tokens,
    tracks,
)
from app.web.csrf import CSRFMiddleware
from app.web.errors import bad_request, forbidden, http_error, not_found, server_error
from app.web.guard import login_guard
from app.web.security_headers import security_headers
from app.web.templating import template_config


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


async def _start_pool() -> None:
    if get_settings().is_postgres:
        db = engine()
        if isinstance(db, PostgresEngine):
            await db.start_connection_pool(min_size=1, max_size=10)


async def _close_pool() -> None:
    db = engine()
    if get_settings().is_postgres and isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


# Other areas add lifespan work here (e.g. the embedded worker and scheduler), in app/runtime.py.
from app.runtime import SHUTDOWN_HOOKS, STARTUP_HOOKS  # noqa: E402


def create_app(*, extra_route_handlers: list[ControllerRouterHandler] | None = None) -> Litestar:
    # The entry point declares the actors once and wires the broker the services enqueue on
    # (app.jobs.actors); imported here, not at the top, so settings are read when the app is built.
    import tasks.actors  # noqa: F401

    handlers: list[ControllerRouterHandler] = [
        healthz,
        # Every page and API route, one list per URL area (app/web/<area>.py).
        *auth.ROUTES,
        *dashboard.ROUTES,
        *albums.ROUTES,
        *album.ROUTES,
        *tracks.ROUTES,
        *fix.ROUTES,
        *fix_queue.ROUTES,
        *matching_settings.ROUTES,
        *run_changes.ROUTES,
        *logs.ROUTES,
        *timeline.ROUTES,
        *entities.ROUTES,
        *jobs.ROUTES,
        *schedules.ROUTES,
        *api.ROUTES,
        *export.ROUTES,
        *tokens.ROUTES,
        *settings.ROUTES,
        *audit.ROUTES,
        *admin_db.ROUTES,
        create_static_files_router(path="/static", directories=[ROOT / "static"], name="static"),
        *(extra_route_handlers or []),
    ]
    app = Litestar(
        route_handlers=handlers,
        template_config=template_config(),
        middleware=[CSRFMiddleware],  # tokens bound to the session (app.web.csrf)
        # JSON (and YAML) only: the interactive UIs load their scripts from CDNs.
        openapi_config=OpenAPIConfig(
            title="LlamaLog",
            version=__version__,
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/openapi.json", "/"]), YamlRenderPlugin()],
            # Scripts: an API token from /settings/tokens (app.auth.tokens); the browser uses its session.
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API token made at /settings/tokens: `Authorization: Bearer <token>`. "
                        "A bad or revoked token gets 401; a read-only token on a write, 403.",
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
        exception_handlers={
            FilterError: bad_request,
            ValidationError: bad_request,
            PermissionDeniedException: forbidden,
            NotFound: not_found,  # an album, track, artist, job or log row that is not there
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
