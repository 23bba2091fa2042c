"""A sync run's page and its /jobs row say what it did: seen, new, already on file, failed, the window."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import tasks.actors as actors
from app.catalog.tables import Album
from app.jobs.tables import Job
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers")


class _ByClass(HTMLParser):
    """The text of each element carrying `cls`, inside the element with id `within` (if given)."""

    def __init__(self, cls: str, within: str | None) -> None:
        super().__init__()
        self.cls, self.within = cls, within
        self.scope_depth = 0 if within is None else -1  # -1: not inside `within` yet
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, opens scope, opens a match)
        self.open: list[list[str]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "br", "img", "meta", "link", "hr", "source"):
            return
        a = dict(attrs)
        scope = self.within is not None and a.get("id") == self.within
        if scope:
            self.scope_depth = 0
        match = self.scope_depth >= 0 and self.cls in (a.get("class") or "").split()
        if match:
            self.open.append([])
        self.stack.append((tag, scope, match))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, scope, match = self.stack.pop()
            if match:
                self.found.append(" ".join("".join(self.open.pop()).split()))
            if scope:
                self.scope_depth = -1
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for parts in self.open:
            parts.append(data)


def texts(html: str, cls: str, within: str | None = None) -> list[str]:
    parser = _ByClass(cls, within)
    parser.feed(html)
    return parser.found


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

    html = client.get(f"/jobs/{job_id}").text
    saw = f"Saw {on_file} albums: 0 new, {on_file} already on file, 0 failed."
    assert texts(html, "sync-saw", within="job-progress") == [saw]
    assert texts(html, "sync-window", within="job-progress") == [
        "Looked at Spotify's new releases for every market, "
        f"up to {second['summary']['window']['max']} albums."
    ]
    why = "Nothing logged: nothing new, every album it saw is already on file."
    assert texts(html, "sync-why-empty", within="job-progress") == [why]
    assert texts(html, "empty", within="log-rows") == [why]
    assert "no counts" not in html
    timeline = client.get(f"/timeline/job/{job_id}", headers={"HX-Request": "true"}).text
    assert texts(timeline, "empty") == [why]
    assert "Nothing logged here yet" not in timeline

    # The first run says what it created, and no "why nothing was logged".
    first_html = client.get(f"/jobs/{first['job_id']}").text
    assert texts(first_html, "sync-saw", within="job-progress") == [
        f"Saw {on_file} albums: {on_file} new, 0 already on file, 0 failed."
    ]
    assert texts(first_html, "sync-why-empty", within="job-progress") == []

    jobs = client.get("/jobs").text
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
    html = client.get(f"/jobs/{message.message_id}").text
    assert texts(html, "sync-window", within="job-progress") == [
        f"Looked at releases from {until - dt.timedelta(days=3)} to {until}."
    ]
    saw = "Saw 0 albums: 0 new, 0 already on file, 0 failed."
    assert texts(html, "sync-saw", within="job-progress") == [saw]
    why = "Nothing logged: the window held no releases."
    assert texts(html, "sync-why-empty", within="job-progress") == [why]
    assert texts(html, "empty", within="log-rows") == [why]
    assert "no counts" not in html
