"""Pages of runs (keyset, newest first) and a run's job tree."""

from __future__ import annotations

import uuid

import pytest

from app.jobs.queries import get_job, job_detail, list_jobs
from app.jobs.runs import JobSpec, job_finished, job_queued, job_started
from app.llamalog.filters import FilterError


def spec(actor: str = "t_kind", **kwargs: object) -> JobSpec:
    return JobSpec(job_id=str(uuid.uuid4()), actor=actor, **kwargs)  # type: ignore[arg-type]


async def test_pages_cover_every_run_once_newest_first() -> None:
    made = []
    for i in range(7):
        s = spec("sync_spotify" if i % 2 else "enrich_album")
        await job_queued(s)
        made.append(s.job_id)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await list_jobs(cursor=cursor, limit=3)
        pages += 1
        seen += [str(r["job_id"]) for r in page.rows]
        keys = [(r["created_at"], str(r["job_id"])) for r in page.rows]
        assert keys == sorted(keys, reverse=True)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert sorted(seen) == sorted(made) and len(seen) == 7
    assert seen[0] == made[-1]

    spotify = await list_jobs(kind="sync_spotify")
    assert len(spotify.rows) == 3 and spotify.next_cursor is None
    assert spotify.rows[0]["args"] == []  # JSON comes back decoded


async def test_filters_and_bad_input() -> None:
    a, b = spec(), spec()
    await job_queued(a)
    await job_queued(b)
    await job_started(b, 0)
    await job_finished(b.job_id, "failed", error="boom", error_code="X")
    assert [str(r["job_id"]) for r in (await list_jobs(status="failed")).rows] == [b.job_id]
    assert [str(r["job_id"]) for r in (await list_jobs(status="queued")).rows] == [a.job_id]
    with pytest.raises(FilterError, match="status"):
        await list_jobs(status="exploded")
    with pytest.raises(FilterError, match="cursor"):
        await list_jobs(cursor="not-a-cursor")
    assert await get_job("nope") is None
    row = await get_job(b.job_id)
    assert row is not None and (row["error"], row["error_code"]) == ("boom", "X")


async def test_job_detail_holds_the_whole_tree() -> None:
    root = spec("sync_spotify", triggered_by="scheduled")
    a = spec("enrich_album", parent_job_id=root.job_id, root_job_id=root.job_id)
    b = spec("enrich_album", parent_job_id=root.job_id, root_job_id=root.job_id)
    c = spec("cache_cover", parent_job_id=a.job_id, root_job_id=root.job_id)
    other = spec("sync_musicbrainz")
    for s in (root, a, b, c, other):
        await job_queued(s)
    await job_started(c, 0)
    await job_finished(c.job_id, "succeeded")

    detail = await job_detail(c.job_id)
    assert detail is not None
    assert str(detail.job["job_id"]) == c.job_id
    assert str(detail.tree.job["job_id"]) == root.job_id
    children = {str(n.job["job_id"]): n for n in detail.tree.children}
    assert set(children) == {a.job_id, b.job_id}
    assert [str(n.job["job_id"]) for n in children[a.job_id].children] == [c.job_id]
    assert detail.size == 4 and not detail.truncated
    assert detail.status_counts == {"queued": 3, "succeeded": 1}
    assert await job_detail(uuid.uuid4()) is None


async def test_a_tree_whose_root_is_a_web_request_hangs_under_a_stub() -> None:
    request_job = str(uuid.uuid4())
    child = spec("enrich_album", parent_job_id=request_job, root_job_id=request_job, triggered_by="user")
    await job_queued(child)
    detail = await job_detail(child.job_id)
    assert detail is not None
    assert detail.tree.job["kind"] == "request" and str(detail.tree.job["job_id"]) == request_job
    assert [str(n.job["job_id"]) for n in detail.tree.children] == [child.job_id]
