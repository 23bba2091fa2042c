"""What a run changed: every row under a job (a sync, a bulk apply, an enrichment), per album.

A run is its job and every job below it, however deep (a sync retried under the failed one: its
enrichments, their covers and the tracks they added), the same tree the log's `job=` filter walks
(app.llamalog.queries.job_clause). Read from the LlamaLog only: the log is the record of what changed.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns.combination import WhereRaw

from app.db import engine
from app.llamalog.queries import is_root_job, job_clause
from app.llamalog.tables import LlamaLog


@dataclass
class AlbumChanges:
    album_id: uuid.UUID
    title: str
    created: bool = False
    fields: dict[str, dict[str, object]] = field(default_factory=dict)  # name → before/after
    tracks_added: list[str] = field(default_factory=list)
    tracks_changed: list[str] = field(default_factory=list)
    tracks_removed: list[str] = field(default_factory=list)
    reverted: bool = False  # a revert of this album is among the rows


@dataclass
class RunChanges:
    job_id: uuid.UUID
    albums: list[AlbumChanges] = field(default_factory=list)
    artists_created: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    rows: int = 0

    @property
    def albums_created(self) -> int:
        return sum(1 for a in self.albums if a.created)

    @property
    def tracks_created(self) -> int:
        return sum(len(a.tracks_added) for a in self.albums)

    @property
    def fields_changed(self) -> int:
        return sum(len(a.fields) for a in self.albums)

    @property
    def empty(self) -> bool:
        return not self.albums and not self.artists_created


@dataclass(frozen=True)
class RunScope:
    """The rows of run `job_id` and of every job below it, as a WHERE clause (or its complement)."""

    job_id: uuid.UUID
    sql: str
    values: tuple[object, ...]

    @classmethod
    async def of(cls, job_id: uuid.UUID) -> RunScope:
        """The run's tree as it stands now: a root by its `root_job_id`, a child run walked down."""
        postgres = engine().engine_type == "postgres"
        sql, values = job_clause(job_id, is_root=await is_root_job(job_id), postgres=postgres)
        return cls(job_id, sql, tuple(values))

    def rows(self) -> WhereRaw:
        return WhereRaw(self.sql, *self.values)

    def other_rows(self) -> WhereRaw:
        """Rows of any other job, or of none (a row without a job id is not the run's)."""
        return WhereRaw(f"NOT COALESCE(({self.sql}), FALSE)", *self.values)


def _loaded(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def run_rows(job_id: uuid.UUID, scope: RunScope | None = None) -> list[dict[str, Any]]:
    """Every successful row of the run (its whole job tree), oldest first, JSON decoded."""
    scope = scope or await RunScope.of(job_id)
    rows = await LlamaLog.select().where(scope.rows() & (LlamaLog.status != "FAILED")).order_by(LlamaLog.id)
    for row in rows:
        row["changes"] = _loaded(row["changes"]) or {}
        row["metadata"] = _loaded(row["metadata"]) or {}
    return rows


async def run_changes(job_id: uuid.UUID) -> RunChanges:
    """Albums, artists and tracks the run created; fields it changed; tracks it added or removed."""
    out = RunChanges(job_id=job_id)
    rows = await run_rows(job_id)
    out.rows = len(rows)
    albums: dict[uuid.UUID, AlbumChanges] = {}
    by_album: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["entity_type"] == "ARTIST":
            if row["category"] == "CREATED":
                out.artists_created.append((row["entity_id"], row["entity_label"] or ""))
            continue
        album_id = row["album_id"] or (row["entity_id"] if row["entity_type"] == "ALBUM" else None)
        if album_id is None:
            continue
        by_album[album_id].append(row)
    for album_id, album_rows in by_album.items():
        entry = AlbumChanges(album_id=album_id, title="")
        for row in album_rows:
            verb = row["operation"].split(":")[1] if row["operation"].count(":") >= 1 else ""
            if row["entity_type"] == "ALBUM":
                entry.title = row["entity_label"] or entry.title
                if row["category"] == "CREATED":
                    entry.created = True
                if "revert" in verb or row["metadata"].get("action") == "revert":
                    entry.reverted = True
                for name, change in row["changes"].items():
                    first = entry.fields.get(name, change)
                    entry.fields[name] = {"before": first.get("before"), "after": change.get("after")}
                continue
            label = row["entity_label"] or str(row["entity_id"])
            if row["category"] == "CREATED" or row["metadata"].get("action") == "added":
                entry.tracks_added.append(label)
            elif "delet" in verb or "remov" in verb or row["metadata"].get("action") == "removed":
                entry.tracks_removed.append(label)
            elif row["category"] in ("CORRECTED", "ENRICHED") and row["changes"]:
                entry.tracks_changed.append(label)
        albums[album_id] = entry
    out.albums = sorted(albums.values(), key=lambda a: (not a.created, a.title.casefold()))
    return out
