"""Where the app may reach out to: the configured upstream hosts and their known image hosts.

Every source client checks each request against this (redirect hops included, through an httpx
request hook), and a cover URL is checked before it is stored or shown as an image. An address
inside the network (loopback, private, link-local such as 169.254.169.254) passes only when a
configured base URL names exactly that host and port, as the demo and the tests do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from app.config import Settings
from app.sources.errors import UnsafeUrl

# Image hosts the upstream services hand out URLs on. A leading dot matches any subdomain
# (the Cover Art Archive redirects to archive.org, then to one of its ia*.us.archive.org nodes).
IMAGE_HOSTS = frozenset(
    {
        "coverartarchive.org",
        "archive.org",
        ".archive.org",
        "i.scdn.co",
        "mosaic.scdn.co",
        "image-cdn-ak.spotifycdn.com",
        "image-cdn-fa.spotifycdn.com",
        "i.discogs.com",
        "img.discogs.com",
    }
)
MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip("."), parts.port or _DEFAULT_PORTS[parts.scheme]


def configured_origins(settings: Settings) -> frozenset[tuple[str, int]]:
    """Host and port of every configured upstream base URL."""
    urls = (
        settings.musicbrainz_url,
        settings.coverart_url,
        settings.spotify_api_url,
        settings.spotify_accounts_url,
        settings.discogs_url,
    )
    return frozenset(origin for url in urls if (origin := _origin(url)))


def _image_host(host: str) -> bool:
    return host in IMAGE_HOSTS or any(h.startswith(".") and host.endswith(h) for h in IMAGE_HOSTS)


def refusal(url: str, settings: Settings) -> str | None:
    """Why the app may not fetch or show `url`, or None when it may."""
    try:
        origin = _origin(url)
    except ValueError:  # a port that is not a number
        origin = None
    if origin is None:
        return "only http(s) URLs with a host are allowed"
    if origin in configured_origins(settings):
        return None
    host, port = origin
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None and not address.is_global:
        return f"{host} is a private, loopback or link-local address"
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    if address is None and _image_host(host) and port in _DEFAULT_PORTS.values():
        return None
    return f"{host} is neither a configured upstream host nor a known image host"


def is_allowed(url: str | None, settings: Settings) -> bool:
    return bool(url) and refusal(str(url), settings) is None


def check(url: str, settings: Settings, *, source: str) -> None:
    """Raise UnsafeUrl when `url` may not be fetched."""
    reason = refusal(url, settings)
    if reason is not None:
        raise UnsafeUrl(f"refused {url[:200]!r}: {reason}", source=source, url=url[:200])


def request_guard(settings: Settings, source: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook: runs before every request, each redirect hop included."""

    async def guard(request: httpx.Request) -> None:
        check(str(request.url), settings, source=source)

    return guard
