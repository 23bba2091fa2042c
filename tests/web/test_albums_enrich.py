""" "Enrich now" on the album page: queues the enrich_album job as the user and follows its Job row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest

from app.jobs.launch import actor_exists
from app.jobs.tables import Job
from tasks.broker import get_broker
from tests.factories import manual_album
from tests.html_query import html


@pytest.fixture
def enrich_actor() -> Iterator[None]:
    """The real enrich_album actor when tasks.actors declares it, else a do-nothing stand-in."""
    if actor_exists("enrich_album"):
        yield
        return

    @dramatiq.actor(
        broker=get_broker(), actor_name="enrich_album", queue_name="web_test_enrich", max_retries=0
    )
    async def enrich_album(album_id: str) -> None:
        return None

    yield
    get_broker().actors.pop("enrich_album", None)  # other tests must not mistake it for the real one


async def test_enrich_now_queues_a_user_job_and_polls_it(
    client: Any, admin_user: int, enrich_actor: None
) -> None:
    album = await manual_album(title="To Enrich")
    page = html(client.get(f"/albums/{album.id}"))
    form = page.one("#enrich form")
    assert form["action"] == f"/albums/{album.id}/enrich" and form.text_of("button") == "Enrich now"
    assert page.count("#enrich-note") == 0  # not the "not installed" note
    response = client.post(
        f"/albums/{album.id}/enrich",
        data={"_csrf_token": client.cookies.get("llama_csrf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    job_id = response.headers["location"].split("job=")[1].split("#")[0]
    job = await Job.select().where(Job.job_id == job_id).first()
    assert job is not None and job["actor"] == "enrich_album" and job["user_id"] == admin_user
    assert job["triggered_by"] == "user" and job["args"] is not None and str(album.id) in str(job["args"])
    following = html(client.get(response.headers["location"]))
    assert following.one("#enrich .job-progress")["hx-get"] == f"/albums/{album.id}?job={job_id}"


async def test_the_page_polls_the_job_row_until_it_ends(client: Any) -> None:
    # A Job row of our own: the real run may already be over by the time a test looks.
    album = await manual_album(title="Polled")
    job_id = uuid.uuid4()
    await Job.insert(
        Job(
            job_id=job_id,
            kind="enrich_album",
            actor="enrich_album",
            status="running",
            progress_done=1,
            progress_total=4,
        )
    )
    poll = client.get(
        f"/albums/{album.id}?job={job_id}", headers={"HX-Request": "true", "HX-Target": "enrich"}
    )
    assert poll.status_code == 200
    block = html(poll)
    assert (
        block.count("header.top") == 0 and block.count("#details") == 0 and block.count("body > #enrich") == 1
    )
    assert block.one("#enrich .job-progress")["hx-trigger"] == "every 1s"
    bar = block.one('#enrich .progress[role="progressbar"]')
    assert (bar["aria-valuenow"], bar["aria-valuemax"]) == ("1", "4") and bar.one("span")[
        "style"
    ] == "width: 25%"
    assert "HX-Trigger" not in poll.headers
    await Job.update(
        {Job.status: "succeeded", Job.progress_done: 4, Job.finished_at: dt.datetime.now(dt.UTC)}
    ).where(Job.job_id == job_id)
    done = client.get(
        f"/albums/{album.id}?job={job_id}", headers={"HX-Request": "true", "HX-Target": "enrich"}
    )
    progress = html(done).one("#enrich .job-progress")
    assert not progress.has("hx-trigger") and progress.texts("p.muted")[-1].startswith("Finished")
    assert progress.one(".progress span")["style"] == "width: 100%"
    assert done.headers["HX-Trigger"] == "album-changed"


async def test_enrich_needs_csrf(client: Any) -> None:
    album = await manual_album(title="Guarded")
    assert client.post(f"/albums/{album.id}/enrich").status_code == 403
    assert await Job.count() == 0
