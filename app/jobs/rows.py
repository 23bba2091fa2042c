"""A Job row as `Job.select().output(load_json=True)` returns it: the pages, the CLI and the stall
detector read these."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypedDict

from app.json_types import JSONValue


class JobRow(TypedDict):
    job_id: uuid.UUID
    kind: str
    actor: str | None
    args: list[JSONValue] | None
    kwargs: dict[str, JSONValue] | None
    status: str
    progress_done: int
    progress_total: int
    albums_created: int
    albums_updated: int
    albums_skipped: int
    artists_created: int
    artists_linked: int
    tracks_created: int
    failures: int
    error: str | None
    error_code: str | None
    retries: int
    parent_job_id: uuid.UUID | None
    root_job_id: uuid.UUID | None
    triggered_by: str
    user_id: int | None
    username: str | None
    retry_of: uuid.UUID | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    requeues: int
    summary: JSONValue
