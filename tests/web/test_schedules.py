"""/jobs/schedules: cron in words, next and last runs, pause / resume / edit with history, and a
paused schedule that two schedulers both leave alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import uuid
from typing import Any

import dramatiq

from app.auth.users import CurrentUser
from app.jobs.cron import Cron
from app.jobs.schedule import Schedule
from app.jobs.schedule_state import pause_schedule, resume_schedule
from app.jobs.tables import Job, JobScheduleChange
from tasks.broker import get_broker
from tasks.scheduler import LocalClaims, Scheduler

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 23, 9, 1, 30, tzinfo=UTC)
TICK = dt.datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
QUEUE = "test_schedules"


@dramatiq.actor(broker=get_broker(), queue_name=QUEUE)
async def t_schedule_tick() -> None:
    pass


def post(client: Any, url: str, **data: str) -> Any:
    return client.post(
        url, data={"_csrf_token": client.cookies.get("llama_csrf"), **data}, follow_redirects=False
    )


def card(text: str, name: str) -> str:
    match = re.search(
        rf'<section class="panel schedule-card[^"]*" id="schedule-{name}".*?</section>', text, re.S
    )
    assert match, name
    return match.group(0)


async def test_the_page_says_each_cron_in_words_with_next_and_last_runs(client: Any) -> None:
    job_id = uuid.uuid4()
    await Job(
        job_id=job_id, kind="sync_musicbrainz", actor="sync_musicbrainz", root_job_id=job_id, status="failed"
    ).save()
    page = card(client.get("/jobs/schedules").text, "musicbrainz")
    assert re.search(r'class="schedule-words">[^<]+\(UTC\)', page)
    assert len(re.findall(r"<li><time", page)) == 5
    assert f'href="/jobs/{job_id}"' in page and "pill failed" in page


async def test_a_bad_cron_is_refused_naming_the_field_and_a_good_one_is_kept_with_history(
    client: Any,
) -> None:
    before = card(client.get("/jobs/schedules").text, "musicbrainz")
    old = re.search(r'<code class="schedule-cron">([^<]+)</code>', before)
    assert old
    for typed, field in (("61 * * * *", "minute"), ("@every-day", "cron"), ("0 25 * * *", "hour")):
        answer = post(client, "/jobs/schedules/musicbrainz/cron", cron=typed)
        assert answer.status_code == 400, typed
        problem = re.search(r'class="error cron-problem" role="alert">([^<]+)<', answer.text)
        assert problem and problem.group(1).startswith(f"{field}:"), (typed, problem)
        assert f'value="{typed}"' in answer.text  # kept as typed
    assert await JobScheduleChange.count() == 0
    assert post(client, "/jobs/schedules/musicbrainz/cron", cron="*/20 * * * *").status_code == 303
    page = card(client.get("/jobs/schedules").text, "musicbrainz")
    assert '<code class="schedule-cron">*/20 * * * *</code>' in page
    change = (
        await JobScheduleChange.select()
        .where(JobScheduleChange.schedule == "musicbrainz")
        .output(load_json=True)
        .first()
    )
    assert change["action"] == "edit" and change["username"] == "admin"
    assert change["before"]["cron"] == old.group(1) and change["after"]["cron"] == "*/20 * * * *"
    assert page.count('class="schedule-change"') == 1


def test_the_preview_shows_the_next_runs_or_the_field_that_is_wrong(client: Any) -> None:
    good = client.get("/jobs/schedules/preview", params={"cron": "0 3 * * *"}, headers={"HX-Request": "true"})
    assert good.status_code == 200 and "<html" not in good.text
    assert len(re.findall(r"<li><time", good.text)) == 5 and "03:00" in good.text
    bad = client.get("/jobs/schedules/preview", params={"cron": "61 * * * *"})
    assert "minute: '61' is outside 0-59" in html.unescape(bad.text)


async def test_pause_and_resume_are_logged_and_shown(client: Any) -> None:
    assert post(client, "/jobs/schedules/spotify/pause").status_code == 303
    page = card(client.get("/jobs/schedules").text, "spotify")
    assert "pill schedule-state paused" in page and "None while paused." in page
    assert "schedule-resume" in page
    assert (
        '<a class="pill paused" href="/jobs/schedules#schedule-spotify">paused</a>'
        in client.get("/jobs").text
    )
    assert post(client, "/jobs/schedules/spotify/resume").status_code == 303
    actions = (
        await JobScheduleChange.select(JobScheduleChange.action, JobScheduleChange.after)
        .order_by(JobScheduleChange.created_at)
        .output(load_json=True)
    )
    assert [(a["action"], a["after"]["paused"]) for a in actions] == [("pause", True), ("resume", False)]
    assert post(client, "/jobs/schedules/nothing/pause").status_code == 404


async def test_a_paused_schedule_does_not_tick_with_two_schedulers_then_resumes_once() -> None:
    admin = CurrentUser(id=1, username="ann")
    get_broker().flush(QUEUE)

    def make() -> Scheduler:
        base = [Schedule("musicbrainz", "t_schedule_tick", "*/5 * * * *", Cron.parse("*/5 * * * *"))]
        return Scheduler(base, LocalClaims(), started_at=T0)

    first, second = make(), make()
    await pause_schedule("musicbrainz", admin)
    at = TICK + dt.timedelta(seconds=2)
    assert await asyncio.gather(first.fire_due(at), second.fire_due(at)) == [[], []]
    assert await Job.count().where(Job.kind == "t_schedule_tick") == 0
    await resume_schedule("musicbrainz", admin)
    at = TICK + dt.timedelta(minutes=5, seconds=2)
    sent = await asyncio.gather(first.fire_due(at), second.fire_due(at))
    assert sum(len(s) for s in sent) == 1
    assert await Job.count().where(Job.kind == "t_schedule_tick") == 1
    get_broker().flush(QUEUE)


class NoOtherClaims:
    """Claims that never refuse: as two scheduler processes without Redis would see each other."""

    async def claim(self, name: str, tick: dt.datetime) -> bool:
        return True


async def test_the_database_claim_alone_keeps_two_schedulers_from_both_sending_a_tick() -> None:
    get_broker().flush(QUEUE)
    base = [Schedule("spotify", "t_schedule_tick", "*/5 * * * *", Cron.parse("*/5 * * * *"))]
    first = Scheduler(base, NoOtherClaims(), started_at=T0)
    second = Scheduler(base, NoOtherClaims(), started_at=T0)
    at = TICK + dt.timedelta(seconds=2)
    sent = await asyncio.gather(first.fire_due(at), second.fire_due(at))
    assert sum(len(s) for s in sent) == 1
    assert await Job.count().where(Job.kind == "t_schedule_tick") == 1
    get_broker().flush(QUEUE)


async def test_run_now_from_the_schedules_page_is_logged_with_the_job(client: Any) -> None:
    answer = post(client, "/jobs/schedules/musicbrainz/run")
    assert answer.status_code == 303
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    change = await JobScheduleChange.select().output(load_json=True).first()
    assert (change["action"], change["after"]["job_id"], change["username"]) == ("run_now", job_id, "admin")
    row = await Job.select(Job.triggered_by, Job.username).where(Job.job_id == job_id).first()
    assert row == {"triggered_by": "user", "username": "admin"}
    get_broker().flush("sync")
