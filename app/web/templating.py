"""Page rendering: one template per page; an HTMX request gets the page's named block."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.utils.scope.state import ScopeState

from app.config import ROOT, get_settings
from app.jobs.summary import describe as describe_sync
from app.sources import outbound
from app.web.log_rows import log_row_views

TEMPLATES = ROOT / "templates"


def _fmt_time(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


def _fmt_duration(ms: int | str | None) -> str:
    if ms is None:
        return ""
    seconds = int(ms) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def _tojson_pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=True)


def _allowed_image(url: object) -> bool:
    """An upstream image URL the page may load (see sources/outbound.py)."""
    return isinstance(url, str) and outbound.is_allowed(url, get_settings())


@lru_cache(maxsize=1)
def jinja_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        auto_reload=False,
    )
    env.filters["time"] = _fmt_time
    env.filters["duration"] = _fmt_duration
    env.filters["pretty_json"] = _tojson_pretty
    env.filters["log_row_views"] = log_row_views
    env.filters["sync_summary"] = describe_sync
    env.tests["allowed_image"] = _allowed_image
    return env


def template_config() -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(jinja_env()))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def _csrf_token(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def render(
    request: Request,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    block: str | None = "content",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The full page, or only `block` when htmx asks (same URL, same template)."""
    ctx = {
        "request": request,
        "user": request.scope.get("user"),
        "csrf_token": _csrf_token(request),
        "path": request.url.path,
        **(context or {}),
    }
    tmpl = jinja_env().get_template(template)
    if block and is_htmx(request) and block in tmpl.blocks:
        body = "".join(tmpl.blocks[block](tmpl.new_context(ctx)))
    else:
        body = tmpl.render(ctx)
    return Response(content=body, media_type="text/html", status_code=status_code, headers=headers or {})
