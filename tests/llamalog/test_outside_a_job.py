"""Rows written outside any job (a script, the shell) get a job of their own with the tree intact."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from app.jobs.tables import Job
from app.llamalog.logger import SCRIPT_JOB
from app.llamalog.tables import LlamaLog
from tests.factories import album_input, tracklist


async def _script() -> Any:
    """What a script does: call a service with no job around it."""
    from app.catalog.albums import create_album

    created = await create_album(
        album_input(title="Scripted", artist="Somebody", tracks=tracklist(3)),
        operation_path="admin",
        sources=["USER"],
    )
    return created.id


async def _run_as_script() -> Any:
    # A fresh context, as `python script.py` or one `asyncio.run(...)` in the shell has.
    return await asyncio.create_task(_script(), context=contextvars.Context())


async def test_a_script_s_rows_hang_under_one_job_that_exists() -> None:
    album_id = await _run_as_script()
    rows = await LlamaLog.select().where(LlamaLog.album_id == album_id).order_by(LlamaLog.id)
    (root,) = [r for r in rows if r["entity_type"] == "ALBUM"]
    children = [r for r in rows if r is not root]
    assert len(children) == 4  # the artist and three tracks
    assert root["is_root_job"] and root["job_id"] == root["root_job_id"] and root["parent_job_id"] is None
    assert all(r["root_job_id"] == root["job_id"] for r in rows)
    assert all(r["parent_job_id"] == root["job_id"] and not r["is_root_job"] for r in children)
    job = await Job.select().where(Job.job_id == root["job_id"]).first()
    assert job is not None and (job["kind"], job["triggered_by"], job["status"]) == (
        SCRIPT_JOB,
        "system",
        "succeeded",
    )


async def test_every_parent_a_script_s_rows_name_exists_and_two_scripts_are_two_jobs() -> None:
    first, second = await _run_as_script(), await _run_as_script()
    rows = await LlamaLog.select(
        LlamaLog.album_id, LlamaLog.job_id, LlamaLog.parent_job_id, LlamaLog.root_job_id
    )
    known = {r["job_id"] for r in rows} | {j["job_id"] for j in await Job.select(Job.job_id)}
    assert {r["parent_job_id"] for r in rows if r["parent_job_id"]} <= known
    roots = {album: {r["root_job_id"] for r in rows if r["album_id"] == album} for album in (first, second)}
    assert len(roots[first]) == len(roots[second]) == 1 and roots[first] != roots[second]
