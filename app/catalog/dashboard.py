"""What the dashboard shows: counts, broken albums by reason, daily activity, failures, running jobs.

Every query here is bounded: estimates instead of COUNT(*) on big Postgres tables, one GROUP BY over
the broken-reasons index, a 14-day window on the (category, created_at) log index, LIMITs elsewhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TypedDict, cast

from piccolo.query.functions.aggregate import Count

from app.catalog.state import BROKEN_REASONS, decode_reasons
from app.catalog.tables import Album
from app.config import get_settings
from app.jobs.tables import UNFINISHED_STATUSES, Job
from app.llamalog.tables import CATEGORIES, LlamaLog

COUNTED_TABLES = ("album", "artist", "track", "llama_log", "job")
# Below this many rows an exact count is as cheap as the estimate (and the estimate may be stale).
EXACT_BELOW = 50_000


@dataclass(frozen=True)
class TableCount:
    value: int
    estimated: bool


async def estimated_count(table: str) -> TableCount:
    """Rows in `table`: the planner's estimate on Postgres for big tables, else an exact count."""
    if table not in COUNTED_TABLES:
        raise ValueError(f"unknown table {table!r}")
    if get_settings().is_postgres:
        # A partitioned table (llama_log) has no statistics of its own: add up its partitions'.
        rows = await Album.raw(
            "SELECT SUM(GREATEST(c.reltuples, 0))::bigint AS n FROM pg_class c "
            "WHERE (c.relname = {} AND c.relkind = 'r') OR c.oid IN (SELECT i.inhrelid FROM pg_inherits i "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = {} AND p.relkind = 'p')",
            table,
            table,
        )
        estimate = int(rows[0]["n"]) if rows and rows[0]["n"] is not None else -1
        if estimate >= EXACT_BELOW:
            return TableCount(estimate, True)
    rows = await Album.raw(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608 - table is whitelisted
    return TableCount(int(rows[0]["n"]), False)


async def catalog_counts() -> dict[str, TableCount]:
    return {table: await estimated_count(table) for table in COUNTED_TABLES}


async def broken_by_reason() -> tuple[list[tuple[str, str, int]], int]:
    """[(reason code, label, albums)] in BROKEN_REASONS order, and the number of broken albums."""
    groups = (
        await Album.select(Album.broken_reasons, Count(Album.id, alias="n"))
        .where(Album.broken_reasons != "")
        .group_by(Album.broken_reasons)
    )
    per_reason = dict.fromkeys(BROKEN_REASONS, 0)
    total = 0
    for group in groups:
        total += group["n"]
        for reason in decode_reasons(group["broken_reasons"]):
            per_reason[reason] = per_reason.get(reason, 0) + group["n"]
    return [(code, BROKEN_REASONS.get(code, code), n) for code, n in per_reason.items()], total


def activity_window(
    days: int, today: dt.date | None = None
) -> tuple[list[dt.date], dt.datetime, dt.datetime]:
    today = today or dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)
    return [first + dt.timedelta(days=i) for i in range(days)], since, since + dt.timedelta(days=days)


def activity_sql(postgres: bool) -> str:
    """Rows per (category, UTC day) inside a window, one branch per category.

    Equality on category plus a range on created_at is exactly llama_log_category_ix; with
    `category IN (…all…)` Postgres would rather walk the created_at index and filter.
    """
    if postgres:
        day = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    else:
        # Piccolo stores SQLite timestamps as UTC ISO text, so the day is its first ten characters.
        day = "substr(created_at, 1, 10)"
    branch = (
        f"SELECT category, {day} AS day, COUNT(*) AS n FROM llama_log "
        f"WHERE category = {{}} AND created_at >= {{}} AND created_at < {{}} GROUP BY category, {day}"
    )
    return " UNION ALL ".join(branch for _ in CATEGORIES)


class Activity(TypedDict):
    """The dashboard chart's data: the days shown and the rows per (iso day, category)."""

    days: list[dt.date]
    counts: dict[tuple[str, str], int]


class FailureRow(TypedDict):
    """A FAILED log row in the dashboard's list."""

    id: int
    created_at: dt.datetime
    entity_type: str
    entity_id: uuid.UUID | None
    entity_label: str | None
    album_id: uuid.UUID | None
    operation: str
    error_code: str | None
    error_message: str | None
    job_id: uuid.UUID | None
    root_job_id: uuid.UUID | None


class RunningJob(TypedDict):
    """A queued or running job in the dashboard's list."""

    job_id: uuid.UUID
    kind: str
    actor: str | None
    status: str
    progress_done: int
    progress_total: int
    triggered_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None


def activity_params(since: dt.datetime, until: dt.datetime) -> list[str | dt.datetime]:
    return [value for category in CATEGORIES for value in (category, since, until)]


async def activity_by_day(days: int = 14, today: dt.date | None = None) -> Activity:
    """{"days": [date], "counts": {(iso day, category): n}} for the last `days` days (UTC)."""
    day_list, since, until = activity_window(days, today)
    rows = await LlamaLog.raw(activity_sql(get_settings().is_postgres), *activity_params(since, until))
    counts = {(str(row["day"]), row["category"]): int(row["n"]) for row in rows}
    return {"days": day_list, "counts": counts}


async def recent_failures(limit: int = 10) -> list[FailureRow]:
    return cast(
        list[FailureRow],
        await LlamaLog.select(
            LlamaLog.id,
            LlamaLog.created_at,
            LlamaLog.entity_type,
            LlamaLog.entity_id,
            LlamaLog.entity_label,
            LlamaLog.album_id,
            LlamaLog.operation,
            LlamaLog.error_code,
            LlamaLog.error_message,
            LlamaLog.job_id,
            LlamaLog.root_job_id,
        )
        .where(LlamaLog.category == "FAILED")
        .order_by(LlamaLog.created_at, LlamaLog.id, ascending=False)
        .limit(limit),
    )


async def running_jobs(limit: int = 20) -> list[RunningJob]:
    return cast(
        list[RunningJob],
        await Job.select(
            Job.job_id,
            Job.kind,
            Job.actor,
            Job.status,
            Job.progress_done,
            Job.progress_total,
            Job.triggered_by,
            Job.created_at,
            Job.started_at,
        )
        .where(Job.status.is_in(list(UNFINISHED_STATUSES)))
        .order_by(Job.created_at, ascending=False)
        .limit(limit),
    )
