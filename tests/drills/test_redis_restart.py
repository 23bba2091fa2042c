"""Drill: Redis dies (kill -9) and comes back while a `llama worker` is working through jobs.

The broker is a private redis-server with an append-only file (fsync always), as production Redis
should run; the worker and the enqueuing process are subprocesses pointed at it, on the test database.

What the user sees: jobs already queued stay queued (the /jobs page keeps their rows), the worker
logs the lost connection and carries on by itself once Redis is back; every job ends succeeded.
Proof: one Job row per job, all succeeded; one artist per job (unique MBID); exactly one CREATED row
per artist, and a LINKED row only for a message that was delivered again (its work found done).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.catalog.tables import Artist
from app.config import ROOT
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.drills.private_redis import private_redis, redis_env
from tests.jobs.harness import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
JOBS = 24


async def _counts(job_ids: list[str]) -> dict[str, int]:
    rows = await Job.select(Job.status).where(Job.job_id.is_in(job_ids))
    out: dict[str, int] = {}
    for row in rows:
        out[row["status"]] = out.get(row["status"], 0) + 1
    return out


async def test_redis_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    with private_redis(tmp_path) as redis_server:
        env = redis_env(redis_server.url)
        mbids = [str(uuid.uuid4()) for _ in range(JOBS)]
        enqueued = subprocess.run(
            [sys.executable, "-m", "tests.drills.redis_enqueue", "0.25", *mbids],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert enqueued.returncode == 0, enqueued.stderr[-3000:]
        job_ids: list[str] = json.loads(enqueued.stdout.strip().splitlines()[-1])
        assert len(set(job_ids)) == JOBS

        log_path = tmp_path / "worker.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker", "--threads", "2", "--heartbeat-timeout", "3000",
                 "tests.drills.drill_actors"],  # fmt: skip
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:

            async def some_done() -> Any:
                return (await _counts(job_ids)).get("succeeded", 0) >= 4

            await wait_until(some_done, timeout=90, what=f"the first jobs\n{log_path.read_text()}")
            redis_server.kill()  # mid-run: some done, some running, most still queued
            time.sleep(2)
            redis_server.start()  # same port, same append-only file

            async def all_finished() -> Any:
                counts = await _counts(job_ids)
                return counts if counts.get("succeeded", 0) + counts.get("failed", 0) == JOBS else None

            counts = await wait_until(
                all_finished, timeout=150, every=0.5, what=f"all jobs\n{log_path.read_text()}"
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    worker_log = log_path.read_text(errors="replace")
    assert counts == {"succeeded": JOBS}, worker_log[-3000:]
    assert await Job.count().where(Job.job_id.is_in(job_ids)) == JOBS
    assert await Artist.count().where(Artist.musicbrainz_id.is_in(mbids)) == JOBS
    rows = await LlamaLog.select(LlamaLog.category, LlamaLog.entity_id).where(
        LlamaLog.entity_type == "ARTIST"
    )
    created = [r["entity_id"] for r in rows if r["category"] == "CREATED"]
    assert len(created) == len(set(created)) == JOBS
    linked = [r for r in rows if r["category"] == "LINKED"]
    assert len(rows) == JOBS + len(linked)  # nothing else: no FAILED row, no second CREATED
    lost = [line for line in worker_log.splitlines() if "onnection" in line]
    print(f"redis drill: {JOBS} jobs succeeded, {len(linked)} redelivered; worker said: {lost[:3]}")
