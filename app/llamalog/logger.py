"""The LlamaLog logger: one row per change, written in the transaction of the change."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from piccolo.columns import JSON, Column
from piccolo.columns.defaults.base import Default
from piccolo.querystring import QueryString
from piccolo.utils.encoding import dump_json

from app.column_fit import fit
from app.config import get_settings
from app.llamalog.context import JobContext, current_job, get_current_job
from app.llamalog.outside_runs import OutsideRun, record_outside_run
from app.llamalog.tables import CATEGORIES, ENTITY_TYPES, SOURCES, STATUSES, LlamaLog

console = logging.getLogger("llamalog")
# The kind of the job a row written outside any job (a script, the shell) gets.
SCRIPT_JOB = "script"

# Verb fragments of `<entity>:<verb>:<path>` that name a category, checked in this order.
_VERB_CATEGORIES = (
    ("cache", "CACHED"),
    ("correct", "CORRECTED"),
    ("revert", "CORRECTED"),
    ("enrich", "ENRICHED"),
    ("link", "LINKED"),
    ("fail", "FAILED"),
)


def derive_category(operation: str, status: str = "SUCCESS") -> str:
    """The category an operation implies when the caller names none."""
    if status == "FAILED":
        return "FAILED"
    verb = operation.split(":")[1] if operation.count(":") >= 1 else operation
    for fragment, category in _VERB_CATEGORIES:
        if fragment in verb:
            return category
    return "CREATED"


def _console_line(row: Mapping[str, object]) -> str:
    keys = ("category", "operation", "entity_type", "entity_id", "status", "job_id", "root_job_id")
    parts = [f"{k}={row[k]}" for k in keys if row.get(k) is not None]
    if row.get("user_id") is not None:
        parts.append(f"user={row['user_id']}")
    if row.get("entity_label"):
        parts.append(f"label={json.dumps(row['entity_label'], ensure_ascii=False)}")
    if row.get("error_code"):
        parts.append(f"error={row['error_code']}")
    return "[🦙 LlamaLog] " + " ".join(parts)


_console_ready = False


def _ensure_console_handler() -> None:
    """One stderr handler of our own, whatever other handlers (tests, apps) are attached."""
    global _console_ready
    if _console_ready:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    console.addHandler(handler)
    console.setLevel(logging.INFO)
    console.propagate = False
    _console_ready = True


@dataclass(frozen=True, slots=True)
class LoggedRow:
    """The row record() wrote: its id is what callers link to (e.g. an update's log_id)."""

    id: int
    created_at: dt.datetime


def _default_factory(column: Column) -> Callable[[], object]:
    """What Piccolo's `LlamaLog(...)` fills in for a column the caller left out, as a factory."""
    default = column.default
    if isinstance(default, Default):
        return default.python  # e.g. created_at: now, in UTC
    if callable(default):
        return default  # e.g. `list` for the arrays: a fresh one per row
    return lambda: default


# Every column but the serial id, in table order: the INSERT binds one value for each.
_COLUMNS = [c for c in LlamaLog._meta.columns if not c._meta.primary_key]
_DEFAULTS = [(c._meta.name, _default_factory(c)) for c in _COLUMNS]
_NAMES = [name for name, _ in _DEFAULTS]
_KNOWN = frozenset(_NAMES)
_JSON = frozenset(c._meta.name for c in _COLUMNS if isinstance(c, JSON))
_FITTED = frozenset({"entity_label", "reason", "error_message"})
# record_many() writes at most this many rows per statement (29 parameters each; both engines allow
# 32766 per statement).
BATCH_ROWS = 500


class _Insert(QueryString):
    """The llama_log INSERT, compiled once per engine and row count; a call only binds its values."""

    __slots__ = ("_sql",)

    def __init__(self, sql: str, template: str, args: list[object]) -> None:
        # query_type/table let Piccolo's SQLite engine fetch the id on versions without RETURNING.
        super().__init__(template, query_type="insert", table=LlamaLog)
        # Plain values only (no columns or nested queries), so Piccolo's per-argument scan is skipped.
        self.args = args
        self._sql = sql

    def compile_string(self, engine_type: str = "postgres") -> tuple[str, list[Any]]:
        return self._sql, list(self.args)


@lru_cache(maxsize=32)
def _insert_sql(engine_type: str, returning: bool, rows: int) -> tuple[str, str]:
    """(compiled SQL for the engine, the `{}` template Piccolo prints when it logs queries)."""
    columns = ", ".join(f'"{c._meta.db_column_name}"' for c in _COLUMNS)
    group = "(" + ", ".join("{}" for _ in _COLUMNS) + ")"
    template = f'INSERT INTO "{LlamaLog._meta.tablename}" ({columns}) VALUES {", ".join([group] * rows)}'
    if returning:
        template += f' RETURNING "{LlamaLog._meta.primary_key._meta.db_column_name}"'
    sql, _ = QueryString(template, *[None] * (len(_COLUMNS) * rows)).compile_string(engine_type=engine_type)
    return sql, template


def _sql_value(name: str, value: object) -> object:
    """The value as Piccolo binds it: JSON columns as text. Lists stay lists: the driver makes them
    text[] on Postgres, and Piccolo's sqlite3 adapter JSON text on SQLite."""
    if name in _JSON and value is not None and not isinstance(value, str):
        return dump_json(value)
    return value


async def _insert(rows: list[dict[str, object]]) -> list[LoggedRow]:
    """Parameterised INSERT of `rows` through the engine: it joins the caller's open transaction."""
    db = LlamaLog._meta.db
    returning = db.engine_type != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    if len(rows) > 1 and not returning:  # old SQLite tells only the last id of a statement
        return [written for row in rows for written in await _insert([row])]
    filled = [{name: row[name] if name in row else default() for name, default in _DEFAULTS} for row in rows]
    sql, template = _insert_sql(db.engine_type, returning, len(rows))
    args = [_sql_value(name, row[name]) for row in filled for name in _NAMES]
    inserted = await db.run_querystring(_Insert(sql, template, args))
    # One statement numbers its rows in VALUES order, so ascending ids line up with `rows`.
    ids = sorted(r["id"] for r in inserted)
    return [
        LoggedRow(id=i, created_at=cast(dt.datetime, row["created_at"]))
        for i, row in zip(ids, filled, strict=True)
    ]


async def record(
    *,
    entity_type: str,
    entity_id: uuid.UUID | None,
    operation: str,
    category: str | None = None,
    status: str = "SUCCESS",
    child: bool = False,
    context: JobContext | None = None,
    album_id: uuid.UUID | None = None,
    artist_id: uuid.UUID | None = None,
    track_id: uuid.UUID | None = None,
    sources: list[str] | None = None,
    **fields: object,
) -> LoggedRow:
    """Write one LlamaLog row in the current transaction and echo it to the console.

    `child=True` marks an entity created or linked along the way: the row gets a job id of its own,
    with the running job as its parent and the same root.
    """
    values = row_values(
        entity_type=entity_type,
        entity_id=entity_id,
        operation=operation,
        category=category,
        status=status,
        child=child,
        context=await _job_for(context),
        album_id=album_id,
        artist_id=artist_id,
        track_id=track_id,
        sources=sources,
        **fields,
    )
    (row,) = await _insert([values])
    _echo([values])
    return row


_implicit_job: ContextVar[JobContext | None] = ContextVar("llamalog_implicit_job", default=None)


async def _job_for(context: JobContext | None) -> JobContext:
    """The job a row belongs to: the caller's, the running one, or, outside any job (a script, the
    shell), a job of its own: opened on the first row, kept for the rest of this task (so its child
    rows hang under a parent that exists), and on the Job table like any run."""
    ctx = context or get_current_job()
    if ctx is not None and ctx is not _implicit_job.get():
        return ctx
    if ctx is None:
        ctx = JobContext.new_root(triggered_by="system")
        current_job.set(ctx)
        _implicit_job.set(ctx)
    # Written with every row of the job (a no-op after the first): the first may have rolled back.
    now = dt.datetime.now(dt.UTC)
    await record_outside_run(
        OutsideRun(job_id=uuid.UUID(ctx.job_id), kind=SCRIPT_JOB, started=now, finished=now)
    )
    return ctx


async def record_many(entries: Sequence[Mapping[str, Any]]) -> list[LoggedRow]:
    """Write several rows in one INSERT, each exactly as `record(**entry)` would (one per track of an
    album, say: still one row per entity), in the current transaction; their ids in entry order."""
    if any(entry.get("context") is None for entry in entries):
        implicit = await _job_for(None)
        entries = [{**entry, "context": entry.get("context") or implicit} for entry in entries]
    rows = [row_values(**entry) for entry in entries]
    written: list[LoggedRow] = []
    for start in range(0, len(rows), BATCH_ROWS):
        written.extend(await _insert(rows[start : start + BATCH_ROWS]))
    _echo(rows)
    return written


def row_values(
    *,
    entity_type: str,
    entity_id: uuid.UUID | None,
    operation: str,
    category: str | None = None,
    status: str = "SUCCESS",
    child: bool = False,
    context: JobContext | None = None,
    album_id: uuid.UUID | None = None,
    artist_id: uuid.UUID | None = None,
    track_id: uuid.UUID | None = None,
    sources: list[str] | None = None,
    **fields: object,
) -> dict[str, object]:
    """The checked column values of one row (record()'s arguments), job ids filled from the context."""
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"unknown entity_type {entity_type!r}")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    category = category or derive_category(operation, status)
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    for source in sources or []:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
    unknown = fields.keys() - _KNOWN
    if unknown:
        raise ValueError(f"Unrecognized columns - {sorted(unknown)}")

    for name in _FITTED & fields.keys():  # upstream text: a 600-character title, a NUL
        if isinstance(text := fields[name], str):
            fields[name] = fit(LlamaLog._meta.get_column_by_name(name), text)
    ctx = context or get_current_job()
    if ctx is None:
        ctx = JobContext.new_root(triggered_by="system")
    row_ctx = ctx.child() if child else ctx
    ids = {"ALBUM": "album_id", "ARTIST": "artist_id", "TRACK": "track_id"}
    links = {"album_id": album_id, "artist_id": artist_id, "track_id": track_id}
    links[ids[entity_type]] = links[ids[entity_type]] or entity_id

    return {
        "entity_type": entity_type,
        "entity_id": _uuid(entity_id),
        "category": category,
        "operation": operation,
        "status": status,
        "sources": list(sources or []),
        "job_id": _uuid(row_ctx.job_id),
        "parent_job_id": _uuid(row_ctx.parent_job_id),
        "root_job_id": _uuid(row_ctx.root_job_id),
        "is_root_job": row_ctx.is_root,
        "triggered_by": row_ctx.triggered_by,
        "user_id": row_ctx.user_id,
        "username": row_ctx.username,
        **{k: _uuid(v) for k, v in links.items()},
        **fields,
    }


def _echo(rows: list[dict[str, object]]) -> None:
    if get_settings().console_log:
        _ensure_console_handler()
        for values in rows:
            console.info(_console_line(values))


def _uuid(value: object) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))
