"""The stall detector: a silent worker's job is shown stalled and can be retried; a lost message is
sent again with the same job id, up to three times, then the job fails on the record."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.catalog.tables import Album
from app.config import get_settings
from app.jobs.runs import job_heartbeat, now
from app.jobs.stalls import MAX_REQUEUES, check_stalls
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tasks.broker import get_broker
from tasks.stall_watch import RedisBrokerView
from tests.factories import manual_album
from tests.html_query import html
from tests.jobs import actors
from tests.jobs.harness import WorkerControl, job_in, job_row, wait_until, worker_fixture

worker = worker_fixture(actors.QUEUE)
needs_redis = pytest.mark.skipif(
    not get_settings().redis_url, reason="the Redis broker (LLAMA_TEST_DB=postgres)"
)


async def make_job(status: str, silent_s: float, **values: Any) -> str:
    job_id = uuid.uuid4()
    seen = now() - dt.timedelta(seconds=silent_s)
    await Job(
        job_id=job_id,
        root_job_id=job_id,
        kind=values.get("actor", "t_progress"),
        actor=values.pop("actor", "t_progress"),
        status=status,
        created_at=seen,
        started_at=seen if status == "running" else None,
        heartbeat_at=seen,
        **values,
    ).save()
    return str(job_id)


async def test_a_running_job_whose_worker_went_silent_is_stalled_and_can_be_retried(client: Any) -> None:
    silent = await make_job("running", 90, args=[actors.new_token(), 1], progress_done=74, progress_total=157)
    alive = await make_job("running", 5)

    actions = await check_stalls(None, stall_after=60)

    assert [(a.job_id, a.action) for a in actions] == [(silent, "stalled")]
    row = await job_row(silent)
    assert row is not None and row["status"] == "stalled" and row["finished_at"] is None
    assert row["error"].startswith("no heartbeat from its worker since ")
    assert (await job_row(alive) or {})["status"] == "running"

    row = html(client.get("/jobs")).one(f"tr#job-{silent}")
    assert row.text_of(".pill.stalled") == "stalled"
    assert row.text_of(".small.error").startswith("no heartbeat since")
    assert row.text_of(".progress-cell .muted") == "74 / 157"
    # A stalled run can be retried, and (no heartbeat past its limit) failed by hand.
    assert row.one("form:not(.fail-stuck)")["action"] == f"/jobs/{silent}/retry"
    assert row.one("form.fail-stuck")["action"] == f"/jobs/{silent}/fail"

    token = {"_csrf_token": client.cookies.get("llama_csrf")}
    answer = client.post(f"/jobs/{silent}/retry", data=token, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    new = await Job.select().where(Job.retry_of == silent).first()
    assert new is not None and new["status"] == "queued"
    old = await job_row(silent)
    assert old is not None and old["status"] == "cancelled" and str(new["job_id"]) in old["error"]


@needs_redis
async def test_a_lost_message_is_sent_again_with_its_job_id_and_runs(worker: WorkerControl) -> None:
    token = actors.new_token()
    parent = uuid.uuid4()
    job_id = await make_job("retrying", 90, args=[token, 2], retries=1, parent_job_id=parent)
    view = RedisBrokerView(get_broker())

    actions = await check_stalls(view, stall_after=60)

    assert [(a.job_id, a.action) for a in actions] == [(job_id, "requeued")]
    row = await job_row(job_id)
    assert row is not None and (row["status"], row["requeues"]) == ("queued", 1)
    assert "sent again by the stall detector (1 of 3)" in row["error"]
    assert await check_stalls(view, stall_after=60) == []  # its message is in the broker now
    worker.start()
    done = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), what="the re-sent job")
    assert (done["status"], done["retries"], str(done["parent_job_id"])) == ("succeeded", 1, str(parent))
    assert actors.OBSERVED[token][0]["status_while_running"] == "running"


@needs_redis
async def test_an_enrichment_whose_message_is_lost_again_and_again_fails_on_the_record() -> None:
    import tasks.actors  # noqa: F401 - enrich_album and its on_final_failure

    album = await manual_album()
    await Album.update({Album.enrichment_status: "QUEUED"}).where(Album.id == album.id)
    job_id = await make_job("queued", 90, actor="enrich_album", args=[str(album.id)], requeues=MAX_REQUEUES)

    actions = await check_stalls(RedisBrokerView(get_broker()), stall_after=60)

    assert [(a.job_id, a.action) for a in actions] == [(job_id, "failed")]
    row = await job_row(job_id)
    assert row is not None and (row["status"], row["error_code"]) == ("failed", "MESSAGE_LOST")
    assert row["error"].endswith(f"gave up after {MAX_REQUEUES} re-sends") and row["finished_at"]
    # as after a last retry: the album is not left QUEUED, and the failure is on the LlamaLog
    assert (await Album.select(Album.enrichment_status).where(Album.id == album.id).first()) == {
        "enrichment_status": "FAILED"
    }
    failed = await LlamaLog.select().where(LlamaLog.category == "FAILED").first()
    assert (failed["operation"], failed["error_code"], str(failed["job_id"])) == (
        "album:failed:enrichment",
        "MESSAGE_LOST",
        job_id,
    )


async def test_a_job_thought_stalled_whose_worker_beats_again_reads_running() -> None:
    slow = await make_job("running", 90)
    await check_stalls(None, stall_after=60)
    assert (await job_row(slow) or {})["status"] == "stalled"
    await job_heartbeat([slow])  # its worker was only slow (a long pause), not dead
    row = await job_row(slow)
    assert row is not None and row["status"] == "running"
    assert row["heartbeat_at"] > now() - dt.timedelta(seconds=5)
