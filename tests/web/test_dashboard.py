"""The dashboard: counts, broken albums by reason, the activity chart, failures with retry, running jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.catalog import dashboard
from app.config import get_settings
from app.db import engine
from app.jobs.tables import Job
from app.llamalog.context import JobContext, job_scope
from app.llamalog.logger import record
from app.llamalog.tables import LlamaLog
from app.web.activity_chart import build_chart, nice_ceiling
from tests.factories import manual_album, tracklist
from tests.html_query import html


async def failed_job_with_row(actor: str = "t_progress") -> tuple[uuid.UUID, int]:
    job_id = uuid.uuid4()
    await Job.insert(
        Job(
            job_id=job_id,
            kind=actor,
            actor=actor,
            args=["dash-token", 1],
            status="failed",
            root_job_id=job_id,
        )
    )
    ctx = JobContext.new_root(triggered_by="scheduled", job_id=str(job_id))
    with job_scope(ctx):
        row = await record(
            entity_type="ALBUM",
            entity_id=None,
            operation="album:failed:spotify-sync",
            status="FAILED",
            error_code="RATE_LIMITED",
            error_message="429 from upstream",
            entity_label="Some Album",
        )
    return job_id, row.id


def test_dashboard_empty_states(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    empty = html(response).texts("section p.empty")
    assert len(empty) == 4
    assert empty[0].startswith("No log rows in the last 14 days")
    assert empty[1].startswith("Nothing to fix")
    assert empty[2].startswith("No failures.")
    assert empty[3].startswith("No jobs running or queued.")


def test_dashboard_htmx_gets_the_content_block(client: Any) -> None:
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = html(response)
    assert page.count("title") == 0 and page.count("header.top") == 0 and page.text("h1") == "Dashboard"


def test_dashboard_needs_login(anon_client: Any) -> None:
    response = anon_client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_counts_broken_reasons_and_chart(client: Any) -> None:
    await manual_album(title="No Tracks")
    await manual_album(title="With Tracks", tracks=tracklist(3))
    page = html(client.get("/"))
    stats = {card.text_of(".muted"): card.text_of(".stat") for card in page.all(".stats .stat-card")}
    assert (stats["Albums"], stats["Tracks"], stats["Broken albums"]) == ("2", "3", "2")
    assert page.count('.reason-list a[href="/albums/broken?reason=NO_TRACKS"]') == 1
    reasons, total = await dashboard.broken_by_reason()
    assert total == 2 and dict((code, n) for code, _label, n in reasons)["NO_TRACKS"] == 1
    # the chart: bars stacked by category, with a legend that names each category in text
    chart = page.one("svg.chart")
    assert chart.count("rect.seg.CREATED") > 0 and chart.count("rect.seg.LINKED") > 0
    legend = page.all("ul.legend li")
    assert [item.text.split()[0] for item in legend] == [
        *("CREATED", "ENRICHED", "CORRECTED", "CACHED", "FAILED", "LINKED")
    ]
    for item in legend:
        swatch = item.one("span.swatch")
        assert swatch["aria-hidden"] == "true" and item.text.split()[0] in swatch.classes


async def test_activity_is_counted_per_category_per_utc_day() -> None:
    await manual_album(title="Today", tracks=tracklist(2))
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    await LlamaLog.update({LlamaLog.created_at: old}).where(LlamaLog.entity_type == "ARTIST")
    activity = await dashboard.activity_by_day(14)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert activity["counts"] == {(today, "CREATED"): 3}  # album + 2 tracks; the artist row is too old
    assert len(activity["days"]) == 14 and activity["days"][-1].isoformat() == today
    chart = build_chart(activity["days"], activity["counts"])
    assert chart.total == 3 and chart.bars[-1].segments[0].category == "CREATED"
    assert nice_ceiling(3) == 5 and nice_ceiling(11) == 20 and nice_ceiling(0) == 1


async def test_activity_query_uses_the_category_index() -> None:
    # Enough rows over 60 days that the planner has a real choice to make.
    now = dt.datetime.now(dt.UTC)
    categories = ("CREATED", "ENRICHED", "CORRECTED", "CACHED", "FAILED", "LINKED")
    rows = [
        LlamaLog(
            created_at=now - dt.timedelta(hours=i % 1440),
            entity_type="ALBUM",
            category=categories[i % 6],
            operation="album:created:bench",
        )
        for i in range(3000)
    ]
    for start in range(0, len(rows), 500):  # asyncpg takes at most 32767 arguments a query
        await LlamaLog.insert(*rows[start : start + 500])
    _days, since, until = dashboard.activity_window(14)
    sql = dashboard.activity_sql(get_settings().is_postgres)
    params = dashboard.activity_params(since, until)
    if get_settings().is_postgres:
        await engine().run_ddl("ANALYZE llama_log")
        plan = "\n".join(r["QUERY PLAN"] for r in await LlamaLog.raw("EXPLAIN " + sql, *params))
        assert "Seq Scan" not in plan
    else:
        await engine().run_ddl("ANALYZE")
        plan = "\n".join(r["detail"] for r in await LlamaLog.raw("EXPLAIN QUERY PLAN " + sql, *params))
        assert "SCAN llama_log" not in plan.replace("SCAN llama_log USING", "")
    if get_settings().is_postgres:  # monthly partitions: each branch on the category index of its months
        branches = plan.split("GroupAggregate")[1:] or plan.split("HashAggregate")[1:]
        assert len(branches) == 6 and all("category_created_at_id_idx" in b for b in branches), plan
    else:
        assert plan.count("llama_log_category_ix") == 6, plan  # one index range per category
    counts = (await dashboard.activity_by_day(14))["counts"]
    assert sum(counts.values()) == len([i for i in range(3000) if i % 1440 < 24 * 14 - 24 + now.hour + 1])


async def test_estimated_count_uses_statistics_on_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    await manual_album(title="Counted", tracks=tracklist(4))
    exact = await dashboard.estimated_count("track")
    assert (exact.value, exact.estimated) == (4, False)
    with pytest.raises(ValueError):
        await dashboard.estimated_count("admin_user; DROP TABLE album")
    if not get_settings().is_postgres:
        return
    await engine().run_ddl("ANALYZE track")
    monkeypatch.setattr(dashboard, "EXACT_BELOW", 1)  # pretend the table is big
    estimate = await dashboard.estimated_count("track")
    assert estimate == dashboard.TableCount(4, True)


async def test_recent_failure_has_a_retry_button_that_queues_a_new_run(client: Any, admin_user: int) -> None:
    import tests.jobs.actors  # noqa: F401 - declares t_progress on the broker

    job_id, row_id = await failed_job_with_row()
    failure = html(client.get("/")).one("ul.failures li")
    assert failure.text_of("code.error-code") == "RATE_LIMITED"
    assert "album:failed:spotify-sync" in failure.texts("code")
    assert failure.one("form")["action"] == f"/failures/{row_id}/retry"
    response = client.post(
        f"/failures/{row_id}/retry",
        data={"_csrf_token": client.cookies.get("llama_csrf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_id = response.headers["location"].split("retried=")[1]
    new_job = await Job.select().where(Job.job_id == new_id).first()
    assert new_job is not None and new_job["retry_of"] == job_id and new_job["user_id"] == admin_user
    flash = html(client.get(response.headers["location"])).one("p.flash.ok")
    assert flash.text.startswith("Retry queued as job") and flash.one("a")["href"] == f"/jobs/{new_id}"


async def test_retry_needs_csrf_and_a_failed_job(client: Any) -> None:
    _job_id, row_id = await failed_job_with_row()
    assert client.post(f"/failures/{row_id}/retry").status_code == 403
    assert await Job.count() == 1
    missing = client.post("/failures/999999/retry", data={"_csrf_token": client.cookies.get("llama_csrf")})
    assert missing.status_code == 400 and "no failed log row #999999" in html(missing).text(
        ".error-page p.error"
    )


async def test_running_jobs_show_progress_bars(client: Any) -> None:
    await Job.insert(
        Job(
            job_id=uuid.uuid4(),
            kind="sync_spotify",
            actor="sync_spotify",
            status="running",
            progress_done=3,
            progress_total=12,
        ),
        Job(job_id=uuid.uuid4(), kind="enrich_album", actor="enrich_album", status="queued"),
        Job(job_id=uuid.uuid4(), kind="old", actor="old", status="succeeded"),
    )
    jobs = {job.text_of("a"): job for job in html(client.get("/")).all("#running-jobs ul.jobs li")}
    assert sorted(jobs) == ["enrich_album", "sync_spotify"]  # not the finished one
    bar = jobs["sync_spotify"].one('.progress[role="progressbar"]')
    assert bar["aria-valuenow"] == "3" and bar.one("span")["style"] == "width: 25%"
    assert jobs["sync_spotify"].text_of(".small-text").startswith("3 of 12")
    assert jobs["enrich_album"].text_of(".small-text").startswith("waiting to start")


async def test_running_jobs_panel_refreshes_itself(client: Any) -> None:
    job_id = uuid.uuid4()
    await Job.insert(Job(job_id=job_id, kind="sync_spotify", actor="sync_spotify", status="running"))
    assert html(client.get("/")).one("#running-jobs")["hx-trigger"] == "every 3s"
    await Job.update({Job.status: "succeeded"}).where(Job.job_id == job_id)
    block = html(client.get("/", headers={"HX-Request": "true", "HX-Target": "running-jobs"}))
    assert block.count("h1") == 0 and block.count("body > section#running-jobs") == 1
    assert block.text("#running-jobs p.empty").startswith("No jobs running or queued.")
    assert block.one("#running-jobs")["hx-trigger"] == "every 15s"  # nothing running: it looks less often
