"""App-wide behaviour: the OpenAPI document, error pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import get
from litestar.testing import TestClient

from app.main import create_app
from tests.conftest import log_in
from tests.html_query import html


@get("/boom", include_in_schema=False)
async def boom() -> str:
    raise RuntimeError("secret internals")


@pytest.fixture
def boom_client(admin_user: int) -> Iterator[Any]:
    with TestClient(app=create_app(extra_route_handlers=[boom]), base_url="http://127.0.0.1") as client:
        log_in(client)
        yield client


def test_schema_is_json_and_lists_the_api(client: Any) -> None:
    for url in ("/schema", "/schema/openapi.json"):
        response = client.get(url)
        assert response.status_code == 200
        paths = response.json()["paths"]
        assert "/api/logs" in paths and "/api/chain/{entity_type}/{entity_id}" in paths
    assert client.get("/schema/swagger").status_code == 404  # no CDN-loaded UIs


def test_an_unhandled_error_is_an_error_page_without_internals(boom_client: Any) -> None:
    response = boom_client.get("/boom")
    assert response.status_code == 500
    assert "text/html" in response.headers["content-type"]
    page = html(response)
    assert (page.text(".error-page .error-status"), page.text(".error-page h1")) == (
        "500",
        "Something went wrong",
    )
    assert page.text(".error-page p.error") == (
        "Something went wrong on our side. Nothing you sent was saved; try again."
    )
    assert "secret internals" not in response.text  # nowhere in the body, not even in a comment


def test_the_started_app_is_kept_out_of_full_garbage_collections(anon_client: Any) -> None:
    """Its long-lived objects are frozen at startup, so a full collection under load walks only what
    requests made (bench/load.py: 50-90 ms pauses every few seconds before)."""
    import gc

    assert gc.get_freeze_count() > 10_000
