"""The demo fills the catalog through the real jobs: albums, broken albums to fix, log rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.catalog.tables import Album
from app.demo.command import ensure_admin, ensure_demo_login, login_line, run_seed_jobs
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


async def test_every_run_knows_a_password_that_logs_in() -> None:
    from app.auth.tables import AdminUser

    assert await ensure_demo_login("admin", "llamalog-demo") == "created"
    assert await ensure_demo_login("admin", "llamalog-demo") == "kept"
    await AdminUser.update_password("admin", "someone-changed-it")
    assert await ensure_demo_login("admin", "llamalog-demo") == "reset"
    assert await AdminUser.login(username="admin", password="llamalog-demo") is not None
    assert "password 'llamalog-demo'" in login_line("http://127.0.0.1:8000/", "llamalog-demo", "kept")


@pytest.mark.slow
def test_a_second_llama_demo_on_the_same_database_prints_the_password_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "HOST", "PORT")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", DEMO_UPSTREAM_PORT="0")
    llama = str(Path(sys.executable).parent / "llama")
    runs = [
        subprocess.run(
            [llama, "demo", "--no-serve", "--port", "8765"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        login = [line for line in run.stdout.splitlines() if line.startswith("Open http://")]
        expected = "Open http://127.0.0.1:8765/ and log in with username 'admin', password 'llamalog-demo'."
        assert login == [expected]
