"""The app's own routes, read from create_app(), with their path parameters filled from real rows.

New routes are covered by the security tests automatically: a path parameter nobody knows how to fill
fails the test and says which route needs a value here.
"""

from __future__ import annotations

import re
from typing import Any

from app.main import create_app

SKIP_PREFIXES = ("/schema", "/static", "/admin/db", "/healthz")
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def routes(method: str) -> list[str]:
    """Every path template that answers `method` (skipping the schema UI, static files, the admin mount)."""
    app = create_app()
    return sorted(
        path
        for path, methods in app.route_handler_method_map.items()
        if method in methods and not path.startswith(SKIP_PREFIXES)
    )


def fill(path: str, values: dict[str, Any]) -> list[str]:
    """The concrete URLs for a template: one per value of each parameter (lists give variants)."""
    urls = [path]
    for name in PARAM.findall(path):
        assert name in values, f"{path}: no value for {{{name}}}; add one in the test's fill values"
        options = values[name] if isinstance(values[name], list) else [values[name]]
        pattern = re.compile(r"\{" + name + r"(?::\w+)?\}")
        urls = [pattern.sub(str(option), url, count=1) for url in urls for option in options]
    return urls
