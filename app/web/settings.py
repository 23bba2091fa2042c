"""/settings: where the admin settings live (matching, API tokens, schedules, the audit)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.types import ControllerRouterHandler

from app.web.templating import render

# (URL, title, what it is for): one list, so the page and its test name the same places.
SETTINGS = (
    (
        "/settings/matching",
        "Matching",
        "weights and thresholds of candidate scores, a ranking preview",
    ),
    ("/settings/tokens", "API tokens", "named bearer tokens for scripts: read-only or read-write, revocable"),
    ("/jobs/schedules", "Schedules", "scheduled syncs and log maintenance: pause, resume, edit the cron"),
    ("/audit", "Provenance audit", "catalog rows without a CREATED row, broken trees, orphans by cause"),
    ("/admin/db/", "Database", "read-only tables (piccolo-admin)"),
)


@get("/settings", name="settings")
async def settings_page(request: Request) -> Response[str]:
    return render(request, "settings.html", {"settings": SETTINGS})


ROUTES: list[ControllerRouterHandler] = [settings_page]
