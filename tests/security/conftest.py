"""The real app under uvicorn for the security tests (one per module), and a logged-in admin's cookies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.users import create_admin, login
from tests.drills.live import live_app

PASSWORD = "security-pass-123"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, its upstream sources pointed at the local fake (no internet in tests)."""
    from app.demo.fake_process import FakeUpstreamProcess

    with FakeUpstreamProcess() as fake, live_app(Path(tmp_path_factory.mktemp("live")), **fake.env()) as url:
        yield url


@pytest.fixture
async def session_cookies(live_url: str) -> dict[str, str]:
    """A session made by app.auth.users for a fresh admin, plus the CSRF cookie the site gives it."""
    await create_admin("fuzzer", PASSWORD)
    return await site_cookies(live_url, await login("fuzzer", PASSWORD, "security-tests"))


async def site_cookies(live_url: str, session: str) -> dict[str, str]:
    """The session cookie and the CSRF token the site hands that session (bound to it)."""
    async with httpx.AsyncClient(base_url=live_url, cookies={"id": session}) as client:
        response = await client.get("/")
        assert response.status_code == 200, response.status_code
        return {"id": session, "llama_csrf": client.cookies["llama_csrf"]}


def headers_for(cookies: dict[str, str]) -> dict[str, Any]:
    """What a logged-in htmx request carries: the cookies and the CSRF header."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return {"Cookie": cookie, "X-CSRFToken": cookies["llama_csrf"]}
