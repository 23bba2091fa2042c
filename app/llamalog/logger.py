"""The LlamaLog logger: one row per change, written in the transaction of the change."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from typing import Any

from app.config import get_settings
from app.llamalog.context import JobContext, get_current_job
from app.llamalog.tables import CATEGORIES, ENTITY_TYPES, SOURCES, STATUSES, LlamaLog

console = logging.getLogger("llamalog")

# Verb fragments of `<entity>:<verb>:<path>` that name a category, checked in this order.
_VERB_CATEGORIES = (
    ("cache", "CACHED"),
    ("correct", "CORRECTED"),
    ("revert", "CORRECTED"),
    ("enrich", "ENRICHED"),
    ("link", "LINKED"),
    ("fail", "FAILED"),
)


def derive_category(operation: str, status: str = "SUCCESS") -> str:
    """The category an operation implies when the caller names none."""
    if status == "FAILED":
        return "FAILED"
    verb = operation.split(":")[1] if operation.count(":") >= 1 else operation
    for fragment, category in _VERB_CATEGORIES:
        if fragment in verb:
            return category
    return "CREATED"


def _console_line(row: dict[str, Any]) -> str:
    keys = ("category", "operation", "entity_type", "entity_id", "status", "job_id", "root_job_id")
    parts = [f"{k}={row[k]}" for k in keys if row.get(k) is not None]
    if row.get("user_id") is not None:
        parts.append(f"user={row['user_id']}")
    if row.get("entity_label"):
        parts.append(f"label={json.dumps(row['entity_label'], ensure_ascii=False)}")
    if row.get("error_code"):
        parts.append(f"error={row['error_code']}")
    return "[🦙 LlamaLog] " + " ".join(parts)


_console_ready = False


def _ensure_console_handler() -> None:
    """One stderr handler of our own, whatever other handlers (tests, apps) are attached."""
    global _console_ready
    if _console_ready:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    console.addHandler(handler)
    console.setLevel(logging.INFO)
    console.propagate = False
    _console_ready = True


async def record(
    *,
    entity_type: str,
    entity_id: Any,
    operation: str,
    category: str | None = None,
    status: str = "SUCCESS",
    child: bool = False,
    context: JobContext | None = None,
    album_id: Any = None,
    artist_id: Any = None,
    track_id: Any = None,
    sources: list[str] | None = None,
    **fields: Any,
) -> LlamaLog:
    """Write one LlamaLog row in the current transaction and echo it to the console.

    `child=True` marks an entity created or linked along the way: the row gets a job id of its own,
    with the running job as its parent and the same root.
    """
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"unknown entity_type {entity_type!r}")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    category = category or derive_category(operation, status)
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    for source in sources or []:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")

    ctx = context or get_current_job()
    if ctx is None:
        ctx = JobContext.new_root(triggered_by="system")
    row_ctx = ctx.child() if child else ctx
    ids = {"ALBUM": "album_id", "ARTIST": "artist_id", "TRACK": "track_id"}
    links = {"album_id": album_id, "artist_id": artist_id, "track_id": track_id}
    links[ids[entity_type]] = links[ids[entity_type]] or entity_id

    values: dict[str, Any] = {
        "entity_type": entity_type,
        "entity_id": _uuid(entity_id),
        "category": category,
        "operation": operation,
        "status": status,
        "sources": list(sources or []),
        "job_id": _uuid(row_ctx.job_id),
        "parent_job_id": _uuid(row_ctx.parent_job_id),
        "root_job_id": _uuid(row_ctx.root_job_id),
        "is_root_job": row_ctx.is_root,
        "triggered_by": row_ctx.triggered_by,
        "user_id": row_ctx.user_id,
        "username": row_ctx.username,
        **{k: _uuid(v) for k, v in links.items()},
        **fields,
    }
    row = LlamaLog(**values)
    await row.save()
    if get_settings().console_log:
        _ensure_console_handler()
        console.info(_console_line(values))
    return row


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))
