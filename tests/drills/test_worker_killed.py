"""Drill: kill -9 of a `llama worker` in the middle of a Spotify sync, another worker running.

Workers on a private Redis, the sync against the local fake upstream (its answers slowed down
after the first albums, so the kill lands mid-run), WORKER_HEARTBEAT_TIMEOUT short
(DRILL_HEARTBEAT_TIMEOUT, 3 s by default; 60 measures the production default).

What the user sees: the sync runs again on the other worker within the heartbeat timeout plus a
beat (before: ~15 min, "running 74/157" the whole time), and ends succeeded with counts that add
up (before: created 147, skipped 84 for 157 albums). Proof: the Job row's second start time, and
its counts against the albums, tracks and LlamaLog rows the run left.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.catalog.tables import Album
from app.config import ROOT
from app.demo.fake_upstream import Fault
from app.jobs.runs import now
from app.llamalog.tables import LlamaLog
from tasks.heartbeat import beat_seconds
from tests.drills.private_redis import private_redis, redis_env
from tests.jobs.harness import job_in, job_row, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
HEARTBEAT_S = float(os.environ.get("DRILL_HEARTBEAT_TIMEOUT", "3"))


class Procs:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: list[subprocess.Popen[bytes]] = []

    def worker(self) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker-{len(self.procs)}.log").open("wb")
        cmd = [sys.executable, "-m", "app.cli", "worker", "--threads", "2"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("worker-*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


async def test_a_worker_killed_mid_sync_is_redelivered_in_time_with_right_counts(
    upstream: Any, tmp_path: Path
) -> None:
    # The first albums come quickly, then each answer takes 2 s: the first worker is still at it
    # however long the second one takes to start.
    upstream.script("/v1/albums/", *[Fault(delay=0.05)] * 8, always=Fault(delay=2.0))
    with private_redis(tmp_path) as redis_server:
        env = redis_env(redis_server.url, WORKER_HEARTBEAT_TIMEOUT=str(HEARTBEAT_S))
        procs = Procs(tmp_path, env)
        try:
            sent = subprocess.run(
                [sys.executable, "-m", "app.cli", "sync", "spotify"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert sent.returncode == 0, sent.stderr[-3000:]
            job_id = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", sent.stdout)[
                0
            ]
            first = procs.worker()

            async def mid_run() -> Any:
                row = await job_in(job_id, "running")
                return row if row and row["progress_done"] >= 5 else None

            before = await wait_until(mid_run, timeout=60, what=f"the sync under way\n{procs.logs()}")
            procs.worker()
            await wait_until(
                lambda: _said(tmp_path / "worker-1.log", "worker:"), timeout=30, what="the second worker"
            )
            killed_at = now()
            first.kill()  # SIGKILL: no requeue on the way out, its Redis heartbeat just stops
            first.wait(timeout=10)
            upstream.reset()  # answers come quickly again
            upstream.script("/v1/albums/", always=Fault(delay=0.05))
            at_kill = await job_row(job_id)
            assert at_kill is not None and at_kill["status"] == "running", at_kill

            async def running_again() -> Any:
                row = await job_row(job_id)
                return row if row and row["started_at"] > killed_at else None

            again = await wait_until(
                running_again, timeout=HEARTBEAT_S + 60, what=f"redelivery\n{procs.logs()}"
            )
            redelivered_s = (again["started_at"] - killed_at).total_seconds()
            row = await wait_until(
                lambda: job_in(job_id, "succeeded", "failed"), timeout=120, what=f"the end\n{procs.logs()}"
            )
        finally:
            procs.stop()

    assert row["status"] == "succeeded", (row["error"], procs.logs())
    assert redelivered_s <= HEARTBEAT_S + 2 * beat_seconds(int(HEARTBEAT_S * 1000)) + 3, redelivered_s
    albums = await Album.count()
    logged = await LlamaLog.count().where(
        (LlamaLog.job_id == job_id) & (LlamaLog.operation == "album:created:spotify-sync")
    )
    tracks = await LlamaLog.count().where(
        (LlamaLog.parent_job_id == job_id)
        & (LlamaLog.entity_type == "TRACK")
        & (LlamaLog.category == "CREATED")
    )
    assert before["progress_done"] < row["progress_total"]
    assert row["progress_done"] == row["progress_total"] == albums == logged
    assert (row["albums_created"], row["albums_skipped"], row["failures"]) == (albums, 0, 0)
    assert row["tracks_created"] == tracks > 0
    at = before["progress_done"]
    print(f"worker kill drill: {albums} albums, killed at {at}, redelivered in {redelivered_s:.1f} s")


async def _said(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text(errors="replace")
