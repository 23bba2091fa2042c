"""Drill: kill -9 of the `llama worker` running a bulk apply; another worker resumes the job.

Albums with strong matches stored ahead (built here); the bulk apply job sent on a private Redis;
the first worker killed once the job is under way. What must hold: the job ends succeeded on the
second worker and every album was applied exactly once (one CORRECTED album row each, every batch
item `applied`), none twice, none half (each album's change and its item commit together).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.config import ROOT
from app.correction.tables import BulkItem
from app.jobs.runs import now
from app.llamalog.tables import LlamaLog
from tests.drills.private_redis import private_redis, redis_env
from tests.drills.test_worker_killed import Procs, _said
from tests.jobs.harness import job_in, job_row, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
HEARTBEAT_S = float(os.environ.get("DRILL_HEARTBEAT_TIMEOUT", "3"))
ALBUMS = 150
START = """
import asyncio, sys, uuid
import tasks.actors  # noqa: F401 - wires the broker
from app.correction.bulk import start_batch
entries = [(uuid.UUID(a), int(v)) for a, v in (e.split(":") for e in sys.argv[1:])]
print(asyncio.run(start_batch(entries, user_id=None, username="drill")))
"""


async def _strong_matches() -> list[tuple[str, int]]:
    from bench.fix_many import _albums, _store_candidates

    created = await _albums(ALBUMS, "k")
    await _store_candidates(created)
    from app.catalog.tables import Album

    rows = await Album.select(Album.id, Album.version).where(Album.id.is_in([c.id for c in created]))
    return [(str(r["id"]), int(r["version"])) for r in rows]


async def test_a_bulk_apply_worker_killed_mid_run_applies_no_album_twice(tmp_path: Path) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("workers in other processes share the database: Postgres only")
    entries = await _strong_matches()
    with private_redis(tmp_path) as redis_server:
        env = redis_env(redis_server.url, WORKER_HEARTBEAT_TIMEOUT=str(HEARTBEAT_S), LLAMALOG_CONSOLE="0")
        procs = Procs(tmp_path, env)
        try:
            sent = subprocess.run(
                [sys.executable, "-c", START, *(f"{a}:{v}" for a, v in entries)],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert sent.returncode == 0, sent.stderr[-3000:]
            job_id = sent.stdout.strip().splitlines()[-1]
            first = procs.worker()

            async def under_way() -> Any:
                return await BulkItem.count().where(BulkItem.status == "applied") >= 10

            await wait_until(under_way, timeout=120, what=f"the bulk apply under way\n{procs.logs()}")
            procs.worker()
            await wait_until(
                lambda: _said(tmp_path / "worker-1.log", "worker:"), timeout=30, what="the second worker"
            )
            killed_at = now()
            first.kill()
            first.wait(timeout=10)
            applied_at_kill = await BulkItem.count().where(BulkItem.status == "applied")

            async def running_again() -> Any:
                row = await job_row(job_id)
                return row if row and row["started_at"] and row["started_at"] > killed_at else None

            await wait_until(running_again, timeout=HEARTBEAT_S + 60, what=f"redelivery\n{procs.logs()}")
            row = await wait_until(
                lambda: job_in(job_id, "succeeded", "failed"), timeout=180, what=f"the end\n{procs.logs()}"
            )
        finally:
            procs.stop()

    assert row["status"] == "succeeded", (row["error"], procs.logs())
    assert 0 < applied_at_kill < ALBUMS, applied_at_kill
    statuses = [r["status"] for r in await BulkItem.select(BulkItem.status)]
    assert statuses == ["applied"] * ALBUMS
    corrected = await LlamaLog.select(LlamaLog.entity_id).where(
        (LlamaLog.root_job_id == job_id)
        & (LlamaLog.category == "CORRECTED")
        & (LlamaLog.entity_type == "ALBUM")
    )
    assert sorted(str(r["entity_id"]) for r in corrected) == sorted(a for a, _ in entries)
    print(f"bulk apply kill drill: {ALBUMS} albums, {applied_at_kill} applied at the kill, each once")
