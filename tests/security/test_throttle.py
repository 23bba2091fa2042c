"""Login throttling over real HTTP: failed logins per username and per client address (5 in 5 minutes),
then 429 with Retry-After, even for the right password; the message never says whether a user exists."""

from __future__ import annotations

import httpx
import pytest

from app.auth.users import create_admin
from tests.html_query import html

pytestmark = pytest.mark.slow
PASSWORD = "throttle-pass-123"
FLASH = '.login p.flash.error[role="alert"]'


def _login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    client.get("/login")
    data = {"username": username, "password": password, "_csrf_token": client.cookies["llama_csrf"]}
    return client.post("/login", data=data)


async def test_failed_logins_are_throttled_per_user_and_per_address(live_url: str) -> None:
    await create_admin("victim", PASSWORD)
    await create_admin("bystander", PASSWORD)
    with httpx.Client(base_url=live_url, timeout=30) as client:
        unknown = _login(client, "nobody-here", "whatever-123")
        wrong = _login(client, "victim", "wrong-password")
        assert unknown.status_code == wrong.status_code == 400
        assert html(unknown).text(FLASH) == html(wrong).text(FLASH) == "wrong username or password"
        for _ in range(3):
            assert _login(client, "victim", "wrong-password").status_code == 400
        throttled = _login(client, "victim", PASSWORD)  # 5 failures from this address: the right one waits
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["retry-after"]) <= 300
        assert html(throttled).text(FLASH).startswith("too many failed logins")
        assert "id" not in client.cookies  # no session
        # The address is throttled too: another account from here waits as well.
        assert _login(client, "bystander", PASSWORD).status_code == 429
        assert client.get("/", follow_redirects=False).status_code == 303
