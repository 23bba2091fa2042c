"""The demo fills the catalog through the real jobs: albums, broken albums to fix, log rows."""

from __future__ import annotations

from typing import Any

from app.catalog.tables import Album
from app.demo.command import ensure_admin, run_seed_jobs
from app.llamalog.tables import LlamaLog
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers")


async def test_demo_seed_runs_the_real_jobs(upstream: Any, worker: Any) -> None:
    assert await ensure_admin("demo", "demo-password") is True
    assert await ensure_admin("demo", "demo-password") is False
    worker.start()
    lines: list[str] = []
    summary = await run_seed_jobs(out=lines.append)
    assert summary.albums >= 8
    assert 0 < summary.broken < summary.albums
    assert summary.log_rows == await LlamaLog.count() > summary.albums
    assert any("queued sync_spotify" in line for line in lines)
    reasons = {r["broken_reasons"] for r in await Album.select(Album.broken_reasons)}
    assert any("NO_TRACKS" in r for r in reasons)
    # No row was written outside a job: every one names its job and root job.
    assert await LlamaLog.count().where(LlamaLog.job_id.is_null() | LlamaLog.root_job_id.is_null()) == 0
