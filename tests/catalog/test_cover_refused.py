"""A cover that points (or redirects) inside the network is refused with a FAILED row, never stored,
and a stored cover URL off the allow-list is never rendered as an <img>."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from app.catalog.covers import cache_cover
from app.catalog.tables import Album
from app.config import get_settings
from app.llamalog.tables import LlamaLog
from app.sources import clients
from app.sources.coverart import CoverArtClient
from app.sources.http import RetryPolicy
from tests.factories import manual_album, tracklist
from tests.html_query import html

MBID = "76df3287-6cda-33eb-8e9a-044b5e15ffdd"
CAA = f"https://coverartarchive.org/release/{MBID}"
SETTINGS = dataclasses.replace(get_settings(), coverart_url="https://coverartarchive.org")
GOOD = "https://coverartarchive.org/release/x/1-500.jpg"


def _listing(image: str) -> dict[str, Any]:
    thumbs = {"500": image, "250": image}
    return {"release": CAA, "images": [{"id": 1, "image": image, "front": True, "thumbnails": thumbs}]}


def _archive(redirect_to: str | None, image: str, seen: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if redirect_to and str(request.url) == CAA:
            return httpx.Response(307, headers={"Location": redirect_to})
        return httpx.Response(200, json=_listing(image))

    return httpx.MockTransport(handler)


@pytest.fixture
def archive(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a Cover Art Archive client answering through a MockTransport."""

    def install(redirect_to: str | None, image: str) -> list[str]:
        seen: list[str] = []
        client = CoverArtClient(
            SETTINGS, transport=_archive(redirect_to, image, seen), policy=RetryPolicy(attempts=1)
        )
        monkeypatch.setitem(clients._clients, "coverart", client)
        return seen

    return install


async def _album() -> Any:
    return (await manual_album(title="Nevermind", musicbrainz_id=MBID, tracks=tracklist(1))).id


CASES = [
    pytest.param("http://169.254.169.254/latest/meta-data/", GOOD, id="redirect-to-metadata-service"),
    pytest.param("http://10.0.0.8/index.json", GOOD, id="redirect-to-private-address"),
    pytest.param("http://[::1]/index.json", GOOD, id="redirect-to-ipv6-loopback"),
    pytest.param(None, "http://127.0.0.1/internal.jpg", id="image-on-loopback"),
    pytest.param(None, "file:///etc/passwd", id="image-as-file-url"),
    pytest.param(None, "http://192.168.0.1/router.jpg", id="image-on-private-address"),
]


@pytest.mark.parametrize(("redirect_to", "image"), CASES)
async def test_a_cover_off_the_allow_list_is_a_failed_row_and_nothing_is_stored(
    archive: Any, redirect_to: str | None, image: str
) -> None:
    seen = archive(redirect_to, image)
    album_id = await _album()
    assert await cache_cover(album_id) == "FAILED"
    album = await Album.select(Album.cover_art_url).where(Album.id == album_id).first()
    assert album == {"cover_art_url": None}
    rows = await LlamaLog.select().where(LlamaLog.album_id == album_id, LlamaLog.operation.like("%cover%"))
    assert [(r["category"], r["status"], r["error_code"]) for r in rows] == [
        ("FAILED", "FAILED", "UNSAFE_URL")
    ]
    assert rows[0]["operation"] == "album:failed:cover-art" and "refused" in rows[0]["error_message"]
    assert not any(url.startswith(("http://169.254", "http://10.", "http://[::1]")) for url in seen)


async def test_a_cover_on_an_allowed_host_is_cached(archive: Any) -> None:
    archive(None, GOOD)
    album_id = await _album()
    assert await cache_cover(album_id) == "SUCCESS"
    assert await Album.select(Album.cover_art_url).where(Album.id == album_id).first() == {
        "cover_art_url": GOOD
    }


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://169.254.169.254/latest/meta-data/", False),
        ("http://10.0.0.8/cover.jpg", False),
        ("http://[::1]/cover.jpg", False),
        ("https://i.scdn.co/image/ab67616d0000b273", True),
    ],
)
async def test_the_album_page_renders_only_allowed_covers_as_images(
    client: Any, url: str, shown: bool
) -> None:
    album_id = await _album()
    # A URL stored before the check existed (or by hand): the page must still not load it.
    await Album.update({Album.cover_art_url: url}).where(Album.id == album_id)
    page = html(client.get(f"/albums/{album_id}"))
    sources = [img["src"] for img in page.all("img[src]")]
    assert (url in sources) is shown
    assert (page.count("header.album-head .cover .no-cover") == 1) is not shown
