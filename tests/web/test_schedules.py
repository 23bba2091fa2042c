"""/jobs/schedules: cron in words, next and last runs, pause / resume / edit with history, and a
paused schedule that two schedulers both leave alone."""

from __future__ import annotations

import asyncio
import datetime as dt
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
from tests.html_query import Element, Page, html

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


def card(page: Page, name: str) -> Element:
    """The panel of one schedule on /jobs/schedules."""
    return page.one(f"section.schedule-card#schedule-{name}")


def next_runs(within: Page | Element, selector: str) -> list[Element]:
    """The runs listed under `selector`: each an item holding a <time> with its instant."""
    items = within.all(f"{selector} > li")
    assert all(item.one("time").has("datetime") for item in items), items
    return items


async def test_the_page_says_each_cron_in_words_with_next_and_last_runs(client: Any) -> None:
    job_id = uuid.uuid4()
    await Job(
        job_id=job_id, kind="sync_musicbrainz", actor="sync_musicbrainz", root_job_id=job_id, status="failed"
    ).save()
    panel = card(html(client.get("/jobs/schedules")), "musicbrainz")
    words = panel.one(".schedule-words")
    assert words.count(".error") == 0 and words.text.endswith(" (UTC)")
    assert len(next_runs(panel, "ol.schedule-next")) == 5
    (last,) = panel.all("ol.schedule-last > li")
    assert last.one("a")["href"] == f"/jobs/{job_id}"
    assert last.one(".pill").classes == ["pill", "failed"]


async def test_a_bad_cron_is_refused_naming_the_field_and_a_good_one_is_kept_with_history(
    client: Any,
) -> None:
    old = card(html(client.get("/jobs/schedules")), "musicbrainz").text_of("code.schedule-cron")
    assert old
    for typed, field in (("61 * * * *", "minute"), ("@every-day", "cron"), ("0 25 * * *", "hour")):
        answer = post(client, "/jobs/schedules/musicbrainz/cron", cron=typed)
        assert answer.status_code == 400, typed
        refused = card(html(answer), "musicbrainz")
        problem = refused.text_of('#preview-musicbrainz .error.cron-problem[role="alert"]')
        assert problem.startswith(f"{field}:"), (typed, problem)
        typed_in = refused.one('input[name="cron"]')
        assert typed_in["value"] == typed, typed  # kept as typed
        assert typed_in.get("aria-invalid") == "true"
    assert await JobScheduleChange.count() == 0
    assert post(client, "/jobs/schedules/musicbrainz/cron", cron="*/20 * * * *").status_code == 303
    panel = card(html(client.get("/jobs/schedules")), "musicbrainz")
    assert panel.text_of("code.schedule-cron") == "*/20 * * * *"
    change = (
        await JobScheduleChange.select()
        .where(JobScheduleChange.schedule == "musicbrainz")
        .output(load_json=True)
        .first()
    )
    assert change["action"] == "edit" and change["username"] == "admin"
    assert change["before"]["cron"] == old and change["after"]["cron"] == "*/20 * * * *"
    assert panel.count("tr.schedule-change") == 1


def test_the_preview_shows_the_next_runs_or_the_field_that_is_wrong(client: Any) -> None:
    good = client.get("/jobs/schedules/preview", params={"cron": "0 3 * * *"}, headers={"HX-Request": "true"})
    assert good.status_code == 200
    preview = html(good)
    assert [element.tag for element in preview.all("body > *")] == ["p", "ol"]  # a fragment, no page
    assert preview.text("p.cron-words").endswith(" (UTC)")
    runs = next_runs(preview, "ol.cron-next")
    assert len(runs) == 5
    assert all(run.one("time")["datetime"].endswith("T03:00:00+00:00") for run in runs), runs
    assert "03:00" in runs[0].text
    bad = client.get("/jobs/schedules/preview", params={"cron": "61 * * * *"})
    assert html(bad).text_of('.cron-problem[role="alert"]') == "minute: '61' is outside 0-59"


async def test_pause_and_resume_are_logged_and_shown(client: Any) -> None:
    assert post(client, "/jobs/schedules/spotify/pause").status_code == 303
    panel = card(html(client.get("/jobs/schedules")), "spotify")
    state = panel.one(".pill.schedule-state")
    assert state.classes == ["pill", "schedule-state", "paused"] and state.text == "paused"
    assert panel.text_of(".schedule-next") == "None while paused."
    panel.one('form[action="/jobs/schedules/spotify/resume"] button.schedule-resume')
    assert panel.count(".schedule-pause") == 0
    pill = html(client.get("/jobs")).one("table.schedule a.pill.paused")
    assert (pill.classes, pill["href"], pill.text) == (
        ["pill", "paused"],
        "/jobs/schedules#schedule-spotify",
        "paused",
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
