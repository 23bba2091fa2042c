"""/jobs filters in the URL, keyset pages in constant statements, and bulk retry / cancel as a job."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.jobs.bulk import BulkAction, run_bulk, stop_bulk
from app.jobs.progress import begin
from app.jobs.runs import JobSpec, job_queued
from app.jobs.tables import Job
from app.llamalog.context import JobContext, job_scope
from tests.html_query import Page, html
from tests.jobs.harness import job_in, wait_until, worker_fixture

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
worker = worker_fixture("bulk", "enrichment")


async def make(n: int, kind: str = "enrich_album", **values: Any) -> uuid.UUID:
    job_id = uuid.uuid4()
    await Job(
        job_id=job_id,
        kind=kind,
        actor=kind,
        root_job_id=job_id,
        created_at=T0 + dt.timedelta(minutes=n),
        **values,
    ).save()
    return job_id


def job_ids(page: Page) -> list[str]:
    return [row["id"].removeprefix("job-") for row in page.all("table.jobs-table tbody tr[id]")]


def error_message(response: Any) -> str:
    """What the styled error page says went wrong."""
    return html(response).text(".error-page p.error")


def test_an_unknown_filter_value_is_a_400_naming_the_parameter(client: Any) -> None:
    for query, name in (
        ("kind=explode", "kind"),
        ("status=nope", "status"),
        ("source=napster", "source"),
        ("since=soon", "since"),
        ("until=2026-99-01", "until"),
        ("user=nobody", "user"),
        ("user=999999999999999999999999999999", "user"),  # past a 32-bit id: a name nobody has
    ):
        page = client.get(f"/jobs?{query}")
        assert page.status_code == 400 and error_message(page).startswith(f"{name}:"), query
        api = client.get(f"/api/jobs?{query}")
        assert api.status_code == 400 and f"{name}:" in api.text, query


async def test_filter_by_album_id_user_and_dates_in_the_url(client: Any) -> None:
    album = str(uuid.uuid4())
    hit = await make(1, arg=album, status="failed", username="admin")
    await make(2, arg=str(uuid.uuid4()), status="failed", username="admin")
    await make(3, kind="sync_spotify", status="failed")
    page = html(client.get(f"/jobs?arg={album}"))
    assert job_ids(page) == [str(hit)]
    assert page.one('form.log-filters input[name="arg"]')["value"] == album  # the filter stays in the form
    assert len(job_ids(html(client.get("/jobs?user=admin&status=failed&source=musicbrainz")))) == 2
    assert len(job_ids(html(client.get("/jobs?since=2026-11-01T12:02:00&until=2026-11-02")))) == 2
    assert client.get(f"/api/jobs?arg={album}").json()["count"] == 1


async def test_pages_take_the_same_statements_whatever_the_size(
    client: Any, query_counter: dict[str, int]
) -> None:
    for i in range(3):
        await make(i, status="failed")

    def cost(url: str) -> int:
        before = query_counter["n"]
        assert client.get(url).status_code == 200
        return query_counter["n"] - before

    small = [cost("/jobs?status=failed&limit=2"), cost("/jobs?kind=enrich_album&status=failed&limit=2")]
    for i in range(3, 120):
        await make(i, status="failed")
    big = [cost("/jobs?status=failed&limit=2"), cost("/jobs?kind=enrich_album&status=failed&limit=2")]
    assert small == big
    deep = html(client.get("/jobs?status=failed&limit=2")).one('nav.pager a[rel="next"]')["href"]
    assert urlsplit(deep).path == "/jobs" and parse_qs(urlsplit(deep).query)["status"] == ["failed"]
    assert cost(deep) <= big[0]


async def test_bulk_retry_of_ticked_failed_runs_is_a_job_of_the_user(client: Any, worker: Any) -> None:
    failed = [await make(i, status="failed", args=[str(uuid.uuid4())]) for i in range(3)]
    done = await make(5, status="succeeded")
    token = client.cookies.get("llama_csrf")
    data = {"_csrf_token": token, "action": "retry", "job": [str(j) for j in [*failed, done]]}
    answer = client.post("/jobs/bulk", data=data, follow_redirects=False)
    assert answer.status_code == 303
    bulk_id = answer.headers["location"].rsplit("/", 1)[1]
    worker.start()
    row = await wait_until(lambda: job_in(bulk_id, "succeeded", "failed"), what="the bulk job")
    assert (row["status"], row["kind"], row["username"], row["triggered_by"]) == (
        "succeeded",
        "bulk_jobs",
        "admin",
        "user",
    )
    assert row["summary"]["changed"] == 3 and row["summary"]["done"] == 4
    retries = await Job.select(Job.retry_of, Job.username).where(Job.retry_of.is_not_null())
    assert sorted(str(r["retry_of"]) for r in retries) == sorted(str(j) for j in failed)
    assert {r["username"] for r in retries} == {"admin"}
    summary = html(client.get(f"/jobs/{bulk_id}")).one("p.bulk-summary")
    assert summary.text_of("b.bulk-changed") == "3"
    assert summary.text == "4 looked at: 3 retried."


async def test_everything_matching_shows_an_estimate_then_cancels_after_confirm(
    client: Any, worker: Any
) -> None:
    queued = [await make(i, status="queued", arg="x") for i in range(4)]
    other = await make(9, status="queued", arg="y")
    token = client.cookies.get("llama_csrf")
    form = {"_csrf_token": token, "action": "cancel", "everything": "1", "arg": "x"}
    confirm = client.post("/jobs/bulk", data=form, follow_redirects=False)
    assert confirm.status_code == 200
    assert html(confirm).text(".bulk-confirm strong.bulk-estimate") == "4"
    assert await Job.count().where(Job.status == "cancelled") == 0  # nothing happens before confirm
    answer = client.post("/jobs/bulk", data={**form, "confirm": "1"}, follow_redirects=False)
    bulk_id = answer.headers["location"].rsplit("/", 1)[1]
    worker.start()
    await wait_until(lambda: job_in(bulk_id, "succeeded"), what="the bulk job")
    rows = await Job.select(Job.job_id, Job.status, Job.error).where(Job.job_id.is_in([*queued, other]))
    by_id = {r["job_id"]: r for r in rows}
    assert all(
        by_id[j]["status"] == "cancelled" and "cancelled by admin" in by_id[j]["error"] for j in queued
    )
    assert by_id[other]["status"] == "queued"


def test_a_bad_bulk_request_is_a_400_naming_the_field(client: Any) -> None:
    token = client.cookies.get("llama_csrf")
    bad = client.post("/jobs/bulk", data={"_csrf_token": token, "action": "explode"})
    assert bad.status_code == 400 and error_message(bad).startswith("action:")
    none = client.post("/jobs/bulk", data={"_csrf_token": token, "action": "retry"})
    assert none.status_code == 400 and error_message(none).startswith("job:")
    junk = client.post("/jobs/bulk", data={"_csrf_token": token, "action": "retry", "job": "zzz"})
    assert junk.status_code == 400 and error_message(junk).startswith("job:")


async def test_a_bulk_run_goes_in_batches_with_progress_and_stops_when_asked(monkeypatch: Any) -> None:
    import app.jobs.bulk as bulk

    monkeypatch.setattr(bulk, "BATCH", 3)
    for i in range(10):
        await make(i, status="queued")
    ctx = JobContext.new_root(triggered_by="user", user_id=1, username="ann")
    await job_queued(
        JobSpec(job_id=ctx.job_id, actor="bulk_jobs", triggered_by="user", user_id=1, username="ann")
    )
    begin(ctx.job_id)
    applied: list[int] = []
    real_apply = bulk._apply

    async def apply_then_stop(*args: Any) -> tuple[int, int]:
        result = await real_apply(*args)
        applied.append(result[0])
        if len(applied) == 2:  # someone presses stop during the second batch
            assert await stop_bulk(uuid.UUID(ctx.job_id))
        return result

    monkeypatch.setattr(bulk, "_apply", apply_then_stop)
    with job_scope(ctx):
        result = await run_bulk(BulkAction.cancel, {"filter": {}})
    assert result == {"bulk": "cancel", "done": 6, "changed": 5, "failed": 0, "stopped": True}
    assert await Job.count().where(Job.status == "queued") == 5 + 1
    row = await Job.select(Job.progress_done, Job.progress_total).where(Job.job_id == ctx.job_id).first()
    assert row == {"progress_done": 6, "progress_total": 11}  # the bulk run's own row was queued too


async def test_stop_on_a_bulk_page_asks_it_to_stop_and_only_a_running_bulk_run(client: Any) -> None:
    bulk = await make(1, kind="bulk_jobs", status="running", username="admin")
    other = await make(2, status="running")
    stop = html(client.get(f"/jobs/{bulk}")).one(f'form[action="/jobs/{bulk}/stop"] button.bulk-stop')
    assert not stop.has("disabled") and stop.text == "Stop this bulk action"
    assert html(client.get(f"/jobs/{other}")).count('form[action$="/stop"], .bulk-stop') == 0
    token = client.cookies.get("llama_csrf")
    assert (
        client.post(f"/jobs/{bulk}/stop", data={"_csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    row = await Job.select(Job.stop_requested_at).where(Job.job_id == bulk).first()
    assert row["stop_requested_at"] is not None
    stopping = html(client.get(f"/jobs/{bulk}")).one(f'form[action="/jobs/{bulk}/stop"] button.bulk-stop')
    assert stopping.has("disabled") and stopping.text == "Stopping after this batch…"
    assert client.post(f"/jobs/{other}/stop", data={"_csrf_token": token}).status_code == 400
