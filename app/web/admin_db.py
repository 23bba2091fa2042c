"""piccolo-admin at /admin/db: the same login as the site, and every table read-only.

Catalog and log rows change only through the services that write their LlamaLog rows, so the
admin may look but not touch: each write endpoint answers 405. The site's guard (app.web.guard)
already sends anonymous requests to /login before they reach the mount.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import asgi
from litestar.types import ControllerRouterHandler, Receive, Scope, Send
from piccolo.table import Table
from starlette.exceptions import HTTPException

from app.auth.tables import AdminSession, AdminUser
from app.catalog.tables import Album, AlbumArtist, Artist, Track, TrackArtist
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from app.web.inert_json import inert_json

MOUNT = "/admin/db"
READ_ONLY_CSS = "/static/admin-db.css"
READ_ONLY_TABLES: tuple[type[Table], ...] = (Album, Artist, Track, AlbumArtist, TrackArtist, LlamaLog, Job)


def refuse_write(*_args: Any, **_kwargs: Any) -> None:
    raise HTTPException(
        status_code=405,
        detail="read-only here: change the catalog in the site, where every change is logged",
    )


def read_only(table: type[Table], group: str) -> Any:
    from piccolo_admin.endpoints import TableConfig
    from piccolo_api.crud.endpoints import Validators

    writes: list[Any] = [refuse_write]
    return TableConfig(
        table,
        menu_group=group,
        validators=Validators(
            post_single=writes,
            put_single=writes,
            patch_single=writes,
            delete_single=writes,
            delete_all=writes,
        ),
    )


@lru_cache(maxsize=1)
def admin_app() -> Any:
    """Built on first use: importing this module opens nothing."""
    from piccolo_admin.endpoints import create_admin

    groups = {LlamaLog: "LlamaLog", Job: "Jobs"}
    admin = create_admin(
        [read_only(table, groups.get(table, "Catalog")) for table in READ_ONLY_TABLES],
        auth_table=AdminUser,
        session_table=AdminSession,
        site_name="LlamaLog database",
        default_language_code="en",
        allowed_hosts=[],
    )
    # The tables are read-only: a stylesheet of ours hides the buttons that would only get a 405.
    link = f'<link rel="stylesheet" href="{READ_ONLY_CSS}">'
    admin.template = admin.template.replace("</head>", f"{link}\n</head>")
    return inert_json(admin)


async def _redirect(send: Send, location: str) -> None:
    start: Any = {
        "type": "http.response.start",
        "status": 308,
        "headers": [(b"location", location.encode()), (b"content-type", b"text/plain")],
    }
    await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


@asgi(path=MOUNT, is_mount=True, copy_scope=True, include_in_schema=False)
async def admin_db(scope: Scope, receive: Receive, send: Send) -> None:
    # Without the trailing slash the admin's relative ./assets URLs would miss the mount.
    if (
        scope["type"] == "http"
        and scope.get("path") in ("", "/")
        and not scope.get("raw_path", b"").endswith(b"/")
    ):
        query = scope.get("query_string", b"").decode("latin-1")
        await _redirect(send, f"{MOUNT}/" + (f"?{query}" if query else ""))
        return
    await admin_app()(scope, receive, send)


ROUTES: list[ControllerRouterHandler] = [admin_db]
