"""The /jobs charts agree with a query over the rows they come from, settled or not; upstream calls
made inside a job are recorded from the httpx layer."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import defaultdict
from typing import Any

import httpx

from app.jobs.charts import chart_data, settle_days, settle_source_days
from app.jobs.tables import Job, JobDay, UpstreamCall
from app.llamalog.context import JobContext, job_scope
from app.sources.http import RetryPolicy, request_json
from tests.html_query import html

TODAY = dt.datetime.now(dt.UTC).date()


def nearest_rank(values: list[int], p: float) -> int | None:
    values = sorted(values)
    return values[math.ceil(p * len(values)) - 1] if values else None


async def fill(seed: int = 7) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(300):
        day = TODAY - dt.timedelta(days=rng.randrange(0, 12))
        created = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
            seconds=rng.randrange(0, 86_000)
        )
        status = rng.choice(["succeeded", "succeeded", "failed", "cancelled", "running", "queued"])
        started = created + dt.timedelta(seconds=1) if status != "queued" else None
        finished = (
            started + dt.timedelta(milliseconds=rng.randrange(10, 90_000))
            if started and status in ("succeeded", "failed", "cancelled")
            else None
        )
        job_id = uuid.uuid4()
        rows.append(
            Job(
                job_id=job_id,
                root_job_id=job_id,
                kind=rng.choice(["sync_spotify", "enrich_album", "cache_cover"]),
                status=status,
                created_at=created,
                started_at=started,
                finished_at=finished,
            )
        )
    await Job.insert(*rows)
    calls = []
    for _ in range(200):
        day = TODAY - dt.timedelta(days=rng.randrange(0, 12))
        calls.append(
            UpstreamCall(
                job_id=uuid.uuid4(),
                source=rng.choice(["musicbrainz", "spotify"]),
                status=rng.choice([200, 200, 200, 429, 503, 404, None]),
                latency_ms=rng.randrange(5, 3000),
                wait_ms=rng.randrange(0, 1000),
                created_at=dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC),
            )
        )
    await UpstreamCall.insert(*calls)


async def expected_kinds(days: int) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """The same numbers straight from the job rows (counted here, independently of the chart code)."""
    first = TODAY - dt.timedelta(days=days - 1)
    out: dict[tuple[str, dt.date], dict[str, Any]] = defaultdict(
        lambda: {"succeeded": 0, "failed": 0, "cancelled": 0, "other": 0, "took": []}
    )
    for r in await Job.select():
        day = r["created_at"].astimezone(dt.UTC).date()
        if day < first:
            continue
        cell = out[(r["kind"], day)]
        outcome = r["status"] if r["status"] in ("succeeded", "failed", "cancelled") else "other"
        cell[outcome] += 1
        if outcome in ("succeeded", "failed") and r["started_at"] and r["finished_at"]:
            cell["took"].append(round((r["finished_at"] - r["started_at"]).total_seconds() * 1000))
    return {
        key: {
            **{k: v for k, v in c.items() if k != "took"},
            "p50": nearest_rank(c["took"], 0.5),
            "p95": nearest_rank(c["took"], 0.95),
        }
        for key, c in out.items()
    }


async def charted_kinds(days: int) -> dict[tuple[str, dt.date], dict[str, Any]]:
    data = await chart_data(days, TODAY)
    return {
        (kind, day): {
            "succeeded": c.succeeded,
            "failed": c.failed,
            "cancelled": c.cancelled,
            "other": c.other,
            "p50": c.p50_ms,
            "p95": c.p95_ms,
        }
        for kind, cells in data.kinds.items()
        for day, c in cells.items()
        if c.runs
    }


async def test_kind_charts_equal_a_query_over_the_job_rows_before_and_after_settling() -> None:
    await fill()
    expected = await expected_kinds(10)
    assert expected and await charted_kinds(10) == expected
    assert await settle_days(10, TODAY) > 0
    assert await JobDay.count() > 0
    assert await charted_kinds(10) == expected  # now read from job_day for the settled days
    assert await settle_days(10, TODAY) == 0


async def test_source_charts_equal_a_query_over_the_call_rows() -> None:
    await fill()
    before = await chart_data(12, TODAY)
    assert await settle_source_days(12, TODAY) > 0
    data = await chart_data(12, TODAY)  # settled days now read from source_day
    assert data == before
    rows = await UpstreamCall.select()
    for source, cells in data.sources.items():
        for day, cell in cells.items():
            mine = [
                r for r in rows if r["source"] == source and r["created_at"].astimezone(dt.UTC).date() == day
            ]
            latencies = [r["latency_ms"] for r in mine]
            assert (cell.requests, cell.status_429, cell.status_503, cell.wait_ms) == (
                len(mine),
                sum(r["status"] == 429 for r in mine),
                sum(r["status"] == 503 for r in mine),
                sum(r["wait_ms"] for r in mine),
            )
            assert (cell.p50_ms, cell.p95_ms) == (nearest_rank(latencies, 0.5), nearest_rank(latencies, 0.95))
    assert sum(c.requests for cells in data.sources.values() for c in cells.values()) == len(rows)


async def test_the_page_draws_the_same_numbers_as_svg_with_a_table(client: Any) -> None:
    await fill()
    page = html(client.get("/jobs"))
    charts = page.all("figure.job-chart")
    assert len(charts) == 3 + 2 and all(chart.count("svg.chart") == 1 for chart in charts)
    assert page.count('figure.job-chart svg rect[class="seg failed"]') > 0
    assert page.count('figure.job-chart svg polyline[class="line p95"]') > 0
    expected = await expected_kinds(90)
    figure = page.one('figure.job-chart[id^="chart-kind-"][data-name="enrich_album"]')
    days = figure.all("table.chart-table tr[data-day]")
    assert days
    for row in days:
        values = {cell["data-col"]: cell.text for cell in row.all("td[data-col]")}
        want = expected[("enrich_album", dt.date.fromisoformat(row["data-day"]))]
        assert int(values["failed"]) == want["failed"] and int(values["succeeded"]) == want["succeeded"]
        assert values["p95 ms"] == (str(want["p95"]) if want["p95"] is not None else "—")


async def test_upstream_calls_inside_a_job_are_recorded_with_status_latency_and_wait() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json={"ok": 1})])
    transport = httpx.MockTransport(lambda request: next(answers))
    ctx = JobContext.new_root()
    async with httpx.AsyncClient(transport=transport) as http:
        with job_scope(ctx):
            body = await request_json(
                http,
                "GET",
                "http://upstream.test/x",
                source="musicbrainz",
                policy=RetryPolicy(attempts=3, backoff=0.0),
            )
        assert body == {"ok": 1}
    rows = await UpstreamCall.select().order_by(UpstreamCall.id)
    assert [(str(r["job_id"]), r["source"], r["status"]) for r in rows] == [
        (ctx.job_id, "musicbrainz", 429),
        (ctx.job_id, "musicbrainz", 200),
    ]
    assert all(r["latency_ms"] >= 0 and r["wait_ms"] == 0 for r in rows)
