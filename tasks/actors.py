"""Every Dramatiq actor, declared in this one module (imported by create_app, `llama worker`, the CLI).

Actors are thin: read the arguments, call one app service, done. Write them async; the job context
(job id, parent, root, user) is already set, so services call `record()`, `job_progress()` and
`job_count()` without passing ids, and a message sent from inside an actor is its child job.

`on_final_failure` is an async app callback taking an app.jobs.failures.JobFailure; it runs after the
last retry and writes the FAILED row. Scheduled syncs are `sync_spotify` and `sync_musicbrainz`.
"""

from __future__ import annotations

import uuid

import dramatiq

from app.catalog import artist_enrich, covers, enrich, job_failures, sync
from app.correction import bulk, prefetch, run_revert
from app.correction import job_failures as correction_failures
from app.jobs import actors as app_actors
from app.jobs import bulk as job_bulk
from app.jobs import log_maintenance
from app.jobs.actors import ActorName
from app.jobs.launch import enqueue_child
from tasks.broker import get_broker
from tasks.retry_policy import JOB_OPTIONS, SYNC_TIME_LIMIT_MS

broker = get_broker()


@dramatiq.actor(
    broker=broker,
    queue_name="sync",
    time_limit=SYNC_TIME_LIMIT_MS,
    on_final_failure=job_failures.spotify_sync_failed,
    **JOB_OPTIONS,
)
async def sync_spotify() -> None:
    await sync.sync_spotify()
    await enqueue_child(ActorName.REFRESH_FIX_QUEUE)


@dramatiq.actor(
    broker=broker,
    queue_name="sync",
    time_limit=SYNC_TIME_LIMIT_MS,
    on_final_failure=job_failures.musicbrainz_sync_failed,
    **JOB_OPTIONS,
)
async def sync_musicbrainz(days: int = sync.MUSICBRAINZ_WINDOW_DAYS) -> None:
    await sync.sync_musicbrainz(days=days)
    await enqueue_child(ActorName.REFRESH_FIX_QUEUE)


@dramatiq.actor(
    broker=broker, queue_name="enrichment", on_final_failure=job_failures.enrichment_failed, **JOB_OPTIONS
)
async def enrich_album(album_id: str) -> None:
    await enrich.enrich_album(uuid.UUID(album_id))


@dramatiq.actor(
    broker=broker,
    queue_name="enrichment",
    on_final_failure=job_failures.artist_enrichment_failed,
    **JOB_OPTIONS,
)
async def enrich_artist(artist_id: str) -> None:
    await artist_enrich.enrich_artist(uuid.UUID(artist_id))


@dramatiq.actor(broker=broker, queue_name="covers", on_final_failure=job_failures.cover_failed, **JOB_OPTIONS)
async def cache_cover(album_id: str) -> None:
    await covers.cache_cover(uuid.UUID(album_id))


@dramatiq.actor(broker=broker, queue_name="bulk", max_retries=0)
async def bulk_jobs(action: str, selection: dict[str, list[str] | dict[str, str]]) -> None:
    await job_bulk.run_bulk(action, selection)


@dramatiq.actor(broker=broker, queue_name="maintenance", time_limit=SYNC_TIME_LIMIT_MS, **JOB_OPTIONS)
async def maintain_log() -> None:
    """The scheduled log maintenance: partitions kept ahead, then the retention prune."""
    await log_maintenance.maintain_log(triggered_by="scheduled")


@dramatiq.actor(broker=broker, queue_name="fix", **JOB_OPTIONS)
async def refresh_fix_queue() -> None:
    """Queue a prefetch for every album of the fix queue whose candidates are missing or stale."""
    await prefetch.queue_stale()


@dramatiq.actor(
    broker=broker, queue_name="fix", on_final_failure=correction_failures.prefetch_failed, **JOB_OPTIONS
)
async def prefetch_candidates(album_id: str) -> None:
    await prefetch.prefetch_album(album_id)


@dramatiq.actor(
    broker=broker,
    queue_name="fix",
    time_limit=SYNC_TIME_LIMIT_MS,
    on_final_failure=correction_failures.bulk_apply_failed,
    **JOB_OPTIONS,
)
async def bulk_apply(batch_id: str) -> None:
    await bulk.run_batch(batch_id)


@dramatiq.actor(
    broker=broker,
    queue_name="fix",
    time_limit=SYNC_TIME_LIMIT_MS,
    on_final_failure=correction_failures.revert_run_failed,
    **JOB_OPTIONS,
)
async def revert_run(run_id: str) -> None:
    await run_revert.revert_run(run_id)


# The app sends on this broker from now on; wire() checks every ActorName is declared above.
app_actors.wire(broker)

__all__ = ["broker", "JOB_OPTIONS", "SYNC_TIME_LIMIT_MS"]
