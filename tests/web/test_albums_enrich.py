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
    page = client.get(f"/albums/{album.id}").text
    assert f'action="/albums/{album.id}/enrich"' in page and "not installed" not in page
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
    assert f"?job={job_id}" in client.get(response.headers["location"]).text


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
    assert poll.status_code == 200 and "<html" not in poll.text and 'id="details"' not in poll.text
    assert 'hx-trigger="every 1s"' in poll.text and 'aria-valuenow="1"' in poll.text and 'width: 25%' in poll.text
    assert "HX-Trigger" not in poll.headers
    await Job.update(
        {Job.status: "succeeded", Job.progress_done: 4, Job.finished_at: dt.datetime.now(dt.UTC)}
    ).where(Job.job_id == job_id)
    done = client.get(
        f"/albums/{album.id}?job={job_id}", headers={"HX-Request": "true", "HX-Target": "enrich"}
    )
    assert 'hx-trigger="every 1s"' not in done.text and "Finished" in done.text
    assert done.headers["HX-Trigger"] == "album-changed"


async def test_enrich_needs_csrf(client: Any) -> None:
    album = await manual_album(title="Guarded")
    assert client.post(f"/albums/{album.id}/enrich").status_code == 403
    assert await Job.count() == 0
