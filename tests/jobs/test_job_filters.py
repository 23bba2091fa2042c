"""The /jobs filters (kind, status, source, user, since, until, arg), keyset pages and the estimate."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.jobs.filters import JobFilter, arg_text, parse_job_filter
from app.jobs.queries import estimate_matching, search_jobs
from app.jobs.runs import JobSpec, job_queued
from app.jobs.tables import Job
from app.llamalog.filters import FilterError

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


async def make(n: int, kind: str = "enrich_album", **values: Any) -> uuid.UUID:
    job_id = uuid.uuid4()
    await Job(
        job_id=job_id,
        kind=kind,
        actor=kind,
        root_job_id=job_id,
        created_at=T0 + dt.timedelta(minutes=n),
        **values,
    ).save()
    return job_id


def test_each_unknown_value_is_refused_naming_its_parameter() -> None:
    for params, name in (
        ({"kind": "explode"}, "kind"),
        ({"status": "exploded"}, "status"),
        ({"source": "napster"}, "source"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"arg": "x" * 201}, "arg"),
        ({"user": "u" * 101}, "user"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "since"),
        ({"roots": "maybe"}, "roots"),
    ):
        with pytest.raises(FilterError) as caught:
            parse_job_filter(params)
        assert str(caught.value).startswith(f"{name}:"), (params, str(caught.value))


def test_known_values_are_read_whatever_their_case() -> None:
    wanted = parse_job_filter({"kind": "Enrich_Album", "status": "FAILED", "source": "MusicBrainz"})
    assert (wanted.kind, wanted.status, wanted.source) == ("enrich_album", "failed", "musicbrainz")


def test_a_filter_round_trips_through_its_url_parameters() -> None:
    f = parse_job_filter(
        {
            "kind": "enrich_album",
            "status": "failed",
            "source": "MusicBrainz",
            "user": "ann",
            "since": "2026-11-01",
            "arg": "abc",
        }
    )
    assert f.source == "musicbrainz" and f.since == T0.replace(hour=0)
    assert parse_job_filter(dict(f.query_items())) == f


def test_arg_text_is_the_first_argument_or_the_first_keyword_value() -> None:
    assert arg_text(["a1b2", 3], {}) == "a1b2"
    assert arg_text([], {"days": 7}) == "7"
    assert arg_text([], {}) is None


async def test_a_queued_run_carries_its_argument_for_the_filter() -> None:
    album = str(uuid.uuid4())
    await job_queued(JobSpec(job_id=str(uuid.uuid4()), actor="enrich_album", args=[album]))
    await job_queued(JobSpec(job_id=str(uuid.uuid4()), actor="sync_musicbrainz", kwargs={"days": 3}))
    assert [r["arg"] for r in (await search_jobs(JobFilter(arg=album))).rows] == [album]
    assert [r["kind"] for r in (await search_jobs(JobFilter(arg="3"))).rows] == ["sync_musicbrainz"]


async def test_filters_combine_and_pages_follow_the_keyset() -> None:
    album = str(uuid.uuid4())
    mine = [await make(i, status="failed", arg=album, username="ann", user_id=7) for i in range(5)]
    await make(10, status="succeeded", arg=album, username="ann")
    await make(11, kind="sync_spotify", status="failed")
    await make(12, kind="cache_cover", status="failed", arg=album)
    f = JobFilter(status="failed", source="musicbrainz", user="ann", arg=album, since=T0)
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = await search_jobs(f, cursor=cursor, limit=2)
        seen += [r["job_id"] for r in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(mine))
    assert [r["job_id"] for r in (await search_jobs(JobFilter(user="7"))).rows] == list(reversed(mine))
    assert len((await search_jobs(JobFilter(until=T0 + dt.timedelta(minutes=2)))).rows) == 2
    assert [r["kind"] for r in (await search_jobs(JobFilter(source="spotify"))).rows] == ["sync_spotify"]


async def test_the_estimate_counts_below_the_cap_and_guesses_past_it() -> None:
    for i in range(12):
        await make(i, status="failed" if i % 2 else "succeeded")
    exact = await estimate_matching(JobFilter(status="failed"), cap=100)
    assert (exact.count, exact.exact, exact.words) == (6, True, "6")
    past = await estimate_matching(JobFilter(status="failed"), cap=3)
    assert not past.exact and past.count >= 3
    everything = await estimate_matching(JobFilter(), cap=3)
    assert not everything.exact and everything.count >= 3
