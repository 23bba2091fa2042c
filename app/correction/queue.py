"""The needs-attention queue (/albums/broken): broken albums with their match strength.

Filters, all in the URL: `reason` (a broken reason code), `strength` (strong | ask | none | failed |
pending: not searched yet), `source` (where the album came from), `run` (a sync run's job id: the
albums it created or touched). Keyset pages on (created_at, id), newest first; no OFFSET.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypedDict, TypeVar, cast
from urllib.parse import urlencode

from piccolo.columns.combination import WhereRaw
from piccolo.query import Count, Select

from app.catalog.listing import AlbumCursor, attach_artists
from app.catalog.state import BROKEN_REASONS, decode_reasons
from app.catalog.tables import Album
from app.correction.matching import Matching
from app.correction.strength import Verdict
from app.correction.tables import MATCH_STRENGTHS, FixCandidate, FixMatch, MatchStrength
from app.llamalog.filters import FilterError, choice, one_param
from app.llamalog.tables import SOURCES, LlamaLog

Q = TypeVar("Q", Select, Count)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
STRENGTH_FILTERS = (*MATCH_STRENGTHS, "pending")
FILTER_NAMES = ("reason", "strength", "source", "run")
QUEUE_COLUMNS = [
    Album.id,
    Album.title,
    Album.release_date,
    Album.release_type,
    Album.source,
    Album.broken_reasons,
    Album.tracks_present,
    Album.track_count,
    Album.version,
    Album.created_at,
]


@dataclass(frozen=True)
class QueueQuery:
    reason: str | None = None
    strength: str | None = None
    source: str | None = None
    run: uuid.UUID | None = None
    cursor: AlbumCursor | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def is_filtered(self) -> bool:
        return any(getattr(self, name) for name in FILTER_NAMES)

    def filter_items(self) -> list[tuple[str, str]]:
        return [(name, str(value)) for name in FILTER_NAMES if (value := getattr(self, name))]

    def urlencode(self, *, with_cursor: bool = True) -> str:
        items = self.filter_items()
        if self.limit != DEFAULT_LIMIT:
            items.append(("limit", str(self.limit)))
        if with_cursor and self.cursor:
            items.append(("cursor", self.cursor.encode()))
        return urlencode(items)

    def next_url(self, path: str, cursor: AlbumCursor) -> str:
        return f"{path}?{replace(self, cursor=cursor).urlencode()}"


def parse_queue_query(params: Mapping[str, object]) -> QueueQuery:
    """Read the queue's URL parameters; FilterError names the bad one (a 400)."""
    run_raw = one_param(params, "run")
    try:
        run = uuid.UUID(run_raw) if run_raw else None
    except ValueError:
        raise FilterError(f"run: {run_raw!r} is not a job id") from None
    limit_raw = one_param(params, "limit")
    try:
        limit = int(limit_raw) if limit_raw else DEFAULT_LIMIT
    except ValueError:
        raise FilterError(f"limit: {limit_raw!r} is not a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit: must be between 1 and {MAX_LIMIT}")
    cursor_raw = one_param(params, "cursor")
    cursor = AlbumCursor.decode(cursor_raw) if cursor_raw else None
    if cursor and cursor.sort != "new":
        raise FilterError("cursor: not a cursor of this queue (follow the next-page link)")
    return QueueQuery(
        reason=choice("reason", one_param(params, "reason"), tuple(BROKEN_REASONS)),
        strength=choice("strength", one_param(params, "strength"), STRENGTH_FILTERS, fold=str.lower),
        source=choice("source", one_param(params, "source"), SOURCES),
        run=run,
        cursor=cursor,
        limit=limit,
    )


def _filtered(query: Q, qq: QueueQuery) -> Q:
    if qq.reason:
        query = query.where(Album.broken_reasons.like(f"%,{qq.reason},%"))
    else:
        query = query.where(Album.broken_reasons != "")
    if qq.source:
        query = query.where(Album.source == qq.source)
    if qq.strength == "pending":
        query = query.where(Album.id.not_in(FixMatch.select(FixMatch.album_id)))
    elif qq.strength:
        query = query.where(
            Album.id.is_in(FixMatch.select(FixMatch.album_id).where(FixMatch.strength == qq.strength))
        )
    if qq.run:
        touched = LlamaLog.select(LlamaLog.album_id).where(
            (LlamaLog.root_job_id == qq.run) & (LlamaLog.entity_type == "ALBUM")
        )
        query = query.where(Album.id.is_in(touched))
    return query


class FixMatchRow(TypedDict):
    """A fix_match row as `FixMatch.select()` returns it."""

    album_id: uuid.UUID
    strength: str
    top_score: int | None
    second_score: int | None
    top_source: str | None
    candidates: int
    album_version: int
    settings_version: int
    error_code: str | None
    error_message: str | None
    job_id: uuid.UUID | None
    searched_at: dt.datetime
    scored_at: dt.datetime


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]
    next_cursor: AlbumCursor | None


def verdict_of(match: FixMatchRow | None) -> Verdict | None:
    if match is None:
        return None
    return Verdict(
        MatchStrength(match["strength"]), match["top_score"], match["second_score"], match["top_source"]
    )


async def list_queue(qq: QueueQuery, matching: Matching) -> QueuePage:
    """One page of the queue with each album's artists, match strength in words and top candidate."""
    query = _filtered(Album.select(*QUEUE_COLUMNS), qq)
    if qq.cursor is not None:
        query = query.where(WhereRaw("(created_at, id) < ({}, {})", qq.cursor.key_value(), qq.cursor.id))
    rows = await query.order_by(Album.created_at, Album.id, ascending=False).limit(qq.limit + 1)
    more = len(rows) > qq.limit
    rows = rows[: qq.limit]
    await attach_artists(rows)
    ids = [row["id"] for row in rows]
    matches = (
        {
            m["album_id"]: cast(FixMatchRow, m)
            for m in await FixMatch.select().where(FixMatch.album_id.is_in(ids))
        }
        if ids
        else {}
    )
    tops = (
        {
            c["album_id"]: c
            for c in await FixCandidate.select(
                FixCandidate.album_id, FixCandidate.candidate_key, FixCandidate.candidate
            ).where(FixCandidate.album_id.is_in(ids) & (FixCandidate.position == 1))
        }
        if ids
        else {}
    )
    for row in rows:
        row["reasons"] = decode_reasons(row["broken_reasons"])
        match = matches.get(row["id"])
        verdict = verdict_of(match)
        row["strength"] = verdict.strength.value if verdict else "pending"
        row["words"] = verdict.words(matching) if verdict else "not searched yet"
        row["stale"] = bool(match and match["album_version"] != row["version"])
        row["top_key"] = tops[row["id"]]["candidate_key"] if row["id"] in tops else None
        row["error_code"] = match["error_code"] if match else None
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = AlbumCursor(sort="new", key=last["created_at"].isoformat(), id=last["id"])
    return QueuePage(rows=rows, next_cursor=next_cursor)


async def estimate(qq: QueueQuery) -> int:
    """How many albums the filter holds (every page), for "everything matching this filter"."""
    return int(await _filtered(Album.count(), replace(qq, cursor=None)))


async def matching_ids(qq: QueueQuery, limit: int) -> list[uuid.UUID]:
    """Every album id the filter holds (up to `limit`), newest first: the exact list for the preview."""
    rows = (
        await _filtered(Album.select(Album.id), replace(qq, cursor=None))
        .order_by(Album.created_at, Album.id, ascending=False)
        .limit(limit)
    )
    return [row["id"] for row in rows]


async def match_of(album_id: uuid.UUID) -> FixMatchRow | None:
    return cast(FixMatchRow | None, await FixMatch.select().where(FixMatch.album_id == album_id).first())
