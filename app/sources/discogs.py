"""Discogs API client: database search, release and master lookups (token required)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

import app
from app.config import Settings, get_settings
from app.json_types import JSONValue
from app.sources import outbound
from app.sources.errors import SourceDisabled
from app.sources.http import LazyClient, QueryParams, RetryPolicy, request_json
from app.sources.outbound import request_guard
from app.sources.parsing import clean, integer, items, name, parse, partial_date, text, texts
from app.sources.records import (
    DiscogsArtist,
    DiscogsLabel,
    DiscogsMaster,
    DiscogsRelease,
    DiscogsSearchPage,
    DiscogsSearchResult,
    DiscogsTrack,
    SourceStatus,
)

SOURCE = "DISCOGS"


class DiscogsClient:
    source = SOURCE

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.policy = policy or RetryPolicy.from_settings(self.settings)
        self._http = LazyClient(
            lambda: httpx.AsyncClient(
                base_url=self.settings.discogs_url,
                timeout=self.settings.http_timeout,
                headers={
                    "Authorization": f"Discogs token={self.settings.discogs_token}",
                    "User-Agent": f"LlamaLog/{app.__version__} +{self.settings.musicbrainz_contact}",
                    "Accept": "application/json",
                },
                transport=transport,
                event_hooks={"request": [request_guard(self.settings, SOURCE)]},
            )
        )

    @property
    def enabled(self) -> bool:
        return bool(self.settings.discogs_token)

    def status(self) -> SourceStatus:
        reason = "" if self.enabled else "DISCOGS_TOKEN is not set"
        return SourceStatus(SOURCE, self.enabled, reason, self.settings.discogs_url)

    async def _get(self, url: str, params: QueryParams | None = None) -> JSONValue:
        if not self.enabled:
            raise SourceDisabled("Discogs has no token", source=SOURCE)
        return await request_json(
            self._http.get(), "GET", url, params=params, source=SOURCE, policy=self.policy
        )

    async def search(
        self,
        query: str = "",
        *,
        type: str = "release",
        artist: str | None = None,
        title: str | None = None,
        per_page: int = 25,
        page: int = 1,
    ) -> DiscogsSearchPage:
        """Database search; `title` is the release title, `artist` the artist name."""
        params: dict[str, str | int] = {"per_page": per_page, "page": page}
        if type:
            params["type"] = type
        if query:
            params["q"] = query
        if artist:
            params["artist"] = artist
        if title:
            params["release_title"] = title
        return parse(SOURCE, "/database/search", parse_search, await self._get("/database/search", params))

    async def release(self, release_id: int | str) -> DiscogsRelease:
        url = f"/releases/{int(release_id)}"
        release = parse(SOURCE, url, parse_release, await self._get(url))
        return replace(release, image_url=self._image(release.image_url))

    async def master(self, master_id: int | str) -> DiscogsMaster:
        url = f"/masters/{int(master_id)}"
        master = parse(SOURCE, url, parse_master, await self._get(url))
        return replace(master, image_url=self._image(master.image_url))

    def _image(self, url: str | None) -> str | None:
        """An image URL off the allow-list is dropped here: it never reaches a candidate or a page."""
        return url if outbound.is_allowed(url, self.settings) else None

    async def aclose(self) -> None:
        await self._http.aclose()


# --- parsing ------------------------------------------------------------------------------------


def duration_ms(value: Any) -> int | None:
    """Discogs durations are "m:ss" or "h:mm:ss" strings, "" when unknown."""
    text_value = str(value or "").strip()
    if not text_value:
        return None
    seconds = 0
    for part in text_value.split(":"):
        if not part.isdigit():
            return None
        seconds = seconds * 60 + int(part)
    return seconds * 1000


def parse_artists(data: Any) -> tuple[DiscogsArtist, ...]:
    return tuple(
        DiscogsArtist(
            id=integer(a.get("id")),
            name=name(a["name"]),
            anv=clean(a.get("anv") or ""),
            join=clean(a.get("join") or "", strip=False),
        )
        for a in items(data)
    )


def parse_tracklist(data: Any) -> tuple[DiscogsTrack, ...]:
    return tuple(
        DiscogsTrack(
            position=clean(str(t.get("position") or "")),
            title=name(t.get("title") or ""),
            duration_ms=duration_ms(t.get("duration")),
            type=t.get("type_") or "track",
        )
        for t in items(data)
    )


def _primary_image(data: Any) -> str | None:
    images = items(data)
    primary = next((i for i in images if i.get("type") == "primary"), images[0] if images else None)
    return text(primary.get("uri")) if primary else None


def parse_release(data: dict[str, Any]) -> DiscogsRelease:
    barcode = next(
        (text(i.get("value")) for i in items(data.get("identifiers")) if i.get("type") == "Barcode"), None
    )
    return DiscogsRelease(
        id=int(data["id"]),
        title=name(data["title"]),
        year=integer(data.get("year")) or None,
        released=partial_date(data.get("released")),
        country=text(data.get("country")),
        artists=parse_artists(data.get("artists")),
        labels=tuple(
            DiscogsLabel(
                id=integer(label.get("id")), name=name(label["name"]), catalog_number=text(label.get("catno"))
            )
            for label in items(data.get("labels"))
        ),
        formats=texts([f["name"] for f in items(data.get("formats"))]),
        genres=texts(data.get("genres")),
        styles=texts(data.get("styles")),
        tracklist=parse_tracklist(data.get("tracklist")),
        master_id=integer(data.get("master_id")),
        barcode=barcode,
        image_url=_primary_image(data.get("images")),
        data_quality=text(data.get("data_quality")),
    )


def parse_master(data: dict[str, Any]) -> DiscogsMaster:
    return DiscogsMaster(
        id=int(data["id"]),
        title=name(data["title"]),
        year=integer(data.get("year")) or None,
        main_release_id=integer(data.get("main_release")),
        artists=parse_artists(data.get("artists")),
        genres=texts(data.get("genres")),
        styles=texts(data.get("styles")),
        tracklist=parse_tracklist(data.get("tracklist")),
        image_url=_primary_image(data.get("images")),
    )


def _first(value: Any) -> str | None:
    """Search hits name labels as a string (older API) or a list of strings."""
    if isinstance(value, list):
        return text(value[0]) if value else None
    return text(value)


def parse_search_result(data: dict[str, Any]) -> DiscogsSearchResult:
    return DiscogsSearchResult(
        id=int(data["id"]),
        type=data["type"],
        title=name(data["title"]),
        year=integer(data.get("year")),
        country=text(data.get("country")),
        label=_first(data.get("label")),
        catalog_number=text(data.get("catno")),
        formats=texts(data.get("format")),
        genres=texts(data.get("genre")),
        styles=texts(data.get("style")),
        thumb=text(data.get("thumb")),
    )


def parse_search(data: dict[str, Any]) -> DiscogsSearchPage:
    pagination = data.get("pagination") or {}
    results = tuple(parse_search_result(r) for r in items(data["results"]))
    return DiscogsSearchPage(
        items=results,
        total=integer(pagination.get("items")) or len(results),
        page=integer(pagination.get("page")) or 1,
        pages=integer(pagination.get("pages")) or 1,
    )
