"""The jobs pages: /jobs (runs, schedule, run now, retry), /jobs/{id} (progress, tree, rows), /api/jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.jobs.tables import Job
from app.llamalog.context import JobContext
from tests.conftest import csrf
from tests.factories import job_album, tracklist
from tests.html_query import Page, html

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


async def make_job(n: int = 0, **values: Any) -> dict[str, Any]:
    job_id = values.pop("job_id", uuid.uuid4())
    values.setdefault("root_job_id", job_id)
    row = Job(
        job_id=job_id,
        kind=values.pop("kind", "sync_spotify"),
        actor=values.pop("actor", None) or "sync_spotify",
        created_at=T0 + dt.timedelta(minutes=n),
        **values,
    )
    await row.save()
    return await Job.select().where(Job.job_id == job_id).first()


def job_ids(page: Page) -> list[str]:
    return [row["id"].removeprefix("job-") for row in page.all("table.jobs-table tbody tr[id]")]


def post(client: Any, url: str) -> Any:
    return client.post(url, data={"_csrf_token": client.cookies.get("llama_csrf")}, follow_redirects=False)


async def test_jobs_page_lists_runs_with_progress_counts_and_schedule(client: Any) -> None:
    running = await make_job(1, status="running", progress_done=3, progress_total=12, albums_created=2)
    failed = await make_job(0, status="failed", error="boom", error_code="UPSTREAM_DOWN", failures=1)
    page = html(client.get("/jobs"))
    assert page.text("main h1") == "Jobs" and page.count("header.top nav") == 1
    assert job_ids(page) == [str(running["job_id"]), str(failed["job_id"])]
    row = page.one(f"#job-{running['job_id']}")
    assert row.one(".pill.running").text == "running"
    bar = row.one('.progress[role="progressbar"]')
    assert (bar["aria-valuenow"], bar["aria-valuemax"]) == ("3", "12") and bar.one("span")[
        "style"
    ] == "width: 25%"
    assert row.one(".progress-cell .muted").text == "3 / 12"
    assert row.texts(".counts-list li") == ["2 albums created"]
    assert page.one(f"#job-{failed['job_id']}").texts(".counts-list li") == ["1 failures"]
    assert page.one(f"#job-{failed['job_id']} form")["action"] == f"/jobs/{failed['job_id']}/retry"
    assert row.count('form[action$="/retry"]') == 0  # running: nothing to retry (it is stuck: no heartbeat)
    # the schedule: next runs and a run-now button per sync (Spotify has no credentials here)
    run_now = page.one('table.schedule form[action="/jobs/run/musicbrainz"] button')
    assert run_now.text == "Run MusicBrainz sync now" and not run_now.has("disabled")
    # each schedule by what it does: only the syncs are called syncs
    assert page.texts("table.schedule tbody td:first-child strong") == [
        "Spotify sync",
        "MusicBrainz sync",
        "Log maintenance",
        "Fix queue search",
    ]
    assert page.texts('table.schedule form[action^="/jobs/run/"] button')[2:] == [
        "Run log maintenance now",
        "Run the fix queue search now",
    ]
    spotify = page.one('table.schedule form[action="/jobs/run/spotify"] button')
    assert (
        spotify.has("disabled")
        and spotify["title"] == "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set"
    )
    # a running job keeps the list refreshing
    assert page.one("#runs")["hx-trigger"] == "every 2s, refresh"


async def test_runs_block_for_htmx_and_polling_stops_when_idle(client: Any) -> None:
    await make_job(0, status="succeeded", progress_done=5, progress_total=5)
    page = html(client.get("/jobs?part=runs", headers={"HX-Request": "true"}))
    assert page.count("body > *") == 1 and page.count("body > div#runs") == 1  # the block alone
    assert page.count("[hx-trigger]") == 0
    assert page.one('.progress[role="progressbar"] span')["style"] == "width: 100%"


async def test_filters_and_pages(client: Any) -> None:
    made = [await make_job(i, status="failed" if i % 2 else "succeeded") for i in range(7)]
    page = html(client.get("/jobs?status=failed"))
    assert len(job_ids(page)) == 3 and page.one("#j-status option[selected]")["value"] == "failed"
    assert job_ids(html(client.get("/jobs?kind=enrich_album"))) == []
    child = await make_job(9, parent_job_id=made[0]["job_id"], root_job_id=made[0]["job_id"])
    assert str(child["job_id"]) not in job_ids(html(client.get("/jobs?roots=1")))
    assert str(child["job_id"]) in job_ids(html(client.get("/jobs")))
    await Job.delete().where(Job.job_id == child["job_id"])
    seen: list[str] = []
    url = "/jobs?limit=3"
    while url:
        page = html(client.get(url))
        seen += job_ids(page)
        found = page.first('a[rel="next"]')
        url = found["href"] if found else ""
        assert not url or "cursor=" in url
    assert seen == [str(j["job_id"]) for j in reversed(made)]


@pytest.mark.parametrize(
    ("query", "message"),
    [("status=maybe", "status: unknown value"), ("cursor=xyz", "cursor: not a cursor"), ("limit=x", "limit")],
)
def test_bad_filters_are_a_400(client: Any, query: str, message: str) -> None:
    response = client.get(f"/jobs?{query}")
    assert response.status_code == 400 and message in html(response).text(".error-page p.error")
    assert client.get(f"/api/jobs?{query}").status_code == 400


async def test_job_page_shows_progress_tree_and_rows(client: Any) -> None:
    root = await make_job(0, status="running", progress_done=1, progress_total=4, kind="sync_spotify")
    child = await make_job(
        1,
        kind="enrich_album",
        actor="enrich_album",
        status="queued",
        parent_job_id=root["job_id"],
        root_job_id=root["job_id"],
    )
    ctx = JobContext.new_root(triggered_by="manual", job_id=str(root["job_id"]))
    await job_album(ctx, title="From The Job", tracks=tracklist(2))
    page = html(client.get(f"/jobs/{root['job_id']}"))
    assert page.count("header.top nav") == 1 and page.text("main h1").startswith("sync_spotify")
    poll = page.one("#job-progress")
    assert (poll["hx-get"], poll["hx-trigger"]) == (
        f"/jobs/{root['job_id']}?part=progress",
        "every 1s, refresh",
    )
    assert page.one(f'.job-tree a[href="/jobs/{child["job_id"]}"]').text == "enrich_album"  # the tree
    assert page.count("#log-rows tr.log-row") == 4  # its rows
    assert "From The Job" in page.texts("#log-rows td.entity a")
    timeline = page.one("#timeline")
    assert (timeline["hx-get"], timeline["hx-trigger"]) == (f"/timeline/job/{root['job_id']}", "load")
    assert page.count(f'a[href="/logs?job={root["job_id"]}"]') == 1

    progress = html(client.get(f"/jobs/{root['job_id']}?part=progress", headers={"HX-Request": "true"}))
    assert progress.count("body > section#job-progress") == 1 and progress.count("header.top") == 0
    await Job.update({Job.status: "succeeded", Job.progress_done: 4}).where(Job.job_id == root["job_id"])
    done = html(client.get(f"/jobs/{root['job_id']}?part=progress", headers={"HX-Request": "true"}))
    assert not done.one("#job-progress").has("hx-trigger")
    assert done.text("#job-progress .job-main .progress-cell .muted") == "4 / 4"
    assert done.text(".job-status .pill") == "succeeded"


async def test_a_job_without_a_run_record_shows_its_rows(client: Any) -> None:
    created, ctx = await job_album(title="User Action")
    page = html(client.get(f"/jobs/{ctx.job_id}"))
    assert page.texts("main .panel p")[0].startswith("No run record for this job")
    assert "User Action" in page.texts("#log-rows td.entity a")
    assert client.get(f"/jobs/{uuid.uuid4()}").status_code == 404
    assert client.get("/jobs/not-a-job").status_code == 404


async def test_retry_starts_a_new_run_and_goes_there(client: Any) -> None:
    failed = await make_job(0, status="failed", kind="sync_musicbrainz", actor="sync_musicbrainz")
    response = post(client, f"/jobs/{failed['job_id']}/retry")
    assert response.status_code == 303
    new_id = response.headers["location"].removeprefix("/jobs/")
    new = await Job.select().where(Job.job_id == uuid.UUID(new_id)).first()
    assert (
        new["retry_of"] == failed["job_id"] and new["triggered_by"] == "user" and new["username"] == "admin"
    )
    ok = await make_job(1, status="succeeded")
    refused = post(client, f"/jobs/{ok['job_id']}/retry")
    assert refused.status_code == 400
    assert "only failed, cancelled or stalled jobs can be retried" in html(refused).text(
        ".error-page p.error"
    )
    assert post(client, f"/jobs/{uuid.uuid4()}/retry").status_code == 404


async def test_run_now_and_csrf(client: Any) -> None:
    response = post(client, "/jobs/run/musicbrainz")
    assert response.status_code == 303
    job = await Job.select().where(Job.job_id == uuid.UUID(response.headers["location"][6:])).first()
    assert job["kind"] == "sync_musicbrainz" and job["triggered_by"] == "user"
    disabled = post(client, "/jobs/run/spotify")
    assert disabled.status_code == 400 and "SPOTIFY_CLIENT_ID" in html(disabled).text(".error-page p.error")
    assert post(client, "/jobs/run/nope").status_code == 404
    before = await Job.count()
    assert client.post("/jobs/run/musicbrainz", follow_redirects=False).status_code == 403
    assert (
        client.post("/jobs/run/musicbrainz", headers=csrf(client), follow_redirects=False).status_code == 303
    )
    assert await Job.count() == before + 1


async def test_api_jobs(client: Any) -> None:
    root = await make_job(0, status="succeeded")
    await make_job(1, status="failed", parent_job_id=root["job_id"], root_job_id=root["job_id"])
    body = client.get("/api/jobs?limit=1").json()
    assert body["count"] == 1 and body["next"].startswith("/api/jobs?limit=1&cursor=")
    assert client.get(body["next"]).json()["rows"][0]["job_id"] == str(root["job_id"])
    assert client.get("/api/jobs?status=failed").json()["count"] == 1
    one = client.get(f"/api/jobs/{root['job_id']}").json()
    assert one["job"]["status"] == "succeeded" and len(one["tree"]["children"]) == 1
    assert client.get(f"/api/jobs/{uuid.uuid4()}").status_code == 404


async def test_hostile_job_errors_are_inert(client: Any) -> None:
    hostile = "<script>alert(1)</script> for <img src=x onerror=alert(1)>"
    job = await make_job(0, status="failed", error=hostile)
    for url in ("/jobs", f"/jobs/{job['job_id']}", "/api/jobs", f"/api/jobs/{job['job_id']}"):
        body = client.get(url).text
        assert "<script>alert(1)" not in body and "<img src=x" not in body  # escaped in the body
        if not url.startswith("/api/"):
            page = html(body)  # and no element made of it
            assert page.count('img[src="x"]') == 0 and page.count("script:not([src])") == 0, url
    shown = html(client.get(f"/jobs/{job['job_id']}")).one("main p.error")
    assert shown.text_of("span.mono") == "ERROR" and shown.text.endswith(f": {hostile}")  # as text
    assert shown.count("script, img") == 0
    assert client.get("/api/jobs").json()["rows"][0]["error"].startswith("<script>")


async def test_pages_cost_the_same_queries_whatever_their_size(
    client: Any, query_counter: dict[str, int]
) -> None:
    first = await make_job(0, status="running", progress_total=3)
    query_counter["n"] = 0
    client.get("/jobs")
    client.get(f"/jobs/{first['job_id']}")
    small = query_counter["n"]
    for i in range(30):
        await make_job(i + 1, parent_job_id=first["job_id"], root_job_id=first["job_id"], status="queued")
    query_counter["n"] = 0
    client.get("/jobs")
    client.get(f"/jobs/{first['job_id']}")
    assert query_counter["n"] == small


def test_anonymous_is_sent_to_login(anon_client: Any) -> None:
    assert anon_client.get("/jobs", follow_redirects=False).status_code == 303
    assert anon_client.get(f"/jobs/{uuid.uuid4()}", follow_redirects=False).status_code == 303
    assert anon_client.get("/api/jobs").status_code == 401
