"""Cover Art Archive client: image listings of a release or a release group."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.config import Settings, get_settings
from app.sources.errors import NotFound
from app.sources.http import LazyClient, RetryPolicy, request_json
from app.sources.outbound import MAX_REDIRECTS, request_guard
from app.sources.parsing import clean, ident, items, parse, text, texts
from app.sources.records import CoverArtListing, CoverImage, SourceStatus

SOURCE = "COVERARTARCHIVE"


class CoverArtClient:
    source = SOURCE
    enabled = True

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
                base_url=self.settings.coverart_url,
                timeout=self.settings.http_timeout,
                # The archive answers with a redirect to archive.org's index.json; the request hook
                # checks every hop against the allow-list.
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={"Accept": "application/json"},
                transport=transport,
                event_hooks={"request": [request_guard(self.settings, SOURCE)]},
            )
        )

    def status(self) -> SourceStatus:
        return SourceStatus(SOURCE, True, base_url=self.settings.coverart_url)

    async def _listing(self, kind: str, mbid: str) -> CoverArtListing:
        try:
            key = str(uuid.UUID(str(mbid)))
        except ValueError:
            raise NotFound(f"{mbid!r} is not a MusicBrainz id", source=SOURCE) from None
        url = f"/{kind}/{key}"
        data = await request_json(self._http.get(), "GET", url, source=SOURCE, policy=self.policy)
        return parse(SOURCE, url, parse_listing, data)

    async def release(self, mbid: str) -> CoverArtListing:
        """Images of a release; NotFound when it has none."""
        return await self._listing("release", mbid)

    async def release_group(self, mbid: str) -> CoverArtListing:
        """Images of the release chosen to represent a release group; NotFound when none."""
        return await self._listing("release-group", mbid)

    async def front(self, mbid: str) -> CoverImage | None:
        """The front image of a release, or None when the archive has none."""
        try:
            return (await self.release(mbid)).front
        except NotFound:
            return None

    async def aclose(self) -> None:
        await self._http.aclose()


def parse_image(data: dict[str, Any]) -> CoverImage:
    thumbs = data.get("thumbnails") or {}
    return CoverImage(
        id=ident(data["id"]) or "",
        url=text(data["image"]) or "",
        front=bool(data.get("front")),
        back=bool(data.get("back")),
        types=texts(data.get("types")),
        approved=bool(data.get("approved", True)),
        thumbnail_250=text(thumbs.get("250") or thumbs.get("small")),
        thumbnail_500=text(thumbs.get("500") or thumbs.get("large")),
        thumbnail_1200=text(thumbs.get("1200")),
        comment=clean(str(data.get("comment") or "")),
    )


def parse_listing(data: dict[str, Any]) -> CoverArtListing:
    return CoverArtListing(
        release_url=text(data.get("release")),
        images=tuple(parse_image(i) for i in items(data["images"])),
    )
