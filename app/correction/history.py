"""The album's recent corrections and reverts, newest first, for the fix panel's undo list."""

from __future__ import annotations

import json
import uuid
from typing import Any

from app.llamalog.tables import LlamaLog

COLUMNS = (
    LlamaLog.id,
    LlamaLog.created_at,
    LlamaLog.operation,
    LlamaLog.sources,
    LlamaLog.fields_enriched,
    LlamaLog.metadata,
    LlamaLog.job_id,
    LlamaLog.username,
)


async def recent_corrections(album_id: uuid.UUID, limit: int = 10) -> list[dict[str, Any]]:
    """The album's own CORRECTED rows (admin edits, corrections, reverts): one indexed range."""
    rows = (
        await LlamaLog.select(*COLUMNS)
        .where(
            (LlamaLog.album_id == album_id)
            & (LlamaLog.entity_type == "ALBUM")
            & (LlamaLog.category == "CORRECTED")
        )
        .order_by(LlamaLog.created_at, ascending=False)
        .order_by(LlamaLog.id, ascending=False)
        .limit(limit)
    )
    for row in rows:
        meta = row["metadata"]
        meta = json.loads(meta) if isinstance(meta, str) else meta or {}
        row["tracks"] = meta.get("tracks") or {}
        row["candidate"] = meta.get("candidate") or {}
        row["is_revert"] = meta.get("action") == "revert"
    return rows
