"""Security headers on every page, no caching of what a logged-in admin sees, no inline script or
<style> in any page (the CSP would block it), and no cookie on static files."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from tests.factories import manual_album, tracklist
from tests.security.routes import fill, routes


def csp(response: Any) -> dict[str, str]:
    directives = [d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")]
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_secured(response: Any) -> None:
    policy = csp(response)
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["style-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_every_page_sends_the_headers_and_no_store(client: Any) -> None:
    album = await manual_album(title="Headed", tracks=tracklist(1))
    values = {"album_id": album.id, "track_id": "x", "log_id": 1, "ident": album.id, "kind": "album",
              "entity_type": "album", "entity_id": album.id, "job_id": album.id}  # fmt: skip
    for path in routes("GET"):
        if path.endswith("/stream"):
            continue
        for url in fill(path, values):
            response = client.get(url, follow_redirects=False)
            assert_secured(response)
            assert response.headers["cache-control"] == "no-store", url


def test_the_database_admin_gets_eval_and_inline_styles_but_no_inline_script(client: Any) -> None:
    response = client.get("/admin/db/")
    policy = csp(response)
    assert policy["script-src"] == "'self' 'unsafe-eval'"  # its Vue build compiles templates
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"


def test_anonymous_answers_are_secured_too(anon_client: Any) -> None:
    for url in ("/login", "/", "/api/logs", "/no-such-page"):
        assert_secured(anon_client.get(url, follow_redirects=False))


def test_static_files_set_no_cookie_and_may_be_cached(client: Any) -> None:
    for who in ("logged in", "anonymous"):
        if who == "anonymous":
            client.cookies.clear()
        for url in ("/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js", "/static/llama.svg"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "set-cookie" not in response.headers, f"{who}: {url}"
            assert response.headers.get("cache-control") != "no-store"
            assert response.headers["x-content-type-options"] == "nosniff"
    assert "llama_csrf" not in client.cookies  # only pages hand out a token


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        self.found += [f"{tag} {name}=" for name in names if name.startswith(("on", "hx-on"))]
        self.found += [f"{tag} {name}=js:" for name, value in attrs if (value or "").startswith("js:")]


async def test_no_page_has_inline_script_handlers_or_style_elements(client: Any) -> None:
    album = await manual_album(title="Clean", tracks=tracklist(2))
    track = (await album_tracks(album.id))[0]
    pages = ["/", "/albums", "/albums/broken", "/albums/new", "/logs", "/jobs", f"/albums/{album.id}",
             f"/albums/{album.id}?edit=title", f"/albums/{album.id}?edit_track={track}",
             f"/albums/{album.id}/fix/candidates", f"/timeline/album/{album.id}"]  # fmt: skip
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = _Inline()
        parser.feed(response.text)
        assert not parser.found, f"{url}: {parser.found}"
        assert "[key==" not in response.text  # an hx-trigger filter needs eval


async def album_tracks(album_id: Any) -> list[Any]:
    from app.catalog.tables import Track

    return [row["id"] for row in await Track.select(Track.id).where(Track.album == album_id)]
