"""An admin's browser session (httpx) against the real app for the drills; the app is tests.live_app."""

from __future__ import annotations

import httpx

from tests.live_app import free_port, live_app

__all__ = ["admin_session", "free_port", "live_app"]


async def admin_session(url: str, username: str, password: str) -> httpx.AsyncClient:
    """An AsyncClient logged in through the real /login form (session and CSRF cookies kept)."""
    client = httpx.AsyncClient(base_url=url, timeout=30)
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": client.cookies["llama_csrf"]},
    )
    assert response.status_code == 303, response.text
    return client
