"""Drill: Redis restarts (kill -9, append-only file) while failed jobs wait for their retry.

A `llama worker` holds the waiting retries in memory (Dramatiq's delay queue); on the lost
connection it drops them, and Redis keeps them parked under that live worker, so nobody ever runs
them (before: the jobs read "retrying" forever). `llama scheduler` runs the stall detector, which
finds the stranded retries (their time long past) and sends them again with the same job ids.

What the user sees: every job ends succeeded, none stays retrying or queued. Proof: the Job rows
(succeeded, re-sent by the detector), one artist and one CREATED row per job, the scheduler's log.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from app.catalog.tables import Artist
from app.config import ROOT
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.drills.private_redis import private_redis, redis_env
from tests.jobs.harness import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
JOBS = 6
QUEUE = "drill_redis"  # of tests.drills.drill_actors (not imported here: its actors run in the worker)
HEARTBEAT_S = 3


async def _statuses(job_ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in await Job.select(Job.status).where(Job.job_id.is_in(job_ids)):
        out[row["status"]] = out.get(row["status"], 0) + 1
    return out


def _held_delayed(url: str, namespace: str) -> int:
    """Delayed messages fetched by a worker and not yet acked (its ack set of the delay queue)."""
    client = redis.Redis.from_url(url)
    try:
        keys = client.keys(f"{namespace}:__acks__.*.{QUEUE}.DQ")
        return sum(int(client.scard(key)) for key in keys)
    finally:
        client.close()


def _start(tmp: Path, name: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    with (tmp / f"{name}.log").open("wb") as log:
        cmd = [sys.executable, "-m", "app.cli", *args, "tests.drills.drill_actors"]
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


async def test_retries_waiting_through_a_redis_restart_all_run(tmp_path: Path) -> None:
    with private_redis(tmp_path) as redis_server:
        env = redis_env(
            redis_server.url,
            WORKER_HEARTBEAT_TIMEOUT=str(HEARTBEAT_S),
            DRILL_ACTOR="d_fail_first",
            SPOTIFY_SYNC_CRON="0 0 1 1 *",  # no scheduled sync during the drill
            MUSICBRAINZ_SYNC_CRON="0 0 1 1 *",
        )
        mbids = [str(uuid.uuid4()) for _ in range(JOBS)]
        sent = subprocess.run(
            [sys.executable, "-m", "tests.drills.redis_enqueue", "0", *mbids],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr[-3000:]
        job_ids: list[str] = json.loads(sent.stdout.strip().splitlines()[-1])
        procs = [
            _start(tmp_path, "worker", env, "worker", "--threads", "2"),
            _start(tmp_path, "scheduler", env, "scheduler"),
        ]

        def logs() -> str:
            return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("*.log")))

        try:

            async def all_waiting() -> Any:
                return (await _statuses(job_ids)).get("retrying") == JOBS

            await wait_until(all_waiting, timeout=60, what=f"every job waiting for its retry\n{logs()}")

            async def held_by_the_worker() -> bool:
                return _held_delayed(redis_server.url, env["REDIS_NAMESPACE"]) == JOBS

            # The worker has fetched every waiting retry into its in-memory delay queue.
            await wait_until(held_by_the_worker, timeout=30, what=f"the worker holding the retries\n{logs()}")
            redis_server.kill()
            time.sleep(2)  # Redis is down this long: the worker's polls fail
            redis_server.start()  # same port, same append-only file

            async def all_finished() -> Any:
                counts = await _statuses(job_ids)
                return counts if counts.get("succeeded", 0) + counts.get("failed", 0) == JOBS else None

            counts = await wait_until(all_finished, timeout=90, every=0.5, what=f"every job\n{logs()}")
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    assert counts == {"succeeded": JOBS}, logs()
    rows = await Job.select(Job.requeues, Job.retries).where(Job.job_id.is_in(job_ids))
    resent = sum(1 for r in rows if r["requeues"])
    assert resent == JOBS and all(r["retries"] >= 1 for r in rows)
    assert await Artist.count().where(Artist.musicbrainz_id.is_in(mbids)) == JOBS
    created = await LlamaLog.count().where(
        (LlamaLog.entity_type == "ARTIST") & (LlamaLog.category == "CREATED")
    )
    assert created == JOBS
    assert "stall detector: job" in (tmp_path / "scheduler.log").read_text(errors="replace")
    print(f"redis restart drill: {JOBS} retries waited through the restart, {resent} re-sent by the detector")
