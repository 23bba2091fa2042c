"""The job filter follows the whole tree: `job=X` shows X's rows and every descendant's, grandchildren
included, on /api/logs as on the job page's query."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.db import transaction
from app.jobs.tables import Job
from app.llamalog.context import JobContext, job_scope
from app.llamalog.filters import parse_filter
from app.llamalog.logger import record
from app.llamalog.queries import list_logs


async def _row(ctx: JobContext, label: str, *, child: bool = False) -> None:
    with job_scope(ctx):
        async with transaction():
            await record(
                entity_type="TRACK" if child else "ALBUM",
                entity_id=uuid.uuid4(),
                operation="album:enriched:test",
                child=child,
                entity_label=label,
            )


async def _job_row(ctx: JobContext) -> None:
    """A run on the Job table that writes no log row of its own."""
    now = dt.datetime.now(dt.UTC)
    await Job.insert(
        Job(
            job_id=uuid.UUID(ctx.job_id),
            kind="enrich",
            parent_job_id=uuid.UUID(ctx.parent_job_id) if ctx.parent_job_id else None,
            root_job_id=uuid.UUID(ctx.root_job_id),
            status="succeeded",
            created_at=now,
        )
    )


async def _tree() -> dict[str, JobContext]:
    root = JobContext.new_root(triggered_by="manual")
    child = root.child()
    grandchild = child.child()
    quiet = child.child()  # on the Job table only: its own child's rows hang under it
    under_quiet = quiet.child()
    other = JobContext.new_root()
    await _row(root, "root")
    await _row(child, "child")
    await _row(grandchild, "grandchild")
    await _row(grandchild, "grandchild's track", child=True)
    await _job_row(quiet)
    await _row(under_quiet, "under a job that wrote nothing")
    await _row(other, "another tree")
    return {"root": root, "child": child, "grandchild": grandchild, "quiet": quiet}


async def _labels(job: str) -> set[str]:
    page = await list_logs(parse_filter({"job": job, "limit": "500"}))
    return {row["entity_label"] for row in page.rows}


async def test_a_child_job_shows_its_grandchildren_and_their_tracks() -> None:
    tree = await _tree()
    assert await _labels(tree["child"].job_id) == {
        "child",
        "grandchild",
        "grandchild's track",
        "under a job that wrote nothing",
    }
    assert await _labels(tree["grandchild"].job_id) == {"grandchild", "grandchild's track"}
    assert await _labels(tree["quiet"].job_id) == {"under a job that wrote nothing"}


async def test_a_root_job_shows_its_whole_tree_by_the_stored_root() -> None:
    tree = await _tree()
    assert await _labels(tree["root"].job_id) == {
        "root",
        "child",
        "grandchild",
        "grandchild's track",
        "under a job that wrote nothing",
    }


async def test_the_api_filters_by_the_tree_newest_first(client: Any) -> None:
    tree = await _tree()
    body = client.get(f"/api/logs?job={tree['child'].job_id}&limit=2").json()
    ids = [row["id"] for row in body["rows"]]
    assert ids == sorted(ids, reverse=True) and body["next"]
    rest = client.get(body["next"]).json()["rows"]
    labels = {row["entity_label"] for row in body["rows"] + rest}
    assert "grandchild's track" in labels and "root" not in labels and len(labels) == 4


async def test_a_job_in_a_parent_loop_ends() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    looped_a = JobContext(job_id=str(a), root_job_id=str(a), parent_job_id=str(b))
    looped_b = JobContext(job_id=str(b), root_job_id=str(a), parent_job_id=str(a))
    await _row(looped_a, "a")
    await _row(looped_b, "b")
    page = await list_logs(parse_filter({"job": str(b), "limit": "500"}))
    assert {row["entity_label"] for row in page.rows} == {"a", "b"}


async def test_the_live_log_follows_the_tree_below_a_child_as_new_jobs_start() -> None:
    """The live twin: loaded when a stream starts, then grown from each new row's parent link, so a
    great-grandchild started after the page opened is shown live, as a reload would show it."""
    from app.llamalog.live import JobTree
    from app.llamalog.queries import rows_since

    tree = await _tree()
    live = await JobTree.load(uuid.UUID(tree["child"].job_id))
    assert {tree["child"].job_id, tree["grandchild"].job_id, tree["quiet"].job_id} <= live.jobs
    (last,) = [r["id"] for r in (await list_logs(parse_filter({"limit": "1"}))).rows]
    great = tree["grandchild"].child()
    great_great = great.child()
    await _row(great, "great-grandchild")
    await _row(great_great, "great-great-grandchild")
    await _row(JobContext.new_root(), "elsewhere")
    new = await rows_since(parse_filter({}), last)
    shown = {row["entity_label"] for row in new if live.holds(row)}
    assert shown == {"great-grandchild", "great-great-grandchild"}
    # and the SQL filter agrees with what the stream showed
    assert {"great-grandchild", "great-great-grandchild"} <= await _labels(tree["child"].job_id)
