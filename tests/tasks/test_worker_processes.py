"""`llama worker` as a process of its own on Redis (Postgres run): it works; kill -9 loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.catalog.tables import Artist
from app.config import ROOT, get_settings
from app.jobs.launch import enqueue
from app.llamalog.tables import LlamaLog
from tasks.broker import get_broker
from tests.jobs import subprocess_actors
from tests.jobs.harness import job_in, job_row, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not get_settings().redis_url, reason="needs the Redis broker (LLAMA_TEST_DB=postgres)"
    ),
]


class Workers:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115
        cmd = [
            sys.executable,
            "-m",
            "app.cli",
            "worker",
            "--threads",
            "2",
            *extra,
            subprocess_actors.__name__,
        ]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("worker-*.log")))

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    control = Workers(tmp_path)
    broker: Any = get_broker()
    broker.flush(subprocess_actors.QUEUE)
    try:
        yield control
    finally:
        control.stop_all()
        broker.flush(subprocess_actors.QUEUE)


async def test_llama_worker_processes_a_message_from_redis(workers: Workers) -> None:
    mbid = str(uuid.uuid4())
    job_id = await enqueue("t_create_artist", [mbid])
    proc = workers.start()
    row = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), timeout=60, what=workers.logs())
    assert row["status"] == "succeeded", workers.logs()
    assert await Artist.count().where(Artist.musicbrainz_id == mbid) == 1
    created = await LlamaLog.select().where(LlamaLog.category == "CREATED")
    assert len(created) == 1 and str(created[0]["root_job_id"]) == job_id
    # It runs below the server (WORKER_NICE, default 10), never above the process that started it.
    nice = max(10, os.getpriority(os.PRIO_PROCESS, 0))
    assert os.getpriority(os.PRIO_PROCESS, proc.pid) == nice and f"(nice {nice})" in workers.logs()

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "worker: stopping" in workers.logs()


async def test_kill_9_mid_job_redelivers_without_duplicates(workers: Workers, tmp_path: Path) -> None:
    mbid = str(uuid.uuid4())
    marker = tmp_path / "first-delivery"
    job_id = await enqueue("t_create_artist", [mbid], {"marker": str(marker), "hold_s": 120.0})
    first = workers.start()
    await wait_until(lambda: _exists(marker), timeout=60, what=f"the first delivery\n{workers.logs()}")
    assert (await job_row(job_id) or {})["status"] == "running"

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # The next worker requeues the dead worker's unacked message once its heartbeat is 2 s old.
    workers.start("--heartbeat-timeout", "2000", "--maintenance-chance", "1000000")
    row = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), timeout=90, what=workers.logs())

    assert row["status"] == "succeeded", workers.logs()
    assert await Artist.count().where(Artist.musicbrainz_id == mbid) == 1
    rows = await LlamaLog.select(LlamaLog.category).where(LlamaLog.entity_type == "ARTIST")
    assert [r["category"] for r in rows] == ["CREATED", "LINKED"]  # the redelivery found it


async def _exists(path: Path) -> bool:
    return path.exists()
