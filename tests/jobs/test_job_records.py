"""Every message run has a Job row; ids travel through the broker; failures end on the record."""

from __future__ import annotations

import time
import uuid

from app.auth.users import CurrentUser
from app.jobs.launch import NotRetryable, enqueue, retry_job
from app.jobs.tables import Job
from app.llamalog.context import job_scope, user_job
from app.llamalog.tables import LlamaLog
from tests.jobs import actors
from tests.jobs.actors import (
    ALLOWED,
    ATTEMPTS,
    OBSERVED,
    new_token,
    t_always_fails,
    t_flaky,
    t_not_found,
    t_send_in_transaction,
    t_tree,
    t_until_allowed,
)
from tests.jobs.harness import WorkerControl, job_in, job_row, wait_until, worker_fixture

worker = worker_fixture(actors.QUEUE)


async def test_three_levels_carry_parent_and_root_ids(worker: WorkerControl) -> None:
    token = new_token()
    root = t_tree.send(token, 1, 3)
    await worker.drain()

    seen = sorted(OBSERVED[token], key=lambda s: s["level"])
    assert [s["level"] for s in seen] == [1, 2, 3]
    ids = [s["message_id"] for s in seen]
    assert ids[0] == root.message_id
    expected_parents = [None, ids[0], ids[1]]
    for s, parent in zip(seen, expected_parents, strict=True):
        # what the message carried ...
        assert s["options"] == {"job_id": s["message_id"], "parent_job_id": parent, "root_job_id": ids[0]}
        # ... and what the actor's job context says
        assert (s["ctx"].job_id, s["ctx"].parent_job_id, s["ctx"].root_job_id) == (
            s["message_id"],
            parent,
            ids[0],
        )

    rows = {str(r["job_id"]): r for r in await Job.select().where(Job.kind == "t_tree")}
    assert set(rows) == set(ids)
    for job_id, parent in zip(ids, expected_parents, strict=True):
        row = rows[job_id]
        assert row["status"] == "succeeded"
        assert str(row["root_job_id"]) == ids[0]
        assert (str(row["parent_job_id"]) if row["parent_job_id"] else None) == parent
        assert row["started_at"] is not None and row["finished_at"] >= row["started_at"]


async def test_a_message_sent_during_a_user_action_is_its_child(worker: WorkerControl) -> None:
    token = new_token()
    ctx = user_job(7, "admin")
    with job_scope(ctx):
        message = t_tree.send(token, 1, 1)
    await worker.drain()
    row = await job_row(message.message_id)
    assert row is not None
    assert str(row["parent_job_id"]) == ctx.job_id and str(row["root_job_id"]) == ctx.root_job_id
    assert (row["triggered_by"], row["user_id"], row["username"]) == ("user", 7, "admin")


async def test_lifecycle_queued_running_succeeded_with_progress_and_counts(worker: WorkerControl) -> None:
    token = new_token()
    job_id = await enqueue("t_progress", [token, 5], triggered_by="manual")
    queued = await job_row(job_id)
    assert queued is not None
    assert (queued["status"], queued["kind"], queued["args"]) == ("queued", "t_progress", [token, 5])
    assert (queued["triggered_by"], str(queued["root_job_id"]), queued["started_at"]) == (
        "manual",
        job_id,
        None,
    )

    await worker.drain()
    assert OBSERVED[token][0] == {"status_while_running": "running"}
    # a small total: every report is written at once
    assert [s["done_in_row"] for s in OBSERVED[token][1:]] == [1, 2, 3, 4, 5]
    done = await job_row(job_id)
    assert done is not None
    assert done["status"] == "succeeded" and done["error"] is None
    assert (done["progress_done"], done["progress_total"]) == (5, 5)
    assert (done["albums_created"], done["tracks_created"], done["albums_skipped"]) == (5, 10, 0)
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]


async def test_progress_of_thousands_of_items_is_throttled(worker: WorkerControl, query_counter) -> None:
    worker.start()
    token = new_token()
    job_id = await enqueue("t_progress", [token, 3000])
    query_counter["n"] = 0
    await worker.drain()
    row = await job_row(job_id)
    assert row is not None and row["status"] == "succeeded"
    assert (row["progress_done"], row["progress_total"]) == (3000, 3000)
    assert (row["albums_created"], row["tracks_created"]) == (3000, 6000)
    # 6000 reports; a handful of statements (start, a few throttled writes, the final one)
    assert query_counter["n"] < 40, query_counter["n"]


async def test_retrying_then_succeeded(worker: WorkerControl) -> None:
    token = new_token()
    job_id = await enqueue("t_flaky", [token, 1])
    worker.start()
    retrying = await wait_until(lambda: job_in(job_id, "retrying"), what="retrying")
    assert retrying["retries"] == 1
    assert retrying["error"] == "RuntimeError: flaky attempt 1" and retrying["error_code"] == "RuntimeError"
    await worker.drain()
    row = await job_row(job_id)
    assert row is not None
    assert (row["status"], row["retries"], row["error"]) == ("succeeded", 1, None)
    assert ATTEMPTS[token] == 2
    assert t_flaky.options["max_retries"] == 3


async def test_final_failure_writes_one_failed_row_and_stays_retryable(worker: WorkerControl) -> None:
    album_id = str(uuid.uuid4())
    job_id = await enqueue("t_always_fails", [album_id])
    await worker.drain(fail_fast=False)

    assert ATTEMPTS[album_id] == 3  # the first run and max_retries=2
    row = await job_row(job_id)
    assert row is not None
    assert (row["status"], row["retries"], row["error_code"]) == ("failed", 2, "UPSTREAM_503")
    assert row["error"] == "UpstreamDown: MusicBrainz answered 503"
    assert row["finished_at"] is not None

    failed = await LlamaLog.select().where(LlamaLog.category == "FAILED")
    assert len(failed) == 1
    log = failed[0]
    assert (log["status"], log["operation"], log["entity_type"]) == ("FAILED", "album:failed:test", "ALBUM")
    assert (log["error_code"], log["error_message"], log["retry_count"]) == (
        "UPSTREAM_503",
        "MusicBrainz answered 503",
        2,
    )
    assert str(log["entity_id"]) == album_id
    assert str(log["job_id"]) == job_id and str(log["root_job_id"]) == job_id and log["is_root_job"] is True
    # the callback ran as the job itself
    (seen,) = OBSERVED[f"failure:{album_id}"]
    assert seen["ctx"].job_id == job_id and seen["failure"].actor == "t_always_fails"


async def test_an_error_that_says_retrying_cannot_help_fails_at_once(worker: WorkerControl) -> None:
    album_id = str(uuid.uuid4())
    job_id = await enqueue("t_not_found", [album_id])
    await worker.drain(fail_fast=False)
    assert ATTEMPTS[album_id] == 1
    row = await job_row(job_id)
    assert row is not None and (row["status"], row["retries"], row["error_code"]) == (
        "failed",
        0,
        "NOT_FOUND",
    )
    log = await LlamaLog.select().where(LlamaLog.category == "FAILED").first()
    assert (log["error_code"], log["retry_count"]) == ("NOT_FOUND", 0)
    assert t_not_found.actor_name == "t_not_found"


async def test_retry_job_starts_a_new_run_recorded_with_the_user(worker: WorkerControl) -> None:
    key = new_token()
    first = await enqueue("t_until_allowed", [key], {"note": "x"}, triggered_by="scheduled")
    await worker.drain(fail_fast=False)
    assert (await job_row(first) or {})["status"] == "failed"

    ALLOWED.add(key)
    admin = CurrentUser(id=3, username="root")
    second = await retry_job(first, admin)
    assert second != first
    await worker.drain()

    row = await job_row(second)
    assert row is not None
    assert (row["status"], row["triggered_by"], row["user_id"], row["username"]) == (
        "succeeded",
        "user",
        3,
        "root",
    )
    assert (row["kind"], row["args"], row["kwargs"]) == ("t_until_allowed", [key], {"note": "x"})
    assert str(row["retry_of"]) == first and str(row["root_job_id"]) == second
    assert row["parent_job_id"] is None
    ctx = OBSERVED[key][-1]["ctx"]
    assert (ctx.job_id, ctx.triggered_by, ctx.user_id) == (second, "user", 3)
    assert OBSERVED[key][-1]["note"] == "x"

    try:
        await retry_job(second, admin)
    except NotRetryable as exc:
        assert "succeeded" in str(exc)
    else:
        raise AssertionError("a succeeded job was retried")
    assert await Job.count().where(Job.kind == "t_until_allowed") == 2
    assert t_always_fails.actor_name and t_until_allowed.actor_name


async def test_children_sent_inside_a_write_transaction_get_their_rows_without_waiting(
    worker: WorkerControl,
) -> None:
    token = new_token()
    started = time.monotonic()
    parent = t_send_in_transaction.send(token)
    await worker.drain()
    assert time.monotonic() - started < 5  # no lock wait (SQLite busy timeout is 10 s)
    children = await Job.select().where(Job.parent_job_id == parent.message_id)
    assert len(children) == 2
    assert all(c["status"] == "succeeded" and str(c["root_job_id"]) == parent.message_id for c in children)
    assert (await job_row(parent.message_id) or {})["status"] == "succeeded"
