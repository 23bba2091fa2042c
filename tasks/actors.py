"""Every Dramatiq actor, declared in this one module (`llama worker` and `llama serve` import it).

Actors are thin: read the arguments, call one app service, done. Write them async; the job context
(job id, parent, root, user) is already set, so services call `record()`, `job_progress()` and
`job_count()` without passing ids, and a message sent from inside an actor is its child job.

    @dramatiq.actor(broker=broker, queue_name="enrichment", on_final_failure=enrichment_failed, **JOB_OPTIONS)
    async def enrich_album(album_id: str) -> None:
        await enrichment.enrich_album(album_id)

`on_final_failure` (optional) is an async app callback taking an app.jobs.failures.JobFailure; it runs
after the last retry and writes the FAILED row with `record_job_failure(...)`. Scheduled syncs are
the actors `sync_spotify` and `sync_musicbrainz` (pass `time_limit=SYNC_TIME_LIMIT_MS`).
"""

from __future__ import annotations

from tasks.broker import get_broker
from tasks.retry_policy import JOB_OPTIONS, SYNC_TIME_LIMIT_MS

broker = get_broker()

__all__ = ["broker", "JOB_OPTIONS", "SYNC_TIME_LIMIT_MS"]
