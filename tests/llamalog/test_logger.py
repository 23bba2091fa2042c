"""The logger derives categories, fills job ids from the context and echoes to the console."""

from __future__ import annotations

import logging
import uuid

import pytest

from app.llamalog.context import JobContext, job_scope
from app.llamalog.logger import derive_category, record
from app.llamalog.tables import LlamaLog


@pytest.mark.parametrize(
    ("operation", "status", "expected"),
    [
        ("album:cached:cover", "SUCCESS", "CACHED"),
        ("album:corrected:admin", "SUCCESS", "CORRECTED"),
        ("album:reverted:admin", "SUCCESS", "CORRECTED"),
        ("album:enriched:musicbrainz", "SUCCESS", "ENRICHED"),
        ("album:enriched:musicbrainz", "FAILED", "FAILED"),
        ("artist:linked:enrichment", "SUCCESS", "LINKED"),
        ("album:created:spotify-sync", "SUCCESS", "CREATED"),
        ("track:imported:spotify-sync", "SUCCESS", "CREATED"),
    ],
)
def test_category_is_derived_from_the_operation(operation: str, status: str, expected: str) -> None:
    assert derive_category(operation, status) == expected


async def test_record_fills_ids_from_the_running_job_and_prints_a_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = JobContext.new_root(triggered_by="manual").child()
    entity = uuid.uuid4()
    logger = logging.getLogger("llamalog")
    logger.addHandler(caplog.handler)
    try:
        with job_scope(ctx):
            await record(entity_type="ALBUM", entity_id=entity, operation="album:enriched:musicbrainz")
    finally:
        logger.removeHandler(caplog.handler)
    row = await LlamaLog.select().first()
    assert row["category"] == "ENRICHED"
    assert str(row["job_id"]) == ctx.job_id
    assert str(row["parent_job_id"]) == ctx.parent_job_id
    assert row["is_root_job"] is False
    assert row["album_id"] == entity
    lines = [r.getMessage() for r in caplog.records if r.name == "llamalog"]
    assert len(lines) == 1
    assert lines[0].startswith("[🦙 LlamaLog] category=ENRICHED op") or lines[0].startswith(
        "[🦙 LlamaLog] category=ENRICHED"
    )
    assert f"entity_id={entity}" in lines[0]


async def test_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="category"):
        await record(entity_type="ALBUM", entity_id=uuid.uuid4(), operation="x:y:z", category="NOPE")
    assert await LlamaLog.count() == 0
