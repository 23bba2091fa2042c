"""MusicBrainz ws/2 client: release lookup and search, artist lookup; every request through the limiter."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

import app
from app.config import Settings, get_settings
from app.json_types import JSONValue
from app.sources.errors import NotFound
from app.sources.http import LazyClient, QueryParams, RetryPolicy, request_json
from app.sources.outbound import request_guard
from app.sources.parsing import clean, ident, integer, items, name, parse, partial_date, text, texts
from app.sources.ratelimit import Limiter, musicbrainz_limiter
from app.sources.records import (
    MbArtist,
    MbArtistCredit,
    MbLabel,
    MbMedium,
    MbRelease,
    MbReleaseGroup,
    MbSearchPage,
    MbTrack,
    SourceStatus,
)

SOURCE = "MUSICBRAINZ"
RELEASE_INC = "recordings+artist-credits+labels+release-groups+isrcs+media"


class MusicBrainzClient:
    """Needs no credentials; identifies itself with a contact in the User-Agent, as MusicBrainz asks."""

    source = SOURCE
    enabled = True

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.policy = policy or RetryPolicy.from_settings(self.settings)
        self.limiter = limiter or musicbrainz_limiter(self.settings)
        self.user_agent = f"LlamaLog/{app.__version__} ( {self.settings.musicbrainz_contact} )"
        self._http = LazyClient(
            lambda: httpx.AsyncClient(
                base_url=self.settings.musicbrainz_url,
                timeout=self.settings.http_timeout,
                headers={"User-Agent": self.user_agent, "Accept": "application/json"},
                transport=transport,
                event_hooks={"request": [request_guard(self.settings, SOURCE)]},
            )
        )

    def status(self) -> SourceStatus:
        return SourceStatus(SOURCE, True, base_url=self.settings.musicbrainz_url)

    async def _get(self, url: str, params: QueryParams | None = None) -> JSONValue:
        return await request_json(
            self._http.get(),
            "GET",
            url,
            params=params,
            source=SOURCE,
            policy=self.policy,
            limiter=self.limiter,
        )

    async def release(self, mbid: str) -> MbRelease:
        """A release with its media, tracks, ISRCs, labels, artist credits and release group."""
        url = f"/ws/2/release/{_mbid(mbid)}?inc={RELEASE_INC}&fmt=json"
        return parse(SOURCE, url, parse_release, await self._get(url))

    async def search_releases(self, query: str, *, limit: int = 25, offset: int = 0) -> MbSearchPage:
        """Lucene release search; hits carry a `score` and media without tracks."""
        params = {"query": query, "limit": str(limit), "offset": str(offset), "fmt": "json"}
        return parse(SOURCE, "/ws/2/release", parse_search, await self._get("/ws/2/release", params))

    async def find_releases(self, title: str, artist: str | None = None, *, limit: int = 10) -> MbSearchPage:
        """Releases by title (and artist credit), best first."""
        query = f"release:{phrase(title)}"
        if artist:
            query += f" AND artist:{phrase(artist)}"
        return await self.search_releases(query, limit=limit)

    async def new_releases(
        self, since: dt.date | str, until: dt.date | str, *, limit: int = 100, offset: int = 0
    ) -> MbSearchPage:
        """Releases dated within [since, until] (a page of them; page on with `offset`)."""
        return await self.search_releases(f"date:[{since} TO {until}]", limit=limit, offset=offset)

    async def artist(self, mbid: str) -> MbArtist:
        url = f"/ws/2/artist/{_mbid(mbid)}?inc=genres&fmt=json"
        return parse(SOURCE, url, parse_artist, await self._get(url))

    async def aclose(self) -> None:
        await self._http.aclose()


def _mbid(value: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound(f"{value!r} is not a MusicBrainz id", source=SOURCE) from None


def phrase(value: str) -> str:
    """A quoted Lucene phrase."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- parsing ------------------------------------------------------------------------------------


def parse_credits(data: Any) -> tuple[MbArtistCredit, ...]:
    credits = []
    for credit in items(data):
        artist = credit.get("artist") or {}
        credits.append(
            MbArtistCredit(
                name=name(credit.get("name") or artist["name"]),
                artist_id=ident(artist["id"]) or "",
                artist_name=name(artist.get("name") or credit["name"]),
                sort_name=text(artist.get("sort-name")),
                disambiguation=text(artist.get("disambiguation")),
                join_phrase=clean(credit.get("joinphrase") or "", strip=False),
            )
        )
    return tuple(credits)


def parse_track(data: dict[str, Any], disc: int, *, is_data: bool = False) -> MbTrack:
    recording = data.get("recording") or {}
    length = integer(data.get("length"))
    if length is None:
        length = integer(recording.get("length"))
    return MbTrack(
        id=ident(data["id"]) or "",
        title=name(data.get("title") or recording.get("title") or ""),
        disc=disc,
        position=integer(data.get("position")) or 0,
        number=clean(str(data.get("number") or data.get("position") or "")),
        length_ms=length,
        recording_id=ident(recording.get("id")),
        isrcs=texts(recording.get("isrcs")),
        artist_credits=parse_credits(data.get("artist-credit") or recording.get("artist-credit")),
        is_data=is_data,
    )


def parse_medium(data: dict[str, Any], index: int) -> MbMedium:
    disc = integer(data.get("position")) or index
    tracks = tuple(parse_track(t, disc) for t in items(data.get("tracks")))
    data_tracks = tuple(parse_track(t, disc, is_data=True) for t in items(data.get("data-tracks")))
    pregap = parse_track(data["pregap"], disc) if data.get("pregap") else None
    return MbMedium(
        position=disc,
        format=text(data.get("format")),
        title=text(data.get("title")),
        track_count=integer(data.get("track-count")) or len(tracks) + len(data_tracks),
        tracks=tracks,
        data_tracks=data_tracks,
        pregap=pregap,
    )


def parse_release_group(data: Any) -> MbReleaseGroup | None:
    if not data:
        return None
    return MbReleaseGroup(
        id=ident(data["id"]) or "",
        title=name(data.get("title") or ""),
        primary_type=text(data.get("primary-type")),
        secondary_types=texts(data.get("secondary-types")),
        first_release_date=partial_date(data.get("first-release-date")),
    )


def parse_release(data: dict[str, Any]) -> MbRelease:
    media = tuple(parse_medium(m, i) for i, m in enumerate(items(data.get("media")), start=1))
    listed = sum(len(m.tracks) for m in media)
    track_count = listed or integer(data.get("track-count")) or sum(m.track_count for m in media)
    group = parse_release_group(data.get("release-group"))
    genres = items(data.get("genres")) or items((data.get("release-group") or {}).get("genres"))
    return MbRelease(
        id=ident(data["id"]) or "",
        title=name(data["title"]),
        date=partial_date(data.get("date")),
        country=text(data.get("country")),
        status=text(data.get("status")),
        barcode=text(data.get("barcode")),
        disambiguation=text(data.get("disambiguation")),
        packaging=text(data.get("packaging")),
        artist_credits=parse_credits(data.get("artist-credit")),
        labels=tuple(
            MbLabel(
                name=text((info.get("label") or {}).get("name")),
                label_id=ident((info.get("label") or {}).get("id")),
                catalog_number=text(info.get("catalog-number")),
            )
            for info in items(data.get("label-info"))
        ),
        release_group=group,
        media=media,
        genres=texts([g["name"] for g in genres]),
        track_count=track_count,
        score=integer(data.get("score")),
    )


def _listed(data: Any) -> MbRelease:
    """A search hit. One that cannot be read keeps its id and title, so the sync refuses that release
    alone instead of the whole page failing."""
    try:
        return parse_release(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raw = data if isinstance(data, dict) else {}
        return MbRelease(
            id=str(raw.get("id") or ""),
            title=text(raw.get("title")) or "",
            date=None,
            country=None,
            status=None,
            barcode=None,
            disambiguation=None,
            packaging=None,
            artist_credits=(),
            labels=(),
            release_group=None,
            media=(),
            malformed=f"{type(exc).__name__}: {exc}",
        )


def parse_search(data: dict[str, Any]) -> MbSearchPage:
    return MbSearchPage(
        count=integer(data.get("count")) or 0,
        offset=integer(data.get("offset")) or 0,
        releases=tuple(_listed(r) for r in items(data["releases"])),
    )


def parse_artist(data: dict[str, Any]) -> MbArtist:
    life = data.get("life-span") or {}
    return MbArtist(
        id=ident(data["id"]) or "",
        name=name(data["name"]),
        sort_name=text(data.get("sort-name")),
        type=text(data.get("type")),
        country=text(data.get("country")),
        disambiguation=text(data.get("disambiguation")),
        begin=partial_date(life.get("begin")),
        end=partial_date(life.get("end")),
        genres=texts([g["name"] for g in items(data.get("genres"))]),
    )
