"""`llama import-log`: a legacy EnrichmentLog export read into llama_log, idempotently, as a job."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.column_fit import fit_key, fit_values
from app.db import transaction
from app.jobs.tables import Job, JobStatus
from app.llamalog.legacy_records import FileSource, LegacyRow, Unreadable
from app.llamalog.legacy_rules import LOOP, TOO_DEEP, find_root, legacy_category, stable_uuid
from app.llamalog.tables import SOURCES, STATUSES, LlamaLog

SYSTEM = "enrichment_log"  # the legacy table the rows come from, kept on each row
BATCH = 500
JOB_KIND = "import-log"


@dataclass
class ImportReport:
    rows: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    rows_without_any_job_id: int = 0
    rows_in_a_parent_loop: int = 0
    rows_deeper_than_10_levels: int = 0
    rows_whose_root_is_unknown: int = 0
    root_rows: int = 0
    distinct_job_ids: int = 0
    distinct_roots: int = 0
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    # Values the new schema does not know or cannot hold whole: kept in the row's metadata.
    kept_in_metadata: dict[str, int] = field(default_factory=dict)
    added: int = 0
    already_there: int = 0
    job_id: str | None = None

    def counts(self) -> dict[str, object]:
        """The figures fixtures/legacy/expected.json holds."""
        keys = (
            "rows",
            "categories",
            "rows_without_any_job_id",
            "rows_in_a_parent_loop",
            "rows_deeper_than_10_levels",
            "rows_whose_root_is_unknown",
            "root_rows",
            "distinct_job_ids",
            "distinct_roots",
        )
        return {key: getattr(self, key) for key in keys}


class StrictRefusal(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.unreadable)} unreadable rows: nothing imported (--strict)")
        self.report = report


class LegacySource(Protocol):
    """Where legacy rows come from: a file (legacy_records.FileSource) or a table (legacy_table)."""

    @property
    def name(self) -> str: ...

    def rows(self) -> AsyncIterator[LegacyRow | Unreadable]: ...


async def scan(source: LegacySource) -> tuple[ImportReport, dict[str, str]]:
    """First pass: the report and the parent links (job → parent), memory by job, not by row."""
    report = ImportReport()
    categories: Counter[str] = Counter()
    parents: dict[str, str] = {}
    starts: Counter[str] = Counter()  # rows per job their root walk starts from
    own_jobs: Counter[str] = Counter()  # rows per job id of their own
    async for row in source.rows():
        if isinstance(row, Unreadable):
            report.unreadable.append((row.line, row.reason))
            continue
        report.rows += 1
        categories[legacy_category(row.operation, row.status)] += 1
        if row.job_id and row.parent_job_id:
            parents.setdefault(row.job_id, row.parent_job_id)
        start = row.job_id or row.parent_job_id
        if start is None:
            report.rows_without_any_job_id += 1
            continue
        starts[start] += 1
        if row.job_id:
            own_jobs[row.job_id] += 1
    roots = {start: find_root(start, parents) for start in starts}
    report.rows_in_a_parent_loop = sum(n for s, n in starts.items() if roots[s] == LOOP)
    report.rows_deeper_than_10_levels = sum(n for s, n in starts.items() if roots[s] == TOO_DEEP)
    report.rows_whose_root_is_unknown = (
        report.rows_without_any_job_id + report.rows_in_a_parent_loop + report.rows_deeper_than_10_levels
    )
    report.root_rows = sum(n for job, n in own_jobs.items() if roots[job] == job)
    report.distinct_job_ids = len(own_jobs)
    report.distinct_roots = len({root for root in roots.values() if root not in (LOOP, TOO_DEEP)})
    report.categories = dict(categories)
    return report, {start: root for start, root in roots.items() if root not in (LOOP, TOO_DEEP)}


def import_key(row: LegacyRow) -> str:
    return f"{SYSTEM}:{row.id}"


def to_values(
    row: LegacyRow, root: str | None, entity_map: Mapping[str, str], import_job: uuid.UUID, kept: Counter[str]
) -> dict[str, Any]:
    """llama_log column values for a legacy row; every original value also in metadata.legacy."""

    def entity(legacy_id: str | None) -> uuid.UUID | None:
        return stable_uuid("entity", legacy_id, entity_map) if legacy_id else None

    def job(legacy_id: str | None) -> uuid.UUID | None:
        return stable_uuid("job", legacy_id) if legacy_id else None

    original = {k: v for k, v in asdict(row).items() if k != "line"}
    original["created_at"] = row.created_at.isoformat()
    legacy = {"system": SYSTEM, "import_job": str(import_job), "root": root, **original}
    sources = [s for s in row.sources if s in SOURCES]
    if len(sources) != len(row.sources):
        kept["sources"] += 1
    status = row.status if row.status in STATUSES else "SUCCESS"
    if status != row.status:
        kept["status"] += 1
    label = row.metadata.get("title") or row.metadata.get("name") if isinstance(row.metadata, dict) else None
    values = {
        "created_at": row.created_at,
        "entity_type": row.entity_type,
        "entity_id": entity(row.entity_id),
        "album_id": entity(row.album_id),
        "artist_id": entity(row.artist_id),
        "track_id": entity(row.track_id),
        "category": legacy_category(row.operation, row.status),
        "operation": row.operation,
        "sources": sources,
        "status": status,
        "fields_enriched": list(row.fields_enriched),
        "data_quality_before": row.data_quality_before,
        "data_quality_after": row.data_quality_after,
        "error_message": row.error_message,
        "error_code": row.error_code,
        "retry_count": row.retry_count,
        "duration_ms": row.duration_ms,
        "api_call_count": row.api_call_count,
        "metadata": {"legacy": legacy},
        "entity_label": str(label) if label else None,
        "job_id": job(row.job_id),
        "parent_job_id": job(row.parent_job_id),
        "root_job_id": job(root),
        "is_root_job": bool(root) and root == row.job_id,
        "triggered_by": row.triggered_by,
        "import_key": fit_key(LlamaLog.import_key, import_key(row)),
    }
    fitted = fit_values(LlamaLog, values)
    kept.update(name for name, value in values.items() if fitted[name] != value)
    return fitted


async def _write(batch: list[dict[str, Any]], report: ImportReport) -> None:
    keys = [values["import_key"] for values in batch]
    async with transaction():
        present = {
            r["import_key"]
            for r in await LlamaLog.select(LlamaLog.import_key).where(LlamaLog.import_key.is_in(keys))
        }
        fresh = {values["import_key"]: values for values in batch if values["import_key"] not in present}
        if fresh:
            # No conflict target: on Postgres's partitioned llama_log the unique index is
            # (import_key, created_at), on SQLite (import_key); DO NOTHING honours either.
            await LlamaLog.insert(*(LlamaLog(**values) for values in fresh.values())).on_conflict(
                action="DO NOTHING"
            )
    report.added += len(fresh)
    report.already_there += len(batch) - len(fresh)


async def import_log(
    path: Path | LegacySource,
    *,
    dry_run: bool = False,
    strict: bool = False,
    entity_map: Mapping[str, str] | None = None,
    username: str | None = None,
) -> ImportReport:
    """Read the source twice (report and parent links, then rows) and write its rows in batches."""
    source: LegacySource = FileSource(path) if isinstance(path, Path) else path
    report, roots = await scan(source)
    if strict and report.unreadable:
        raise StrictRefusal(report)
    if dry_run:
        return report
    entity_ids = {old: str(uuid.UUID(new)) for old, new in (entity_map or {}).items()}
    job_id = uuid.uuid4()
    started = dt.datetime.now(dt.UTC)
    kept: Counter[str] = Counter()
    batch: list[dict[str, Any]] = []
    async for row in source.rows():
        if not isinstance(row, LegacyRow):
            continue
        start = row.job_id or row.parent_job_id
        batch.append(to_values(row, roots.get(start) if start else None, entity_ids, job_id, kept))
        if len(batch) >= BATCH:
            await _write(batch, report)
            batch = []
    if batch:
        await _write(batch, report)
    report.kept_in_metadata = dict(kept)
    report.job_id = str(job_id)
    summary = {
        **report.counts(),
        "added": report.added,
        "already_there": report.already_there,
        "unreadable": len(report.unreadable),
        "kept_in_metadata": report.kept_in_metadata,
    }
    await Job.insert(
        Job(
            job_id=job_id,
            kind=JOB_KIND,
            actor="llama import-log",
            args=[source.name],
            kwargs={"strict": strict, "entity_map": len(entity_ids)},
            status=JobStatus.succeeded,
            progress_done=report.rows,
            progress_total=report.rows,
            triggered_by="manual",
            username=username or getpass.getuser(),
            created_at=started,
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC),
            summary=summary,
        )
    )
    return report


def load_entity_map(path: Path) -> dict[str, str]:
    """A JSON object: legacy entity id → the UUID of the same album/artist/track in this catalog."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: an entity map is a JSON object of legacy id → UUID")
    return {str(k): str(v) for k, v in data.items()}
