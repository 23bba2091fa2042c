"""The logger derives categories, fills job ids from the context and echoes to the console."""

from __future__ import annotations

import logging
import uuid

import pytest

from app.db import transaction
from app.llamalog.context import JobContext, job_scope
from app.llamalog.logger import derive_category, record, record_many
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


async def test_record_reads_back_exactly_like_a_row_piccolo_writes() -> None:
    ctx = JobContext.new_root(triggered_by="user", user_id=7, username="ann").child()
    album = uuid.uuid4()
    with job_scope(ctx):
        logged = await record(
            entity_type="TRACK",
            entity_id=uuid.uuid4(),
            operation="track:enriched:musicbrainz",
            album_id=album,
            sources=["MUSICBRAINZ", "USER"],
            entity_label='Ünïcode "quoted" <b>',
            reason="a reason",
            fields_enriched=["isrc", "title"],
            changes={"title": {"before": None, "after": "Été"}, "isrc": {"before": "", "after": "X1"}},
            data_quality_before="LOW",
            data_quality_after="HIGH",
            error_code="E1",
            retry_count=2,
            duration_ms=15,
            api_call_count=3,
            metadata={"n": 1, "nested": [1, "two", None]},
        )
    ours = await LlamaLog.select().where(LlamaLog.id == logged.id).first()
    assert logged.created_at == ours["created_at"] and ours["created_at"].utcoffset() is not None
    assert isinstance(ours["entity_id"], uuid.UUID) and ours["album_id"] == album
    assert ours["sources"] == ["MUSICBRAINZ", "USER"] and ours["is_root_job"] is False
    assert str(ours["job_id"]) == ctx.job_id and ours["user_id"] == 7 and ours["username"] == "ann"
    assert ours["track_id"] == ours["entity_id"] and ours["artist_id"] is None

    loaded = await LlamaLog.select().where(LlamaLog.id == logged.id).output(load_json=True).first()
    assert loaded["changes"]["title"] == {"before": None, "after": "Été"}
    assert loaded["metadata"] == {"n": 1, "nested": [1, "two", None]}

    # The same values saved by Piccolo itself read back identically, raw JSON text included.
    copy = LlamaLog(**{k: v for k, v in loaded.items() if k != "id"})
    await copy.save()
    theirs = await LlamaLog.select().where(LlamaLog.id == copy.id).first()
    assert {k: v for k, v in ours.items() if k != "id"} == {k: v for k, v in theirs.items() if k != "id"}


async def test_record_defaults_match_the_table_and_unknown_fields_are_refused() -> None:
    logged = await record(entity_type="ALBUM", entity_id=None, operation="album:created:admin")
    row = await LlamaLog.select().where(LlamaLog.id == logged.id).first()
    assert row["status"] == "SUCCESS" and row["category"] == "CREATED"
    assert row["sources"] == [] and row["fields_enriched"] == [] and row["changes"] is None
    assert row["retry_count"] == 0 and row["api_call_count"] == 0 and row["is_root_job"] is True
    assert row["triggered_by"] == "system" and row["entity_label"] is None
    with pytest.raises(ValueError, match="nope"):
        await record(entity_type="ALBUM", entity_id=None, operation="album:created:admin", nope=1)
    assert await LlamaLog.count() == 1


async def test_record_joins_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError):
        async with transaction():
            await record(entity_type="ALBUM", entity_id=uuid.uuid4(), operation="album:created:admin")
            assert await LlamaLog.count() == 1  # visible inside the transaction
            raise RuntimeError("roll back")
    assert await LlamaLog.count() == 0


@pytest.mark.parametrize("in_transaction", [True, False])
async def test_record_many_writes_each_row_as_record_would_in_one_statement(
    in_transaction: bool, query_counter: dict[str, int]
) -> None:
    ctx = JobContext.new_root(triggered_by="scheduled")
    album = uuid.uuid4()
    tracks = [uuid.uuid4() for _ in range(3)]
    entries = [
        {
            "entity_type": "TRACK",
            "entity_id": track,
            "operation": "track:enriched:enrichment",
            "child": True,
            "album_id": album,
            "sources": ["MUSICBRAINZ"],
            "entity_label": f"Track {n}",
            "changes": {"isrc": {"before": None, "after": f"X{n}"}},
        }
        for n, track in enumerate(tracks)
    ]
    query_counter["n"] = 0
    with job_scope(ctx):
        if in_transaction:
            async with transaction():
                logged = await record_many(entries)
        else:
            logged = await record_many(entries)
    assert query_counter["n"] == 1  # one INSERT for the three rows
    rows = await LlamaLog.select().order_by(LlamaLog.id).output(load_json=True)
    assert [r["id"] for r in rows] == [row.id for row in logged]
    assert [r["entity_id"] for r in rows] == tracks and {r["album_id"] for r in rows} == {album}
    assert [r["changes"]["isrc"]["after"] for r in rows] == ["X0", "X1", "X2"]
    assert all(r["category"] == "ENRICHED" and r["is_root_job"] is False for r in rows)
    assert {str(r["parent_job_id"]) for r in rows} == {ctx.job_id}  # children of the running job
    assert len({r["job_id"] for r in rows}) == 3  # each its own child job
    assert await record_many([]) == []


async def test_record_many_rolls_back_with_the_callers_transaction() -> None:
    entry = {"entity_type": "ALBUM", "entity_id": uuid.uuid4(), "operation": "album:created:admin"}
    with pytest.raises(ValueError, match="unknown status"):
        async with transaction():
            await record_many([entry])
            await record_many([entry, {**entry, "status": "NOPE"}])
    assert await LlamaLog.count() == 0
