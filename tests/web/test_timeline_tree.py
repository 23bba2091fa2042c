"""The timeline tree is built in memory from one page of rows; the live filter twins the SQL one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.llamalog.context import JobContext, job_scope
from app.llamalog.filters import parse_filter
from app.llamalog.live import matches
from app.llamalog.logger import record
from app.llamalog.queries import rows_since
from app.llamalog.timeline import Subject, build_tree, load_root, load_timeline, timeline_filter
from tests.factories import job_album, manual_album, tracklist


async def test_rows_group_under_root_jobs_and_nest_by_parent() -> None:
    sync = JobContext.new_root(triggered_by="scheduled")
    created, _ = await job_album(sync, title="Tree Album", artist="Tree Artist", tracks=tracklist(2))
    enrich = sync.child()
    with job_scope(enrich):
        await record(entity_type="ALBUM", entity_id=created.id, operation="album:enriched:musicbrainz")
        await record(
            entity_type="TRACK",
            entity_id=uuid.uuid4(),
            album_id=created.id,
            operation="track:created:enrichment",
            child=True,
        )
    await update_album(created.id, {"title": "Tree Album 2"}, expected_version=1)

    t = await load_timeline(Subject.parse("album", str(created.id)), timeline_filter(()))
    assert len(t.groups) == 2
    newest, first = t.groups
    assert newest.headline["category"] == "CORRECTED" and newest.child_counts == []
    assert first.root_job_id == sync.job_id
    assert first.headline["operation"] == "album:created:spotify-sync"
    assert dict(first.child_counts) == {"CREATED": 4, "ENRICHED": 1}
    root = first.root
    assert [r["operation"] for r in root.rows] == ["album:created:spotify-sync"]
    kids = {child.job_id: child for child in root.children}
    assert enrich.job_id in kids  # the enrichment job hangs under the sync job
    enrich_node = kids[enrich.job_id]
    assert [r["operation"] for r in enrich_node.rows] == ["album:enriched:musicbrainz"]
    assert [c.rows[0]["operation"] for c in enrich_node.children] == ["track:created:enrichment"]


async def test_expanding_one_root_reads_only_its_rows() -> None:
    created, ctx = await job_album(title="Only Root", tracks=tracklist(3))
    await update_album(created.id, {"title": "Other job"}, expected_version=1)
    subject = Subject.parse("ALBUM", str(created.id))
    group = await load_root(subject, timeline_filter(()), uuid.UUID(ctx.job_id))
    assert group is not None and len(group.rows) == 5  # album, artist, three tracks
    only_tracks = await load_root(subject, timeline_filter(("CREATED",)), uuid.UUID(ctx.job_id))
    assert only_tracks is not None and {r["category"] for r in only_tracks.rows} == {"CREATED"}


def _row(i: int, job: str, root: str, parent: str | None) -> dict[str, Any]:
    return {
        "id": i,
        "created_at": i,
        "category": "CREATED",
        "job_id": job,
        "root_job_id": root,
        "parent_job_id": parent,
    }


def test_missing_parents_and_loops_fall_back_to_the_root() -> None:
    rows = [
        _row(1, "r", "r", None),
        _row(2, "a", "r", "b"),  # b wrote nothing here: a placeholder node
        _row(3, "c", "r", "d"),
        _row(4, "d", "r", "c"),  # c and d name each other
    ]
    (group,) = build_tree(rows)
    names = sorted(child.job_id for child in group.root.children)
    assert names == ["b", "c", "d"]
    placeholder = next(c for c in group.root.children if c.job_id == "b")
    assert [c.job_id for c in placeholder.children] == ["a"] and placeholder.rows == []
    assert len(group.root.walk()) == 4


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"category": ["CREATED", "CORRECTED"]},
        {"entity_type": "track"},
        {"status": "SUCCESS"},
        {"operation": "track:created:*"},
        {"operation": "album:corrected:admin"},
        {"source": "USER"},
        {"q": "TWIN"},
        {"since": "2000-01-01", "until": "2999-01-01"},
        {"until": "2000-01-01"},
    ],
)
async def test_live_filter_matches_what_the_query_returns(query: dict[str, Any]) -> None:
    created = await manual_album(title="Twin Album", tracks=tracklist(2))
    await job_album(title="Other", tracks=tracklist(1))
    await update_album(created.id, {"title": "Twin 2"}, expected_version=1)
    everything = await rows_since(parse_filter({"limit": "500"}), 0)
    flt = parse_filter({**query, "limit": "500"})
    expected = [r["id"] for r in await rows_since(flt, 0)]
    assert [r["id"] for r in everything if matches(flt, r)] == expected


async def test_live_filter_by_job() -> None:
    created, ctx = await job_album(title="By Job", tracks=tracklist(2))
    await manual_album(title="Not this job")
    everything = await rows_since(parse_filter({"limit": "500"}), 0)
    flt = parse_filter({"job": ctx.job_id, "limit": "500"})
    expected = [r["id"] for r in await rows_since(flt, 0)]
    assert len(expected) == 4
    assert [r["id"] for r in everything if matches(flt, r)] == expected
