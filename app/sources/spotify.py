"""Spotify Web API client: client-credentials token (cached until expiry), new releases, albums, search."""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.config import Settings, get_settings
from app.json_types import JSONValue
from app.sources.errors import NotFound, SourceDisabled, UpstreamRejected
from app.sources.http import LazyClient, QueryParams, RetryPolicy, request_json
from app.sources.outbound import request_guard
from app.sources.parsing import ident, integer, items, name, parse, partial_date, text, texts
from app.sources.records import (
    SourceStatus,
    SpotifyAlbum,
    SpotifyAlbumPage,
    SpotifyArtist,
    SpotifyImage,
    SpotifyTrack,
)

SOURCE = "SPOTIFY"
_ID = re.compile(r"^[0-9A-Za-z]{22}$")
MAX_PAGES = 50  # a runaway `next` chain stops here


class SpotifyClient:
    source = SOURCE

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or get_settings()
        self.policy = policy or RetryPolicy.from_settings(self.settings)
        self._clock = clock
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._api = LazyClient(
            lambda: httpx.AsyncClient(
                base_url=self.settings.spotify_api_url,
                timeout=self.settings.http_timeout,
                transport=transport,
                event_hooks={"request": [request_guard(self.settings, SOURCE)]},
            )
        )
        self._accounts = LazyClient(
            lambda: httpx.AsyncClient(
                base_url=self.settings.spotify_accounts_url,
                timeout=self.settings.http_timeout,
                auth=(self.settings.spotify_client_id, self.settings.spotify_client_secret),
                transport=transport,
                event_hooks={"request": [request_guard(self.settings, SOURCE)]},
            )
        )

    @property
    def enabled(self) -> bool:
        return bool(self.settings.spotify_client_id and self.settings.spotify_client_secret)

    def status(self) -> SourceStatus:
        reason = "" if self.enabled else "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set"
        return SourceStatus(SOURCE, self.enabled, reason, self.settings.spotify_api_url)

    async def token(self) -> str:
        """A client-credentials access token, reused until shortly before it expires."""
        if not self.enabled:
            raise SourceDisabled("Spotify has no client credentials", source=SOURCE)
        loop = asyncio.get_running_loop()
        lock = self._token_locks.setdefault(loop, asyncio.Lock())
        async with lock:
            if self._token and self._clock() < self._token_expires:
                return self._token
            data = await request_json(
                self._accounts.get(),
                "POST",
                "/api/token",
                data={"grant_type": "client_credentials"},
                source=SOURCE,
                policy=self.policy,
            )
            token, expires_in = parse(SOURCE, "/api/token", _parse_token, data)
            # Renew a little early so a request never leaves with a token about to lapse.
            self._token = token
            self._token_expires = self._clock() + expires_in - min(60.0, expires_in / 10)
            return token

    async def _get(self, url: str, params: QueryParams | None = None) -> JSONValue:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self.token()}"}
            try:
                return await request_json(
                    self._api.get(),
                    "GET",
                    url,
                    params=params,
                    headers=headers,
                    source=SOURCE,
                    policy=self.policy,
                )
            except UpstreamRejected as exc:
                # A revoked or expired token: fetch a fresh one once.
                if exc.status != 401 or attempt == 2:
                    raise
                self._token = None
        raise AssertionError("unreachable")  # pragma: no cover

    async def new_releases(
        self, *, country: str | None = None, limit: int = 20, offset: int = 0
    ) -> SpotifyAlbumPage:
        """One page of new releases (simplified albums: no tracks, label or UPC)."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if country:
            params["country"] = country
        data = await self._get("/v1/browse/new-releases", params)
        return parse(SOURCE, "/v1/browse/new-releases", lambda d: parse_page(d["albums"]), data)

    async def next_page(self, page: SpotifyAlbumPage) -> SpotifyAlbumPage | None:
        """The page after `page` (new releases or search), or None on the last one."""
        if not page.next:
            return None
        data = await self._get(page.next)
        return parse(SOURCE, page.next, lambda d: parse_page(d.get("albums", d)), data)

    async def all_new_releases(
        self, *, country: str | None = None, max_albums: int = 100
    ) -> list[SpotifyAlbum]:
        """New releases across pages, following `next`, up to `max_albums`."""
        page: SpotifyAlbumPage | None = await self.new_releases(country=country, limit=min(50, max_albums))
        albums: list[SpotifyAlbum] = []
        for _ in range(MAX_PAGES):
            if page is None:
                break
            albums.extend(page.items)
            if len(albums) >= max_albums:
                break
            page = await self.next_page(page)
        return albums[:max_albums]

    async def album(self, album_id: str) -> SpotifyAlbum:
        """A full album with every track (following the tracks listing's `next` when it is paged)."""
        url = f"/v1/albums/{_spotify_id(album_id)}"
        data = await self._get(url)
        album = parse(SOURCE, url, parse_album, data)
        next_url = parse(SOURCE, url, lambda d: relative((d.get("tracks") or {}).get("next")), data)
        if next_url:
            more = await self._tracks_from(next_url)
            album = _with_tracks(album, album.tracks + more)
        return album

    async def album_tracks(self, album_id: str) -> tuple[SpotifyTrack, ...]:
        """Every track of an album from `/v1/albums/{id}/tracks`, page by page."""
        return await self._tracks_from(f"/v1/albums/{_spotify_id(album_id)}/tracks?limit=50&offset=0")

    async def _tracks_from(self, url: str | None) -> tuple[SpotifyTrack, ...]:
        tracks: list[SpotifyTrack] = []
        for _ in range(MAX_PAGES):
            if not url:
                break
            data = await self._get(url)
            page_tracks, url = parse(SOURCE, url, _parse_track_page, data)
            tracks.extend(page_tracks)
        return tuple(tracks)

    async def search(self, query: str, *, limit: int = 20, offset: int = 0) -> SpotifyAlbumPage:
        """Album search (`album:"…" artist:"…"` field filters allowed)."""
        params: dict[str, str | int] = {"q": query, "type": "album", "limit": limit, "offset": offset}
        data = await self._get("/v1/search", params)
        return parse(SOURCE, "/v1/search", lambda d: parse_page(d["albums"]), data)

    async def find_albums(
        self, title: str, artist: str | None = None, *, limit: int = 10
    ) -> SpotifyAlbumPage:
        query = f'album:"{title}"' + (f' artist:"{artist}"' if artist else "")
        return await self.search(query, limit=limit)

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._accounts.aclose()


def _spotify_id(value: str) -> str:
    if not _ID.match(str(value)):
        raise NotFound(f"{value!r} is not a Spotify id", source=SOURCE)
    return str(value)


def relative(url: Any) -> str | None:
    """Spotify's paging links are absolute; keep path + query so they go to the configured base URL."""
    if not url:
        return None
    parts = urlsplit(str(url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _with_tracks(album: SpotifyAlbum, tracks: tuple[SpotifyTrack, ...]) -> SpotifyAlbum:
    return replace(album, tracks=tracks)


# --- parsing ------------------------------------------------------------------------------------


def _parse_token(data: dict[str, Any]) -> tuple[str, float]:
    token = data["access_token"]
    if not isinstance(token, str) or not token:
        raise ValueError("no access_token")
    return token, float(data.get("expires_in") or 3600)


def parse_artists(data: Any) -> tuple[SpotifyArtist, ...]:
    return tuple(SpotifyArtist(id=ident(a.get("id")), name=name(a["name"])) for a in items(data))


def parse_track(data: dict[str, Any]) -> SpotifyTrack:
    return SpotifyTrack(
        id=ident(data.get("id")),
        title=name(data["name"]),
        disc_number=integer(data.get("disc_number")) or 1,
        track_number=integer(data["track_number"]) or 0,
        duration_ms=integer(data.get("duration_ms")),
        explicit=bool(data.get("explicit")),
        artists=parse_artists(data.get("artists")),
        isrc=text((data.get("external_ids") or {}).get("isrc")),
        preview_url=text(data.get("preview_url")),
    )


def _parse_track_page(data: dict[str, Any]) -> tuple[list[SpotifyTrack], str | None]:
    return [parse_track(t) for t in items(data["items"]) if t], relative(data.get("next"))


def parse_album(data: dict[str, Any]) -> SpotifyAlbum:
    tracks = data.get("tracks") or {}
    precision = text(data.get("release_date_precision"))
    return SpotifyAlbum(
        id=ident(data["id"]) or "",
        title=name(data["name"]),
        album_type=text(data.get("album_type")),
        release_date=partial_date(data.get("release_date"), precision),
        release_date_precision=precision,
        total_tracks=integer(data.get("total_tracks")),
        artists=parse_artists(data.get("artists")),
        images=tuple(
            SpotifyImage(
                url=text(i["url"]) or "", width=integer(i.get("width")), height=integer(i.get("height"))
            )
            for i in items(data.get("images"))
        ),
        label=text(data.get("label")),
        upc=text((data.get("external_ids") or {}).get("upc")),
        genres=texts(data.get("genres")),
        tracks=tuple(parse_track(t) for t in items(tracks.get("items")) if t),
        tracks_total=integer(tracks.get("total")) if tracks else None,
    )


def _listed(data: Any) -> SpotifyAlbum:
    """A listing entry. One that cannot be read keeps its id and name, so the sync refuses (or looks
    up) that album alone instead of the whole page failing."""
    try:
        return parse_album(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raw = data if isinstance(data, dict) else {}
        return SpotifyAlbum(
            id=str(raw.get("id") or ""),
            title=text(raw.get("name")) or "",
            album_type=None,
            release_date=None,
            release_date_precision=None,
            total_tracks=None,
            artists=(),
            malformed=f"{type(exc).__name__}: {exc}",
        )


def parse_page(data: dict[str, Any]) -> SpotifyAlbumPage:
    return SpotifyAlbumPage(
        items=tuple(_listed(a) for a in items(data["items"]) if a),
        total=integer(data.get("total")) or 0,
        offset=integer(data.get("offset")) or 0,
        limit=integer(data.get("limit")) or 0,
        next=relative(data.get("next")),
    )
