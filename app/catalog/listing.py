"""Album lists: search, filters and keyset pages (no OFFSET, no COUNT), shared by /albums and /api/albums."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import urlencode

from piccolo.columns.combination import Or, WhereRaw
from piccolo.query import Select

from app.catalog.names import fold
from app.catalog.rows import ArtistCredit, ListedAlbum
from app.catalog.state import BROKEN_REASONS, decode_reasons
from app.catalog.tables import DATA_QUALITIES, ENRICHMENT_STATUSES, Album, AlbumArtist, Artist
from app.db import contains
from app.llamalog.filters import FilterError, choice, one_param
from app.llamalog.tables import SOURCES

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_TEXT = 200
# sort name → (key column, newest/largest first?)
SORTS = {"new": ("created_at", True), "old": ("created_at", False), "title": ("title", False)}

LIST_COLUMNS = [
    Album.id,
    Album.title,
    Album.release_date,
    Album.release_type,
    Album.source,
    Album.data_quality,
    Album.enrichment_status,
    Album.broken_reasons,
    Album.tracks_present,
    Album.track_count,
    Album.cover_art_url,
    Album.musicbrainz_id,
    Album.spotify_id,
    Album.created_at,
    Album.updated_at,
]


@dataclass(frozen=True)
class AlbumCursor:
    """Where the next page starts: the sort key and id of the last row shown."""

    sort: str
    key: str
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.key, str(self.id)], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> AlbumCursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            sort, key, row_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            if sort not in SORTS or not isinstance(key, str):
                raise ValueError
            if SORTS[sort][0] == "created_at":
                dt.datetime.fromisoformat(key)
            return cls(sort=sort, key=key, id=uuid.UUID(row_id))
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise FilterError("cursor: not a cursor from this site (follow the next-page link)") from None

    def key_value(self) -> dt.datetime | str:
        return dt.datetime.fromisoformat(self.key) if SORTS[self.sort][0] == "created_at" else self.key


@dataclass(frozen=True)
class AlbumQuery:
    q: str | None = None
    reason: str | None = None
    quality: str | None = None
    source: str | None = None
    enrichment: str | None = None
    sort: str = "new"
    cursor: AlbumCursor | None = None
    limit: int = DEFAULT_LIMIT
    broken_only: bool = False

    @property
    def is_filtered(self) -> bool:
        return any((self.q, self.reason, self.quality, self.source, self.enrichment))

    def query_items(self, *, with_cursor: bool = True) -> list[tuple[str, str]]:
        """The query as URL items, so a filtered list can be shared and paged."""
        items = [
            (name, value)
            for name in ("q", "reason", "quality", "source", "enrichment")
            if (value := getattr(self, name))
        ]
        if self.sort != "new":
            items.append(("sort", self.sort))
        if self.limit != DEFAULT_LIMIT:
            items.append(("limit", str(self.limit)))
        if with_cursor and self.cursor:
            items.append(("cursor", self.cursor.encode()))
        return items

    def urlencode(self, *, with_cursor: bool = True) -> str:
        return urlencode(self.query_items(with_cursor=with_cursor))

    def next_url(self, path: str, cursor: AlbumCursor) -> str:
        return f"{path}?{urlencode(replace(self, cursor=cursor).query_items())}"


@dataclass(frozen=True)
class AlbumPage:
    rows: list[ListedAlbum]
    next_cursor: AlbumCursor | None


def parse_album_query(params: Mapping[str, object], *, broken_only: bool = False) -> AlbumQuery:
    """Read /albums query parameters; raise FilterError naming the bad one."""
    q = one_param(params, "q")
    if q and len(q) > MAX_TEXT:
        raise FilterError(f"q: at most {MAX_TEXT} characters")
    sort = (one_param(params, "sort") or "new").lower()
    if sort not in SORTS:
        raise FilterError(f"sort: unknown value {sort!r}; use one of {', '.join(SORTS)}")
    limit_raw = one_param(params, "limit")
    try:
        limit = int(limit_raw) if limit_raw else DEFAULT_LIMIT
    except ValueError:
        raise FilterError(f"limit: {limit_raw!r} is not a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit: must be between 1 and {MAX_LIMIT}")
    cursor_raw = one_param(params, "cursor")
    cursor = AlbumCursor.decode(cursor_raw) if cursor_raw else None
    if cursor and cursor.sort != sort:
        raise FilterError("cursor: it belongs to another sort order (follow the next-page link)")
    return AlbumQuery(
        q=q,
        reason=choice("reason", one_param(params, "reason"), tuple(BROKEN_REASONS)),
        quality=choice("quality", one_param(params, "quality"), DATA_QUALITIES),
        source=choice("source", one_param(params, "source"), SOURCES),
        enrichment=choice("enrichment", one_param(params, "enrichment"), ENRICHMENT_STATUSES),
        sort=sort,
        cursor=cursor,
        limit=limit,
        broken_only=broken_only,
    )


def _search(q: str) -> WhereRaw | Or:
    text = q.strip()
    clause: WhereRaw | Or = contains(Album.title, text)
    folded = fold(text)
    if folded:  # "%" or "!!" fold to nothing: that must not match every artist
        by_artist = AlbumArtist.select(AlbumArtist.album).where(
            AlbumArtist.artist.is_in(Artist.select(Artist.id).where(contains(Artist.name_key, folded)))
        )
        clause = clause | Album.id.is_in(by_artist)
    if text.isalnum() or "-" in text:  # an exact ID or barcode pasted into the box
        clause = clause | (Album.musicbrainz_id == text.lower()) | (Album.spotify_id == text)
        clause = clause | (Album.barcode == text)
    return clause


def _filtered(query: Select, aq: AlbumQuery) -> Select:
    if aq.q:
        query = query.where(_search(aq.q))
    if aq.reason:
        query = query.where(Album.broken_reasons.like(f"%,{aq.reason},%"))
    elif aq.broken_only:
        query = query.where(Album.broken_reasons != "")
    if aq.quality:
        query = query.where(Album.data_quality == aq.quality)
    if aq.source:
        query = query.where(Album.source == aq.source)
    if aq.enrichment:
        query = query.where(Album.enrichment_status == aq.enrichment)
    return query


async def list_albums(aq: AlbumQuery) -> AlbumPage:
    """One page of albums (with their artists), plus the cursor of the next page: two queries."""
    column, descending = SORTS[aq.sort]
    query = _filtered(Album.select(*LIST_COLUMNS), aq)
    if aq.cursor is not None:
        op = "<" if descending else ">"
        query = query.where(
            WhereRaw(f"({column}, id) {op} ({{}}, {{}})", aq.cursor.key_value(), aq.cursor.id)
        )
    query = query.order_by(getattr(Album, column), Album.id, ascending=not descending)
    rows = await query.limit(aq.limit + 1)
    more = len(rows) > aq.limit
    rows = rows[: aq.limit]
    await attach_artists(rows)
    for row in rows:
        row["reasons"] = decode_reasons(row["broken_reasons"])
    next_cursor = None
    if more and rows:
        last = rows[-1]
        key = last[column].isoformat() if column == "created_at" else last[column]
        next_cursor = AlbumCursor(sort=aq.sort, key=key, id=last["id"])
    return AlbumPage(rows=cast(list[ListedAlbum], rows), next_cursor=next_cursor)


async def artists_by_album(album_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ArtistCredit]]:
    """The credited artists of many albums in one query, in credit order."""
    found: dict[uuid.UUID, list[ArtistCredit]] = {album_id: [] for album_id in album_ids}
    if not album_ids:
        return found
    links = (
        await AlbumArtist.select(
            AlbumArtist.album,
            AlbumArtist.artist.id.as_alias("artist_id"),
            AlbumArtist.artist.name.as_alias("name"),
            AlbumArtist.role,
            AlbumArtist.join_phrase,
        )
        .where(AlbumArtist.album.is_in(list(album_ids)))
        .order_by(AlbumArtist.album)
        .order_by(AlbumArtist.position)
    )
    for link in links:
        found.setdefault(link["album"], []).append(
            {
                "id": link["artist_id"],
                "name": link["name"],
                "role": link["role"],
                "join_phrase": link["join_phrase"],
            }
        )
    return found


async def attach_artists(rows: list[dict[str, Any]]) -> None:
    by_album = await artists_by_album([row["id"] for row in rows])
    for row in rows:
        row["artists"] = by_album.get(row["id"], [])
