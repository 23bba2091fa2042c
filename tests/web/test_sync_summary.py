"""A sync run's page and its /jobs row say what it did: seen, new, already on file, failed, the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import tasks.actors as actors
from app.catalog.tables import Album
from app.jobs.tables import Job
from tests.html_query import Page, html
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers")


def texts(page: Page, cls: str, within: str | None = None) -> list[str]:
    """The text of each element carrying `cls`, inside the element with id `within` (if given)."""
    return page.texts(f"#{within} .{cls}" if within else f".{cls}")


async def _run_spotify_sync(worker: Any) -> dict[str, Any]:
    message = actors.sync_spotify.send()
    await worker.drain()
    job = await Job.select().where(Job.job_id == message.message_id).output(load_json=True).first()
    assert job["status"] == "succeeded"
    return job


async def test_second_sync_says_it_saw_every_album_already_on_file(
    upstream: Any, worker: Any, client: Any
) -> None:
    first = await _run_spotify_sync(worker)
    on_file = await Album.count()
    assert first["albums_created"] == on_file > 0
    second = await _run_spotify_sync(worker)
    job_id = str(second["job_id"])

    page = html(client.get(f"/jobs/{job_id}"))
    saw = f"Saw {on_file} albums: 0 new, {on_file} already on file, 0 failed."
    assert texts(page, "sync-saw", within="job-progress") == [saw]
    assert texts(page, "sync-window", within="job-progress") == [
        "Looked at Spotify's new releases for every market, "
        f"up to {second['summary']['window']['max']} albums."
    ]
    why = "Nothing logged: nothing new, every album it saw is already on file."
    assert texts(page, "sync-why-empty", within="job-progress") == [why]
    assert texts(page, "empty", within="log-rows") == [why]
    assert "no counts" not in page.texts(".counts-list li")
    timeline = html(client.get(f"/timeline/job/{job_id}", headers={"HX-Request": "true"}))
    assert texts(timeline, "empty") == [why]
    assert not any("Nothing logged here yet" in t for t in timeline.texts("p"))

    # The first run says what it created, and no "why nothing was logged".
    first_page = html(client.get(f"/jobs/{first['job_id']}"))
    assert texts(first_page, "sync-saw", within="job-progress") == [
        f"Saw {on_file} albums: {on_file} new, 0 already on file, 0 failed."
    ]
    assert texts(first_page, "sync-why-empty", within="job-progress") == []

    jobs = html(client.get("/jobs"))
    assert texts(jobs, "sync-saw", within=f"job-{job_id}") == [saw]
    assert texts(jobs, "sync-why-empty", within=f"job-{job_id}") == [why]


async def test_empty_musicbrainz_window_says_it_held_no_releases(
    upstream: Any, worker: Any, client: Any
) -> None:
    # The recorded releases are years old (the demo widens its window to reach them): three days hold none.
    message = actors.sync_musicbrainz.send_with_options(kwargs={"days": 3})
    await worker.drain()
    job = await Job.select().where(Job.job_id == message.message_id).output(load_json=True).first()
    assert job["status"] == "succeeded" and job["summary"]["seen"] == 0
    until = dt.date.today()
    page = html(client.get(f"/jobs/{message.message_id}"))
    assert texts(page, "sync-window", within="job-progress") == [
        f"Looked at releases from {until - dt.timedelta(days=3)} to {until}."
    ]
    saw = "Saw 0 albums: 0 new, 0 already on file, 0 failed."
    assert texts(page, "sync-saw", within="job-progress") == [saw]
    why = "Nothing logged: the window held no releases."
    assert texts(page, "sync-why-empty", within="job-progress") == [why]
    assert texts(page, "empty", within="log-rows") == [why]
    assert "no counts" not in page.texts(".counts-list li")
