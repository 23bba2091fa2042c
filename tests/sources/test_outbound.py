"""Outbound requests go only to the configured upstream hosts and their known image hosts.

The Cover Art Archive client follows redirects itself, but every hop passes the allow-list first:
a redirect to an internal address is never fetched. Loopback is allowed only for the exact host
and port a base URL names (the demo and these tests point the sources at 127.0.0.1).
"""

from __future__ import annotations

import dataclasses
import json
import uuid

import httpx
import pytest

from app.config import get_settings
from app.sources.coverart import CoverArtClient
from app.sources.discogs import DiscogsClient
from app.sources.errors import UnsafeUrl
from app.sources.http import RetryPolicy
from app.sources.outbound import refusal

MBID = "76df3287-6cda-33eb-8e9a-044b5e15ffdd"
POLICY = RetryPolicy(attempts=1, backoff=0.0)
PUBLIC = dataclasses.replace(
    get_settings(),
    musicbrainz_url="https://musicbrainz.org",
    coverart_url="https://coverartarchive.org",
    spotify_api_url="https://api.spotify.com",
    spotify_accounts_url="https://accounts.spotify.com",
    discogs_url="https://api.discogs.com",
)
LOCAL = dataclasses.replace(PUBLIC, coverart_url="http://127.0.0.1:8765")

REFUSED = [
    "http://127.0.0.1/cover.jpg",
    "http://10.0.0.7/cover.jpg",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[::1]/cover.jpg",
    "http://[::ffff:127.0.0.1]/cover.jpg",
    "http://localhost/cover.jpg",
    "http://2130706433/cover.jpg",  # 127.0.0.1 as one number
    "http://i.scdn.co@10.0.0.1/cover.jpg",  # userinfo that looks like an allowed host
    "file:///etc/passwd",
    "gopher://coverartarchive.org/",
    "https://evil.example.com/cover.jpg",
    "https://i.scdn.co.evil.example.com/cover.jpg",
    "https://i.scdn.co:8443/cover.jpg",
    "javascript:alert(1)",
]
ALLOWED = [
    "https://coverartarchive.org/release/76df3287/1.jpg",
    "https://archive.org/download/mbid-76df3287/index.json",
    "https://ia800300.us.archive.org/8/items/mbid-76df3287/mbid-76df3287-1_thumb500.jpg",
    "https://i.scdn.co/image/ab67616d0000b273",
    "https://i.discogs.com/abc/rs:fit/g:sm/q:90/h:600/w:600/cover.jpeg",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_other_hosts_and_schemes_are_refused(url: str) -> None:
    assert refusal(url, PUBLIC) is not None
    assert refusal(url.replace("127.0.0.1/", "127.0.0.1:8765/"), PUBLIC) is not None


@pytest.mark.parametrize("url", ALLOWED)
def test_upstream_and_known_image_hosts_are_allowed(url: str) -> None:
    assert refusal(url, PUBLIC) is None


def test_loopback_only_where_a_base_url_is_loopback() -> None:
    assert refusal("http://127.0.0.1:8765/release/x/1.jpg", LOCAL) is None
    assert refusal("http://127.0.0.1:8765/release/x/1.jpg", PUBLIC) is not None
    assert refusal("http://127.0.0.1:22/", LOCAL) is not None  # same host, another port
    assert refusal("http://169.254.169.254/", LOCAL) is not None


def _redirecting(chain: dict[str, str], listing: dict[str, object], seen: list[str]) -> httpx.MockTransport:
    """Each URL in `chain` redirects to the next; the last answers with `listing`."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        target = chain.get(str(request.url))
        if target is not None:
            return httpx.Response(307, headers={"Location": target})
        return httpx.Response(200, json=listing)

    return httpx.MockTransport(handler)


LISTING = {
    "release": f"https://musicbrainz.org/release/{MBID}",
    "images": [
        {"id": 1, "image": "https://coverartarchive.org/release/x/1.jpg", "front": True, "types": ["Front"]}
    ],
}


async def test_redirects_through_archive_org_are_followed() -> None:
    seen: list[str] = []
    chain = {
        f"https://coverartarchive.org/release/{MBID}": f"https://archive.org/download/mbid-{MBID}/index.json",
        f"https://archive.org/download/mbid-{MBID}/index.json": f"https://ia8.us.archive.org/mbid-{MBID}/index.json",
    }
    client = CoverArtClient(PUBLIC, transport=_redirecting(chain, LISTING, seen), policy=POLICY)
    listing = await client.release(MBID)
    assert listing.front is not None and len(seen) == 3


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/index.json",
        "http://[::1]/index.json",
        "file:///etc/passwd",
    ],
)
async def test_a_redirect_to_an_internal_address_is_never_fetched(target: str) -> None:
    seen: list[str] = []
    chain = {
        f"https://coverartarchive.org/release/{MBID}": f"https://archive.org/download/mbid-{MBID}/index.json",
        f"https://archive.org/download/mbid-{MBID}/index.json": target,
    }
    client = CoverArtClient(PUBLIC, transport=_redirecting(chain, LISTING, seen), policy=POLICY)
    with pytest.raises(UnsafeUrl) as refused:
        await client.release(MBID)
    assert refused.value.error_code == "UNSAFE_URL"
    assert len(seen) == 2 and all(not url.startswith(target[:12]) for url in seen)


async def test_endless_redirects_stop_at_the_hop_limit() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": f"https://archive.org/{uuid.uuid4()}"})

    client = CoverArtClient(PUBLIC, transport=httpx.MockTransport(handler), policy=POLICY)
    with pytest.raises(UnsafeUrl):
        await client.release(MBID)
    assert len(seen) == 6  # the first request and five hops


async def test_a_discogs_image_inside_the_network_never_reaches_a_candidate() -> None:
    from tests.sources.conftest import payload

    def handler(request: httpx.Request) -> httpx.Response:
        data = json.loads(payload("discogs/release-1503102-never-gonna-give-you-up-7in.json"))
        data["images"] = [{"type": "primary", "uri": "http://169.254.169.254/latest/meta-data/"}]
        return httpx.Response(200, json=data)

    settings = dataclasses.replace(PUBLIC, discogs_token="token")
    client = DiscogsClient(settings, transport=httpx.MockTransport(handler), policy=POLICY)
    assert (await client.release(1503102)).image_url is None
