"""Login, logout, the guard on every page and API, CSRF and throttling."""

from __future__ import annotations

from typing import Any

from app.auth.tables import AdminSession
from tests.conftest import ADMIN_PASSWORD, log_in
from tests.html_query import html

FLASH = '.login p.flash.error[role="alert"]'


def test_anonymous_page_redirects_to_login_with_next(anon_client: Any) -> None:
    response = anon_client.get("/logs?category=CREATED", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Flogs%3Fcategory%3DCREATED"


def test_anonymous_htmx_request_gets_hx_redirect(anon_client: Any) -> None:
    response = anon_client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.headers["hx-redirect"].startswith("/login")


def test_anonymous_api_gets_401(anon_client: Any) -> None:
    response = anon_client.get("/api/logs")
    assert response.status_code == 401
    assert response.json()["detail"] == "log in first"


def test_login_page_has_form_fields(anon_client: Any) -> None:
    form = html(anon_client.get("/login")).one('form[method="post"][action="/login"]')
    assert form.one('input[name="username"]')["type"] == "text"
    assert form.one('input[name="password"]')["type"] == "password"
    token = form.one('input[name="_csrf_token"]')
    assert token["type"] == "hidden" and token["value"] == anon_client.cookies.get("llama_csrf")


async def test_login_sets_httponly_session_cookie_and_opens_pages(admin_user: int, anon_client: Any) -> None:
    response = log_in(anon_client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("id=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert anon_client.get("/", follow_redirects=False).status_code == 200
    assert anon_client.get("/api/logs").status_code == 200
    assert await AdminSession.count() == 1


def test_wrong_password_shows_an_error(admin_user: int, anon_client: Any) -> None:
    response = log_in(anon_client, password="nope-nope")
    assert response.status_code == 400
    assert html(response).text(FLASH) == "wrong username or password"
    assert anon_client.get("/", follow_redirects=False).status_code == 303


def test_failed_logins_are_throttled(admin_user: int, anon_client: Any) -> None:
    for _ in range(5):
        assert log_in(anon_client, password="wrong-password").status_code == 400
    response = log_in(anon_client, password=ADMIN_PASSWORD)  # even the right one waits now
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert html(response).text(FLASH).startswith("too many failed logins")


def test_post_without_csrf_token_is_refused(admin_user: int, anon_client: Any) -> None:
    anon_client.get("/login")
    response = anon_client.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert anon_client.get("/", follow_redirects=False).status_code == 303


async def test_logout_ends_the_session(client: Any) -> None:
    token = client.cookies.get("llama_csrf")
    response = client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert await AdminSession.count() == 0
    assert client.get("/", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_site(admin_user: int, anon_client: Any) -> None:
    anon_client.get("/login")
    token = anon_client.cookies.get("llama_csrf")
    response = anon_client.post(
        "/login",
        data={
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "_csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_an_expired_session_is_logged_out(client: Any, session_cache: Any) -> None:
    import datetime as dt

    session_cache("0")
    assert client.get("/", follow_redirects=False).status_code == 200
    await AdminSession.update({AdminSession.expiry_date: dt.datetime.now() - dt.timedelta(minutes=1)}).where(
        AdminSession.id > 0
    )
    assert client.get("/", follow_redirects=False).status_code == 303


async def test_a_session_is_read_once_per_cache_window(client: Any, session_cache: Any) -> None:
    """A burst of requests costs one session lookup; a session ended behind the app's back (as
    piccolo-admin may) stops working once the window has passed, and logging out here at once."""
    import time

    from app.auth.tables import AdminUser

    session_cache("0.5")
    assert client.get("/api/logs").status_code == 200
    await AdminUser.update({AdminUser.active: False}).where(AdminUser.id > 0)
    assert client.get("/api/logs").status_code == 200  # still in the window: not read again
    time.sleep(0.6)
    assert client.get("/api/logs").status_code == 401


async def test_logout_is_seen_at_once_despite_the_cache(client: Any) -> None:
    session = client.cookies.get("id")
    assert client.get("/api/logs").status_code == 200  # the session is now cached
    client.post("/logout", data={"_csrf_token": client.cookies.get("llama_csrf")}, follow_redirects=False)
    assert client.get("/api/logs", cookies={"id": session}).status_code == 401  # the old cookie, replayed


async def test_the_login_page_says_the_right_password_waits_after_five_failures(
    admin_user: int, anon_client: Any
) -> None:
    rule = html(anon_client.get("/login")).text("#throttle-rule")
    assert rule.startswith("After 5 failed logins from one address")
    assert rule.endswith("even with the right password.")
    for _ in range(5):
        assert log_in(anon_client, password="wrong-password").status_code == 400
    throttled = log_in(anon_client)  # the right password, from the same address
    assert throttled.status_code == 429
    alert = html(throttled).text(FLASH)
    assert alert.startswith("too many failed logins") and alert.endswith("even with the right password")
    wait = int(throttled.headers["retry-after"])
    assert f"for the next {wait} s" in alert and 0 < wait <= 300
