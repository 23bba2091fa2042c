"""A stuck run (no heartbeat past WORKER_HEARTBEAT_TIMEOUT) is shown as stuck and can be failed by
hand, on the record with the user; the live parts say they pause when the tab is hidden."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album
from tests.html_query import html


async def running(heartbeat_age_s: float, **values: Any) -> uuid.UUID:
    job_id = uuid.uuid4()
    at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=heartbeat_age_s)
    await Job(
        job_id=job_id,
        root_job_id=job_id,
        kind=values.pop("kind", "enrich_album"),
        actor=values.pop("actor", "enrich_album"),
        status="running",
        created_at=at,
        started_at=at,
        heartbeat_at=at,
        **values,
    ).save()
    return job_id


def post(client: Any, url: str) -> Any:
    return client.post(url, data={"_csrf_token": client.cookies.get("llama_csrf")}, follow_redirects=False)


async def test_a_stuck_run_is_shown_as_stuck_and_failed_by_hand_with_its_failed_row(client: Any) -> None:
    album = await manual_album()
    stuck = await running(3600, args=[str(album.id)])
    alive = await running(1)
    page = html(client.get("/jobs"))
    stuck_row, alive_row = page.one(f"tr#job-{stuck}"), page.one(f"tr#job-{alive}")
    assert stuck_row.text_of(".pill.stuck") == "stuck"
    stuck_row.one(f'form.fail-stuck[action="/jobs/{stuck}/fail"] button[type="submit"]')
    assert alive_row.count(".pill.stuck") == 0 and alive_row.count("form.fail-stuck") == 0
    assert html(client.get(f"/jobs/{stuck}")).text("#job-progress .pill.stuck") == "stuck"

    assert post(client, f"/jobs/{alive}/fail").status_code == 400
    assert post(client, f"/jobs/{stuck}/fail").status_code == 303
    row = await Job.select().where(Job.job_id == stuck).first()
    assert (row["status"], row["error_code"]) == ("failed", "STUCK")
    assert "failed by admin" in row["error"]
    failed = await LlamaLog.select().where((LlamaLog.job_id == stuck) & (LlamaLog.category == "FAILED"))
    assert len(failed) == 1 and failed[0]["error_code"] == "STUCK" and failed[0]["entity_id"] == album.id
    assert failed[0]["user_id"] is not None
    assert post(client, f"/jobs/{stuck}/fail").status_code == 400  # over now


async def test_live_parts_are_marked_for_pausing_while_hidden(client: Any) -> None:
    job_id = await running(1)
    jobs = html(client.get("/jobs"))
    runs = jobs.one("div#runs")
    assert runs.get("hx-trigger") == "every 2s, refresh" and runs.has("data-live")
    assert jobs.one('script[src="/static/jobs.js"]').has("defer")
    page = html(client.get(f"/jobs/{job_id}"))
    progress = page.one("#job-progress")
    assert progress.get("hx-trigger") == "every 1s, refresh" and progress.has("data-live")
    assert page.one("[data-live-sse]")["sse-connect"].startswith(f"/logs/stream?job={job_id}&")
    script = client.get("/static/jobs.js").text
    assert "visibilitychange" in script and "document.hidden" in script
