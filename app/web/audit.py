"""/audit: provenance coverage (the `llama audit` checks); the dashboard loads its tile from here."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.types import ControllerRouterHandler

from app.llamalog.audit import audit
from app.web.templating import render


@get("/audit", name="audit")
async def audit_page(request: Request) -> Response[str]:
    """Every check with its count and a few rows it found; htmx gets the dashboard tile."""
    report = await audit()
    return render(request, "audit.html", {"report": report}, block="tile")


ROUTES: list[ControllerRouterHandler] = [audit_page]
