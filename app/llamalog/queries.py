"""Reading the log: one indexed keyset query per page, whatever the page size or depth."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from piccolo.columns import JSON
from piccolo.columns.combination import Or, Where
from piccolo.querystring import QueryString

from app.db import engine, like_escape
from app.llamalog.filters import Cursor, LogFilter
from app.llamalog.partitions import add_months, month_start
from app.llamalog.rows import LogRow
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
    rows: list[LogRow]
    next_cursor: Cursor | None

    @property
    def last_id(self) -> int | None:
        return max((r["id"] for r in self.rows), default=None)


# The page query is written out here rather than built with Piccolo's Select: the same statement on
# the same index, without a query-builder pass and a row-object pass per request (it is the hot path
# of /logs, /api/logs and the chain). Each clause's value is a bound parameter, never SQL text.
_SELECT = "SELECT " + ", ".join(f'"{c._meta.db_column_name}"' for c in PAGE_COLUMNS) + ' FROM "llama_log"'
_JSON_COLUMNS = tuple(c._meta.db_column_name for c in PAGE_COLUMNS if isinstance(c, JSON))
_TEXT_COLUMNS = ('"entity_label"', '"operation"', '"error_message"')


# X and every job below it: the Job table's tree (runs started by runs), then the log's own links
# (a row's job_id under its parent_job_id: the rows of entities made along the way, imported trees).
# Both walks go down an indexed parent_job_id; UNION (not UNION ALL) ends on a loop.
_JOB_TREE = (
    "WITH RECURSIVE jobs(job) AS (SELECT {seed} UNION "
    '  SELECT j."job_id" FROM "job" j JOIN jobs ON j."parent_job_id" = jobs.job), '
    "tree(job) AS (SELECT job FROM jobs UNION "
    '  SELECT l."job_id" FROM "llama_log" l JOIN tree ON l."parent_job_id" = tree.job '
    '  WHERE l."job_id" IS NOT NULL) '
    "SELECT job FROM tree"
)


def job_clause(job: uuid.UUID, *, is_root: bool, postgres: bool) -> tuple[str, list[object]]:
    """Rows of job `job` and of every job below it (children, grandchildren ...).

    A root's tree is every row that stores it as root_job_id (one indexed lookup); below the root,
    the tree is walked down its parent links.
    """
    if is_root:
        return '("root_job_id" = {} OR "job_id" = {})', [job, job]
    if (
        postgres
    ):  # the tree as one array up front: then an index scan of job_id = ANY(array), never a seq scan
        return '"job_id" = ANY(ARRAY(' + _JOB_TREE.replace("{seed}", "CAST({} AS UUID)") + "))", [job]
    return '"job_id" IN (' + _JOB_TREE.replace("{seed}", "{}") + ")", [job]


async def job_tree(job: uuid.UUID) -> set[uuid.UUID]:
    """`job` and every job below it now (the job filter's tree), for the live log's twin of it."""
    seed = "CAST({} AS UUID)" if engine().engine_type == "postgres" else "{}"
    rows = await engine().run_querystring(QueryString(_JOB_TREE.replace("{seed}", seed), job))
    return {as_uuid(r["job"]) for r in rows if r["job"] is not None}


async def is_root_job(job: uuid.UUID) -> bool:
    """True when `job` is the root of a tree: a row stores it as its root, or its Job row has no parent."""
    sql = (
        'SELECT 1 AS hit FROM "llama_log" WHERE "root_job_id" = {} '
        'UNION ALL SELECT 1 FROM "job" WHERE "job_id" = {} AND "parent_job_id" IS NULL LIMIT 1'
    )
    return bool(await engine().run_querystring(QueryString(sql, job, job)))


def filter_clauses(flt: LogFilter, *, job_is_root: bool = False) -> tuple[list[str], list[object]]:
    """`flt` as WHERE clauses (QueryString templates, `{}` per value) and their values.

    `job_is_root`: what `is_root_job(flt.job)` said (the job filter's shortcut for a root).
    """
    postgres = engine().engine_type == "postgres"
    clauses: list[str] = []
    values: list[object] = []
    if flt.categories:
        clauses.append('"category" IN (' + ", ".join("{}" for _ in flt.categories) + ")")
        values.extend(flt.categories)
    if flt.entity_type:
        clauses.append('"entity_type" = {}')
        values.append(flt.entity_type)
    if flt.status:
        clauses.append('"status" = {}')
        values.append(flt.status)
    if flt.operation:
        if flt.operation.endswith("*"):
            clauses.append("\"operation\" LIKE {} ESCAPE '\\'")
            values.append(like_escape(flt.operation[:-1]) + "%")
        else:
            clauses.append('"operation" = {}')
            values.append(flt.operation)
    if flt.source:
        if postgres:
            clauses.append('{} = ANY("sources")')
            values.append(flt.source)
        else:  # SQLite keeps an array as JSON text: match the quoted item
            clauses.append('"sources" LIKE {}')
            values.append(f'%"{flt.source}"%')
    if flt.since:
        clauses.append('"created_at" >= {}')
        values.append(flt.since)
    if flt.until:
        clauses.append('"created_at" < {}')
        values.append(flt.until)
    if flt.job:
        clause, job_values = job_clause(flt.job, is_root=job_is_root, postgres=postgres)
        clauses.append(clause)
        values.extend(job_values)
    if flt.q:
        operator = "ILIKE" if postgres else "LIKE"
        pattern = f"%{like_escape(flt.q)}%"
        clauses.append("(" + " OR ".join(f"{c} {operator} {{}} ESCAPE '\\'" for c in _TEXT_COLUMNS) + ")")
        values.extend([pattern] * len(_TEXT_COLUMNS))
    return clauses, values


def decode_rows(records: list[Mapping[str, object]]) -> list[LogRow]:
    rows = [dict(record) for record in records]
    for row in rows:
        for name in _JSON_COLUMNS:
            value = row[name]
            if isinstance(value, str):
                row[name] = json.loads(value)
    return cast(list[LogRow], rows)


async def page_query(
    flt: LogFilter,
    *,
    newest_first: bool,
    scope: Where | Or | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> QueryString:
    """The keyset SELECT of rows matching `flt` (and `scope`, a Piccolo where clause), in page order
    (newest first: `ORDER BY created_at DESC, id DESC`; a caller that pages sorts what it reads)."""
    clauses, values = filter_clauses(flt, job_is_root=flt.job is not None and await is_root_job(flt.job))
    if scope is not None:
        clauses.append("{}")
        values.append(scope.querystring)
    # Only a bounded page gains from the split below; an export streams the plain ordered scan.
    recent_from = _recent_from(flt) if newest_first and limit is not None else None
    if flt.cursor is not None:
        clauses.append(f'("created_at", "id") {"<" if newest_first else ">"} ({{}}, {{}})')
        values.extend([flt.cursor.created_at, flt.cursor.id])
        if recent_from is None:
            # The same bound on created_at alone (implied by the row comparison): Postgres prunes
            # the monthly partitions on it, which it cannot do from a row comparison.
            clauses.append(f'"created_at" {"<=" if newest_first else ">="} {{}}')
            values.append(flt.cursor.created_at)
    if after_id is not None:
        clauses.append('"id" > {}')
        values.append(after_id)
    order = "DESC" if newest_first else "ASC"
    tail = f' ORDER BY "created_at" {order}, "id" {order}' + (
        f" LIMIT {int(limit)}" if limit is not None else ""
    )
    if recent_from is None:
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        sql = _SELECT + where + tail
    else:
        # Newest first on monthly partitions: an ordered scan of the whole table opens and descends
        # every month's index (a Merge Append over all partitions) to find 51 rows that almost
        # always sit in the last month or two. Still one statement: the recent months first, the
        # older ones in a second branch that Postgres runs only if the first leaves the page short
        # (the outer LIMIT stops the Append), so the work stays flat as months accumulate.
        # The bound is written in (a month start this module computed, not input): a bound parameter
        # would make Postgres plan the statement afresh for its first five runs on each connection
        # (custom plans, ~5 ms each over 30 partitions) before it settles on the generic plan.
        # A cursor's page also ends its recent branch at the end of the cursor's month, written in
        # the same way: a bound parameter on created_at would make the plan depend on the value, so
        # Postgres would plan each deep page afresh (~0.3 ms over a cheap 0.2 ms page).
        bound = f"'{recent_from.isoformat()}'::timestamptz"
        window = [f'"created_at" >= {bound}']
        if flt.cursor is not None:
            end = add_months(month_start(flt.cursor.created_at), 1)
            window.append(f"\"created_at\" < '{end.isoformat()}'::timestamptz")
        recent = " WHERE " + " AND ".join([*clauses, *window])
        older = " WHERE " + " AND ".join([*clauses, f'"created_at" < {bound}'])
        sql = (
            f"SELECT * FROM (({_SELECT}{recent}{tail}) UNION ALL ({_SELECT}{older}{tail})) AS page "
            f"LIMIT {int(limit or 0)}"
        )
        values = [*values, *values]
    return QueryString(sql, *values)


async def fetch_page(
    flt: LogFilter, *, newest_first: bool, scope: Where | Or | None = None, after_id: int | None = None
) -> LogPage:
    """One page of rows matching `flt` (and `scope`, a Piccolo where clause), plus the next cursor."""
    query = await page_query(
        flt, newest_first=newest_first, scope=scope, after_id=after_id, limit=flt.limit + 1
    )
    rows = decode_rows(await engine().run_querystring(query))
    if newest_first:  # the split page's two branches are disjoint and each ordered: keep it explicit
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    next_cursor = Cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return LogPage(rows=rows, next_cursor=next_cursor)


def _recent_from(flt: LogFilter) -> dt.datetime | None:
    """Where the recent branch of a newest-first page starts (Postgres): the month before the cursor's
    (or this) month; None when one plain statement is as good (SQLite, or `since` is already later)."""
    if engine().engine_type != "postgres":
        return None
    anchor = flt.cursor.created_at if flt.cursor is not None else dt.datetime.now(dt.UTC)
    start = add_months(month_start(anchor), -1)
    if flt.since is not None and flt.since >= start:
        return None
    return start


async def list_logs(flt: LogFilter) -> LogPage:
    """The log table: newest first."""
    return await fetch_page(flt, newest_first=True)


async def rows_since(flt: LogFilter, after_id: int) -> list[LogRow]:
    """Rows newer than `after_id` matching `flt` (the live log), oldest first."""
    page = await fetch_page(flt.with_cursor(None), newest_first=False, after_id=after_id)
    return page.rows


def as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def get_row(row_id: int) -> LogRow | None:
    """One row with the columns a page shows (an expanded row in the log table)."""
    rows = decode_rows(await engine().run_querystring(QueryString(_SELECT + ' WHERE "id" = {}', row_id)))
    return rows[0] if rows else None
