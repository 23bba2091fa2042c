"""The chain: everything that happened to an entity and to what hangs off it, oldest first."""

from __future__ import annotations

import datetime as dt
import uuid

from piccolo.columns.combination import Where

from app.llamalog.filters import Cursor, FilterError, LogFilter
from app.llamalog.queries import LogPage, as_uuid, fetch_page
from app.llamalog.tables import CATEGORIES, ENTITY_TYPES, LlamaLog

# Every row about an entity carries it in its own id column (the logger fills it), so an album's
# chain is one indexed range over (album_id, created_at, id) and holds its artists' and tracks' rows.
_SCOPE_COLUMN = {"ALBUM": LlamaLog.album_id, "ARTIST": LlamaLog.artist_id, "TRACK": LlamaLog.track_id}


def chain_scope(entity_type: str, entity_id: uuid.UUID | str) -> Where:
    entity_type = entity_type.upper()
    if entity_type not in ENTITY_TYPES:
        raise FilterError(f"entity_type: unknown value {entity_type!r}; use one of {', '.join(ENTITY_TYPES)}")
    try:
        ident = as_uuid(entity_id)
    except ValueError:
        raise FilterError(f"entity_id: {entity_id!r} is not an id") from None
    return _SCOPE_COLUMN[entity_type] == ident


async def chain(
    entity_type: str,
    entity_id: uuid.UUID | str,
    categories: list[str] | tuple[str, ...] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: Cursor | str | None = None,
    limit: int = 50,
    flt: LogFilter | None = None,
) -> LogPage:
    """The entity's rows in (created_at, id) order, filtered and keyset-paged."""
    if isinstance(cursor, str):
        cursor = Cursor.decode(cursor)
    if not 1 <= limit <= 500:
        raise FilterError("limit: must be between 1 and 500")
    wanted = tuple(c.upper() for c in categories or ())
    unknown = [c for c in wanted if c not in CATEGORIES]
    if unknown:
        raise FilterError(f"category: unknown value {unknown[0]!r}; use one of {', '.join(CATEGORIES)}")
    flt = flt or LogFilter(
        categories=wanted,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return await fetch_page(flt, newest_first=False, scope=chain_scope(entity_type, entity_id))
