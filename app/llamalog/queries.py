"""Reading the log: one indexed keyset query per page, whatever the page size or depth."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query import Select

from app.db import contains, like_escape
from app.llamalog.filters import Cursor, LogFilter
from app.llamalog.tables import LlamaLog

# Columns a page shows; `changes`/`metadata` come along so a row can expand without a second query.
PAGE_COLUMNS = [
    LlamaLog.id,
    LlamaLog.created_at,
    LlamaLog.entity_type,
    LlamaLog.entity_id,
    LlamaLog.entity_label,
    LlamaLog.album_id,
    LlamaLog.artist_id,
    LlamaLog.track_id,
    LlamaLog.category,
    LlamaLog.operation,
    LlamaLog.sources,
    LlamaLog.status,
    LlamaLog.reason,
    LlamaLog.fields_enriched,
    LlamaLog.changes,
    LlamaLog.data_quality_before,
    LlamaLog.data_quality_after,
    LlamaLog.error_message,
    LlamaLog.error_code,
    LlamaLog.retry_count,
    LlamaLog.duration_ms,
    LlamaLog.api_call_count,
    LlamaLog.metadata,
    LlamaLog.job_id,
    LlamaLog.parent_job_id,
    LlamaLog.root_job_id,
    LlamaLog.is_root_job,
    LlamaLog.triggered_by,
    LlamaLog.user_id,
    LlamaLog.username,
]


@dataclass(frozen=True)
class LogPage:
    rows: list[dict[str, Any]]
    next_cursor: Cursor | None

    @property
    def last_id(self) -> int | None:
        return max((r["id"] for r in self.rows), default=None)


def apply_filter(query: Select, flt: LogFilter) -> Select:
    if flt.categories:
        query = query.where(LlamaLog.category.is_in(list(flt.categories)))
    if flt.entity_type:
        query = query.where(LlamaLog.entity_type == flt.entity_type)
    if flt.status:
        query = query.where(LlamaLog.status == flt.status)
    if flt.operation:
        if flt.operation.endswith("*"):
            query = query.where(LlamaLog.operation.like(like_escape(flt.operation[:-1]) + "%"))
        else:
            query = query.where(LlamaLog.operation == flt.operation)
    if flt.source:
        query = query.where(LlamaLog.sources.any(flt.source))
    if flt.since:
        query = query.where(LlamaLog.created_at >= flt.since)
    if flt.until:
        query = query.where(LlamaLog.created_at < flt.until)
    if flt.job:
        query = query.where(
            (LlamaLog.job_id == flt.job)
            | (LlamaLog.root_job_id == flt.job)
            | (LlamaLog.parent_job_id == flt.job)
        )
    if flt.q:
        columns = (LlamaLog.entity_label, LlamaLog.operation, LlamaLog.error_message)
        matches = [contains(column, flt.q) for column in columns]
        query = query.where(matches[0] | matches[1] | matches[2])
    return query


def _keyset(query: Select, cursor: Cursor | None, newest_first: bool) -> Select:
    if cursor is None:
        return query
    op = "<" if newest_first else ">"
    return query.where(WhereRaw(f"(created_at, id) {op} ({{}}, {{}})", cursor.created_at, cursor.id))


async def fetch_page(
    flt: LogFilter, *, newest_first: bool, scope: Any = None, after_id: int | None = None
) -> LogPage:
    """One page of rows matching `flt` (and `scope`, a where clause), plus the next cursor."""
    query = LlamaLog.select(*PAGE_COLUMNS).output(load_json=True)
    if scope is not None:
        query = query.where(scope)
    query = apply_filter(query, flt)
    query = _keyset(query, flt.cursor, newest_first)
    if after_id is not None:
        query = query.where(LlamaLog.id > after_id)
    if newest_first:
        query = query.order_by(LlamaLog.created_at, LlamaLog.id, ascending=False)
    else:
        query = query.order_by(LlamaLog.created_at, LlamaLog.id)
    rows = await query.limit(flt.limit + 1)
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    next_cursor = Cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return LogPage(rows=rows, next_cursor=next_cursor)


async def list_logs(flt: LogFilter) -> LogPage:
    """The log table: newest first."""
    return await fetch_page(flt, newest_first=True)


async def rows_since(flt: LogFilter, after_id: int) -> list[dict[str, Any]]:
    """Rows newer than `after_id` matching `flt` (the live log), oldest first."""
    page = await fetch_page(flt.with_cursor(None), newest_first=False, after_id=after_id)
    return page.rows


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def get_row(row_id: int) -> dict[str, Any] | None:
    """One row with the columns a page shows (an expanded row in the log table)."""
    query = LlamaLog.select(*PAGE_COLUMNS).where(LlamaLog.id == row_id).output(load_json=True)
    return await query.first()
