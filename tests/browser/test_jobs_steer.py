"""Steering jobs in Chromium: filter by album id, bulk retry three failed runs, pause a schedule (no
tick) and resume it, retry a failed branch and watch its new runs join the same tree.

The server runs its jobs in an embedded worker (SQLite, no Redis); the retried enrichments are of
albums that do not exist (any more), so they fail at once without any upstream.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from app.jobs.cron import Cron
from app.jobs.schedule import Schedule
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tasks.scheduler import LocalClaims, Scheduler
from tests.browser.conftest import log_dir, logged_in_page
from tests.jobs.harness import wait_until
from tests.live_app import live_app

pytestmark = pytest.mark.browser
T0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def steer_server(database: str) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        pytest.skip("runs the jobs in the server's embedded worker: SQLite without Redis only")
    with live_app(log_dir(), DATABASE_URL=database, EMBEDDED_WORKER="1") as url:
        yield url


@pytest.fixture
async def page(chromium: Any, steer_server: str, admin_user: int) -> AsyncIterator[Any]:
    async with logged_in_page(chromium, steer_server, timeout_ms=15_000) as page:
        yield page


async def make(n: int, status: str = "failed", root: uuid.UUID | None = None, **values: Any) -> uuid.UUID:
    job_id = uuid.uuid4()
    await Job(
        job_id=job_id,
        kind=values.pop("kind", "enrich_album"),
        actor=values.pop("actor", "enrich_album"),
        status=status,
        root_job_id=root or job_id,
        parent_job_id=root,
        created_at=T0 + dt.timedelta(seconds=n),
        error="boom" if status == "failed" else None,
        **values,
    ).save()
    return job_id


async def _count_is(query: Any, n: int) -> bool:
    return len(await query) == n


def album_job(n: int, album: str, **values: Any) -> Any:
    return make(n, args=[album], arg=album, **values)


async def test_filter_by_album_id(page: Any) -> None:
    album = str(uuid.uuid4())
    mine = [await album_job(i, album) for i in range(2)]
    for i in range(3):
        await album_job(10 + i, str(uuid.uuid4()))
    await page.goto("/jobs")
    assert await page.locator("#runs tbody tr[id^=job-]").count() == 5
    await page.fill("#j-arg", album)
    await page.click("form.log-filters button[type=submit]")
    await page.wait_for_url(f"**/jobs?*arg={album}*")
    rows = page.locator("#runs tbody tr[id^=job-]")
    assert await rows.count() == 2
    assert {await rows.nth(i).get_attribute("id") for i in range(2)} == {f"job-{j}" for j in mine}
    assert await page.input_value("#j-arg") == album


async def test_bulk_retry_three_failed_runs(page: Any) -> None:
    failed = [await album_job(i, str(uuid.uuid4())) for i in range(3)]
    await make(5, status="succeeded")
    await page.goto("/jobs?status=failed")
    for job_id in failed:
        await page.check(f"#job-{job_id} input.pick")
    await page.click("button.bulk-retry")
    await page.wait_for_url("**/jobs/*")
    summary = page.locator(".bulk-summary .bulk-changed")
    await summary.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('.bulk-summary .bulk-changed')?.textContent === '3'"
    )
    retries = await Job.select(Job.retry_of, Job.username).where(Job.retry_of.is_not_null())
    assert sorted(str(r["retry_of"]) for r in retries) == sorted(str(j) for j in failed)
    assert {r["username"] for r in retries} == {"admin"}
    # the retried runs end (their albums do not exist) before the next test wipes the tables
    over = Job.select(Job.job_id).where(
        Job.retry_of.is_not_null() & Job.status.is_in(["failed", "succeeded"])
    )
    await wait_until(lambda: _count_is(over, 3), what="the retried runs to end")


async def test_pause_a_schedule_no_tick_then_resume(page: Any) -> None:
    sent: list[str] = []

    async def send(actor: str, **_: Any) -> str:
        sent.append(actor)
        return str(uuid.uuid4())

    base = [Schedule("musicbrainz", "sync_musicbrainz", "*/5 * * * *", Cron.parse("*/5 * * * *"))]
    start = dt.datetime(2026, 11, 23, 9, 1, tzinfo=dt.UTC)
    scheduler = Scheduler(base, LocalClaims(), started_at=start, send=send)
    await page.goto("/jobs/schedules")
    card = page.locator("#schedule-musicbrainz")
    async with page.expect_navigation():
        await card.locator("button.schedule-pause").click()
    assert await card.locator(".schedule-state").inner_text() == "paused"
    assert "None while paused" in await card.locator(".schedule-next").inner_text()
    assert await scheduler.fire_due(start + dt.timedelta(minutes=5)) == []
    assert sent == []
    async with page.expect_navigation():
        await card.locator("button.schedule-resume").click()
    assert await card.locator(".schedule-state").inner_text() == "active"
    assert len(await scheduler.fire_due(start + dt.timedelta(minutes=10))) == 1
    assert sent == ["sync_musicbrainz"]
    assert await card.locator(".schedule-change").count() == 2


async def test_retry_a_failed_branch_and_watch_it_join_the_root(page: Any) -> None:
    root = await make(0, status="succeeded", kind="sync_musicbrainz", actor="sync_musicbrainz")
    failed = [await album_job(1 + i, str(uuid.uuid4()), root=root) for i in range(2)]
    await album_job(5, str(uuid.uuid4()), root=root, status="succeeded")
    await page.goto(f"/jobs/{root}/tree")
    assert await page.locator("li.tree-node").count() == 4
    await page.click("button.retry-branch")
    await page.wait_for_url(f"**/jobs/{root}/tree")
    # the page follows the new runs live until they are over
    await page.wait_for_function(
        "() => document.querySelectorAll('li.tree-node').length === 6", timeout=20_000
    )
    await page.wait_for_function("() => !document.querySelector('#job-tree[data-live]')", timeout=20_000)
    new = await Job.select().where(Job.retry_of.is_not_null() & (Job.root_job_id == root))
    assert sorted(str(r["retry_of"]) for r in new) == sorted(str(j) for j in failed)
    for row in new:
        assert (row["root_job_id"], row["parent_job_id"], row["status"]) == (root, root, "failed")
        assert await page.locator(f"#tree-{row['job_id']}[data-root='{root}']").count() == 1
    rows = await wait_until(
        lambda: LlamaLog.select().where(LlamaLog.job_id.is_in([r["job_id"] for r in new])), what="FAILED rows"
    )
    assert {str(r["root_job_id"]) for r in rows} == {str(root)} and {r["category"] for r in rows} == {
        "FAILED"
    }


HIDE = """(hidden) => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


async def test_live_updates_pause_while_the_tab_is_hidden_and_catch_up_when_shown(page: Any) -> None:
    job_id = await make(0, status="running", heartbeat_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "part=runs" in request.url else None)
    await page.goto("/jobs")
    await page.wait_for_timeout(2500)
    assert polls, "the runs table does not refresh while a run is running"
    await page.evaluate(HIDE, True)
    await page.wait_for_timeout(300)
    polls.clear()
    await page.wait_for_timeout(4500)
    assert polls == [], f"it kept polling while hidden: {polls}"
    await Job.update({Job.status: "succeeded"}).where(Job.job_id == job_id)
    await page.evaluate(HIDE, False)
    await page.wait_for_function(
        f"() => document.querySelector('#job-{job_id} .pill.succeeded')", timeout=3000
    )
    assert len(polls) >= 1

    # a run's page: its log stream is closed while hidden and opened again after the newest row
    other = await make(1, status="running", heartbeat_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    await page.goto(f"/jobs/{other}")
    assert await page.locator("[data-live-sse]").count() == 1
    await page.evaluate(HIDE, True)
    assert await page.locator("[data-live-sse]").count() == 0
    await page.evaluate(HIDE, False)
    stream = page.locator("[data-live-sse]")
    assert await stream.count() == 1 and "after=" in (await stream.get_attribute("sse-connect") or "")
