"""A LlamaLog row as the log pages, the live log and the chain read it (queries.PAGE_COLUMNS)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypedDict

from app.json_types import JSONValue


class LogRow(TypedDict):
    id: int
    created_at: dt.datetime
    entity_type: str
    entity_id: uuid.UUID | None
    entity_label: str | None
    album_id: uuid.UUID | None
    artist_id: uuid.UUID | None
    track_id: uuid.UUID | None
    category: str
    operation: str
    sources: list[str]
    status: str
    reason: str | None
    fields_enriched: list[str]
    changes: JSONValue  # decoded: {field: {"before": …, "after": …}} or None
    data_quality_before: str | None
    data_quality_after: str | None
    error_message: str | None
    error_code: str | None
    retry_count: int
    duration_ms: int | None
    api_call_count: int
    metadata: JSONValue  # decoded
    job_id: uuid.UUID | None
    parent_job_id: uuid.UUID | None
    root_job_id: uuid.UUID | None
    is_root_job: bool
    triggered_by: str | None
    user_id: int | None
    username: str | None
