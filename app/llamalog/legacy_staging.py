"""A legacy row on its way into the staging table: its llama_log values (category, stable ids,
fitted strings, the original kept in metadata), and the running figures of the import's report."""

from __future__ import annotations

import asyncio
import operator
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
from piccolo.utils.encoding import dump_json

from app.column_fit import fit_key, fit_values_changed
from app.llamalog.legacy_records import LegacyRow, Unreadable
from app.llamalog.legacy_rules import legacy_category, stable_uuid
from app.llamalog.tables import SOURCES, STATUSES, LlamaLog

SYSTEM = "enrichment_log"  # the legacy table the rows come from, kept on each row
BATCH = 5000
# The loop below is pure Python: without a pause it would hold the event loop from one batch to the
# next, and the batch being copied (its send and its wait on Postgres) would only move at those
# points, one after the other with the work here instead of beside it.
YIELD_EVERY = 250

# The llama_log columns a legacy row fills (root_job_id and is_root_job come from the walk), with
# their staging type on Postgres; then the staging table's own columns.
_VALUE_TYPES: tuple[tuple[str, str], ...] = (
    ("created_at", "timestamptz"),
    ("entity_type", "text"),
    ("entity_id", "uuid"),
    ("album_id", "uuid"),
    ("artist_id", "uuid"),
    ("track_id", "uuid"),
    ("category", "text"),
    ("operation", "text"),
    ("sources", "text[]"),
    ("status", "text"),
    ("fields_enriched", "text[]"),
    ("data_quality_before", "text"),
    ("data_quality_after", "text"),
    ("error_message", "text"),
    ("error_code", "text"),
    ("retry_count", "integer"),
    ("duration_ms", "integer"),
    ("api_call_count", "integer"),
    ("metadata", "json"),
    ("entity_label", "text"),
    ("job_id", "uuid"),
    ("parent_job_id", "uuid"),
    ("triggered_by", "text"),
    ("import_key", "text"),
)
VALUE_COLUMNS = tuple(name for name, _ in _VALUE_TYPES)
# seq: the row's place in the source (the first parent link of a job wins, as in the source order);
# job_key / parent_key / start_key: the legacy ids the walk follows (start: job id, else parent id).
STAGE_TYPES = (
    ("seq", "bigint"),
    *_VALUE_TYPES,
    ("job_key", "text"),
    ("parent_key", "text"),
    ("start_key", "text"),
)
STAGE_COLUMNS = tuple(name for name, _ in STAGE_TYPES)
STAGE_DDL = ", ".join(f"{name} {kind}" for name, kind in STAGE_TYPES)  # the Postgres staging table's columns


async def copy_staged(connection: Any, table: str, batch: Sequence[tuple[Any, ...]]) -> None:
    """A batch of staging tuples into `table` on Postgres (COPY, asyncpg)."""
    await connection.copy_records_to_table(table, records=batch, columns=list(STAGE_COLUMNS))


def import_key(row: LegacyRow) -> str:
    return f"{SYSTEM}:{row.id}"


def to_values(
    row: LegacyRow, entity_map: Mapping[str, str], import_job: str, kept: Counter[str]
) -> dict[str, Any]:
    """llama_log column values for a legacy row (all but its root); every original value also in
    metadata.legacy."""
    original = row._asdict()  # the fields in their order, less the line number
    del original["line"]
    original["created_at"] = row.created_at.isoformat()
    legacy = {"system": SYSTEM, "import_job": import_job, **original}
    sources = [s for s in row.sources if s in SOURCES]
    if len(sources) != len(row.sources):
        kept["sources"] += 1
    status = row.status if row.status in STATUSES else "SUCCESS"
    if status != row.status:
        kept["status"] += 1
    label = row.metadata.get("title") or row.metadata.get("name") if isinstance(row.metadata, dict) else None
    # The values that may need fitting (strings and lists of them), then the rest, which never do.
    values, cut = fit_values_changed(
        LlamaLog,
        {
            "entity_type": row.entity_type,
            "category": legacy_category(row.operation, row.status),
            "operation": row.operation,
            "sources": sources,
            "status": status,
            "fields_enriched": row.fields_enriched,
            "data_quality_before": row.data_quality_before,
            "data_quality_after": row.data_quality_after,
            "error_message": row.error_message,
            "error_code": row.error_code,
            "entity_label": str(label) if label else None,
            "triggered_by": row.triggered_by,
        },
    )
    if cut:
        kept.update(cut)
    values["created_at"] = row.created_at
    values["entity_id"] = _entity(row.entity_id, entity_map)
    values["album_id"] = _entity(row.album_id, entity_map)
    values["artist_id"] = _entity(row.artist_id, entity_map)
    values["track_id"] = _entity(row.track_id, entity_map)
    values["retry_count"] = row.retry_count
    values["duration_ms"] = row.duration_ms
    values["api_call_count"] = row.api_call_count
    values["metadata"] = {"legacy": legacy}
    values["job_id"] = _job(row.job_id)
    values["parent_job_id"] = _job(row.parent_job_id)
    values["import_key"] = fit_key(LlamaLog.import_key, import_key(row))
    return values


def _entity(legacy_id: str | None, entity_map: Mapping[str, str]) -> uuid.UUID | None:
    return stable_uuid("entity", legacy_id, entity_map) if legacy_id else None


def _job(legacy_id: str | None) -> uuid.UUID | None:
    return stable_uuid("job", legacy_id) if legacy_id else None


_VALUES = operator.itemgetter(*VALUE_COLUMNS)
_METADATA = VALUE_COLUMNS.index("metadata")


_ENCODE = msgspec.json.Encoder().encode


def _json_text(value: Any) -> str:
    """`value` as JSON text: msgspec's encoder (a large import's legacy copies took a sixth of its
    Python time in json.dumps), or the app's own where msgspec refuses a value (a lone surrogate)."""
    try:
        return _ENCODE(value).decode()
    except (msgspec.EncodeError, TypeError, UnicodeEncodeError):
        return dump_json(value)


def _stage_row(seq: int, row: LegacyRow, values: Mapping[str, Any]) -> tuple[Any, ...]:
    staged = [seq, *_VALUES(values), row.job_id, row.parent_job_id, row.job_id or row.parent_job_id]
    staged[1 + _METADATA] = _json_text(values["metadata"])
    return tuple(staged)


class LegacySource(Protocol):
    """Where legacy rows come from: a file (legacy_records.FileSource) or a table (legacy_table)."""

    @property
    def name(self) -> str: ...

    def rows(self, shard: tuple[int, int] | None = None) -> AsyncIterator[LegacyRow | Unreadable]:
        """Every row in source order, each numbered by its place; with `shard` (k, n) only the k-th of
        n parts (the rest not typed, or not read at all), for legacy_shards."""
        ...

    def pinned(self) -> AbstractAsyncContextManager[LegacySource]:
        """The source as several readers see it at the same time (a table: at one snapshot), so the
        parts of their shards add up to the whole."""
        ...

    async def rows_hint(self) -> int:
        """About how many rows there are, cheaply (to choose between one process and several)."""
        ...


@dataclass
class Tally:
    """What the rows read so far add up to (a shard's part, or the whole import's)."""

    entity_ids: Mapping[str, str]
    import_job: uuid.UUID
    rows: int = 0
    rows_without_any_job_id: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    unreadable: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._import_job_text = str(self.import_job)

    def take(self, row: LegacyRow | Unreadable) -> tuple[Any, ...] | None:
        """The row's staging tuple (its source line is its place, `seq`), or None when it cannot be read."""
        if isinstance(row, Unreadable):
            self.unreadable.append((row.line, row.reason))
            return None
        self.rows += 1
        values = to_values(row, self.entity_ids, self._import_job_text, self.kept)
        self.categories[values["category"]] += 1
        if not (row.job_id or row.parent_job_id):
            self.rows_without_any_job_id += 1
        return _stage_row(row.line, row, values)

    def merge(self, other: Tally) -> None:
        self.rows += other.rows
        self.rows_without_any_job_id += other.rows_without_any_job_id
        self.categories.update(other.categories)
        self.kept.update(other.kept)
        self.unreadable = sorted(self.unreadable + other.unreadable)


async def fill(
    rows: AsyncIterator[LegacyRow | Unreadable],
    tally: Tally,
    add: Callable[[list[tuple[Any, ...]]], Coroutine[Any, Any, None]],
) -> None:
    """Every row through `tally`, in batches to `add`: a batch goes into the staging table while the
    next one is made, so the database and this process work at the same time (one batch in flight,
    so memory stays flat)."""
    batch: list[tuple[Any, ...]] = []
    sending: asyncio.Task[None] | None = None
    try:
        async for row in rows:
            staged = tally.take(row)
            if staged is None:
                continue
            batch.append(staged)
            if not tally.rows % YIELD_EVERY:
                await asyncio.sleep(0)  # the batch in flight moves on (see YIELD_EVERY)
            if len(batch) >= BATCH:
                if sending is not None:
                    await sending
                sending = asyncio.create_task(add(batch))
                batch = []
    finally:
        if sending is not None:
            await sending
    if batch:
        await add(batch)
