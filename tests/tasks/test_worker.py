"""The worker side of the CLI and of `llama serve`: manual jobs, embedded worker threads, refusals."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from app import cli
from app.config import get_settings
from app.jobs.launch import enqueue
from app.jobs.runs import JobSpec, job_queued
from app.runtime import LOST_ON_RESTART, runtime_status, start_embedded, stop_embedded
from tasks.manual import run_manual
from tests.jobs import actors
from tests.jobs.harness import WorkerControl, job_in, job_row, wait_until, worker_fixture

worker = worker_fixture(actors.QUEUE)
embedded = not get_settings().redis_url


@pytest.mark.skipif(not embedded, reason="embedded mode only")
@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_commands_need_redis(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command]) == 2
    assert "no REDIS_URL" in capsys.readouterr().err


def test_enrich_wants_an_album_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["enrich", "not-an-id"]) == 2
    assert "not an album id" in capsys.readouterr().err
    missing = str(uuid.uuid4())
    assert cli.main(["enrich", missing]) == 2
    assert f"no album {missing}" in capsys.readouterr().err


async def test_a_manual_job_for_an_unknown_actor_is_refused() -> None:
    out = io.StringIO()
    assert await run_manual("sync_nowhere", wait=True, out=out) == 2
    assert "no actor named 'sync_nowhere' is declared in tasks/actors.py" in out.getvalue()


async def test_a_manual_job_runs_and_reports_progress(worker: WorkerControl) -> None:
    if not embedded:
        worker.start()  # stands in for `llama worker`
    out = io.StringIO()
    token = actors.new_token()
    assert await run_manual("t_tree", [token, 1, 3], wait=True, out=out) == 0
    text = out.getvalue()
    assert "t_tree" in text and "succeeded" in text
    seen = sorted(actors.OBSERVED[token], key=lambda s: s["level"])
    root = seen[0]["ctx"]
    assert root.triggered_by == "manual" and root.is_root
    row = await job_row(root.job_id)
    assert row is not None and (row["status"], row["triggered_by"]) == ("succeeded", "manual")
    if embedded:
        # no other process could run it: this command ran the job and its children itself
        assert "embedded mode" in text and "job tree: 3 succeeded" in text
        assert len(seen) == 3


async def test_a_failed_manual_job_exits_1(worker: WorkerControl) -> None:
    if not embedded:
        worker.start()
    out = io.StringIO()
    assert await run_manual("t_not_found", [str(uuid.uuid4())], wait=True, out=out) == 1
    assert "error: NotFound: no such release" in out.getvalue()


@pytest.mark.skipif(embedded, reason="with Redis the job waits for `llama worker`")
async def test_without_wait_the_job_is_sent_and_left_queued() -> None:
    out = io.StringIO()
    assert await run_manual("t_tree", [actors.new_token(), 1, 1], wait=False, out=out) == 0
    job_id = out.getvalue().split("as job ")[1].split()[0]
    assert (await job_row(job_id) or {})["status"] == "queued"


@pytest.fixture
def worker_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EMBEDDED_WORKER", "1")  # the suite turns it off for create_app()
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_embedded_runtime(worker_on: None) -> None:
    stale = JobSpec(job_id=str(uuid.uuid4()), actor="t_tree")
    await job_queued(stale)
    await start_embedded()
    try:
        status = runtime_status()
        if not embedded:
            assert (status.mode, status.worker_running) == ("redis", False)
            assert (await job_row(stale.job_id) or {})["status"] == "queued"
            return
        assert status.mode == "embedded" and status.worker_running
        assert 2 <= status.worker_threads <= 4
        assert "pending jobs are lost on restart" in status.note
        assert status.scheduler_running == get_settings().scheduler_enabled
        lost = await job_row(stale.job_id)
        assert lost is not None and (lost["status"], lost["error"]) == ("cancelled", LOST_ON_RESTART)

        job_id = await enqueue("t_tree", [actors.new_token(), 1, 2], triggered_by="user", user_id=1)
        row = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), timeout=30)
        assert row["status"] == "succeeded"
    finally:
        await stop_embedded()
    assert not runtime_status().worker_running and not runtime_status().scheduler_running


@pytest.mark.skipif(not embedded, reason="embedded mode only")
async def test_embedded_worker_can_be_turned_off() -> None:
    assert not get_settings().embedded_worker  # as the test suite sets it
    await start_embedded()
    status = runtime_status()
    assert not status.worker_running and not status.scheduler_running
    assert "nothing in this server runs them" in status.note
    await stop_embedded()


@pytest.mark.parametrize(("setting", "expected"), [("7", 7), ("0", 0), ("99", 19), ("-5", 0)])
def test_a_worker_lowers_its_cpu_priority_to_worker_nice_and_never_raises_it(
    setting: str, expected: int
) -> None:
    script = (
        "import os; from app.config import get_settings; from tasks.worker import lower_cpu_priority; "
        "print(lower_cpu_priority(get_settings().worker_nice), os.getpriority(os.PRIO_PROCESS, 0))"
    )
    env = {**os.environ, "WORKER_NICE": setting}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert done.stdout.split() == [str(max(expected, base))] * 2
