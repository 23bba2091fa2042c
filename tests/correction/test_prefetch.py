"""Candidates found ahead: after the demo's syncs every broken album of the queue has its match."""

from __future__ import annotations

import re
from typing import Any

from app.catalog.tables import Album
from app.correction import lookup
from app.correction.matching import current_matching
from app.correction.prefetch import prefetch_album, stale_albums
from app.correction.queue import QueueQuery, list_queue
from app.correction.tables import FixCandidate, FixMatch
from app.demo.command import run_seed_jobs
from app.jobs.launch import enqueue
from app.llamalog.tables import LlamaLog
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers", "fix")


async def seeded(worker: Any) -> dict[str, Any]:
    """The demo catalog with its fix queue prefetched; title → album id of every broken album."""
    lookup.forget()
    worker.start()
    await run_seed_jobs(out=lambda _line: None)
    await worker.drain()
    rows = await Album.select(Album.id, Album.title).where(Album.broken_reasons != "")
    return {row["title"]: row["id"] for row in rows}


async def test_every_album_of_the_queue_is_searched_ahead_after_the_sync(upstream: Any, worker: Any) -> None:
    broken = await seeded(worker)
    matches = {m["album_id"]: m for m in await FixMatch.select()}
    assert set(matches) == set(broken.values())
    # Enrichment and cover caching moved some albums on after their search: the next round (the
    # scheduler's) re-scores them from the stored candidates, with no upstream call.
    requests = len(upstream.requests())
    await enqueue("refresh_fix_queue", triggered_by="scheduled")
    await worker.drain()
    assert not await stale_albums()
    assert len(upstream.requests()) == requests
    page = await list_queue(QueueQuery(), await current_matching())
    words = {row["title"]: row["words"] for row in page.rows}
    assert re.fullmatch(r"strong match (9\d|100) \(MusicBrainz\)", words["Nevermind"])
    assert words["Yeezus"] == "no candidate"
    assert words["Autobahn (2009 Remaster)"] == "ask: best 71 is below 78"
    # Each stored candidate carries its full breakdown with both raw values.
    top = await FixCandidate.select().where(FixCandidate.album_id == broken["Nevermind"]).first()
    assert top is not None and top["position"] == 1
    breakdown = (
        top["breakdown"] if isinstance(top["breakdown"], dict) else __import__("json").loads(top["breakdown"])
    )
    title = next(c for c in breakdown["components"] if c["key"] == "title")
    assert title["ours"] == "Nevermind" and title["theirs"] and title["weight"] == 24


async def test_an_upstream_error_is_a_failed_row_and_no_candidate_yet_then_retried(
    upstream: Any, worker: Any
) -> None:
    from app.demo.fake_upstream import Fault

    broken = await seeded(worker)
    album_id = broken["Autobahn (2009 Remaster)"]
    lookup.forget()
    upstream.script("/ws/2/release", always=Fault(status=503))
    verdict = await prefetch_album(album_id)
    assert verdict is not None and verdict.strength == "failed"
    match = await FixMatch.select().where(FixMatch.album_id == album_id).first()
    assert match is not None and match["strength"] == "failed" and match["error_code"]
    failed = await LlamaLog.select().where(
        (LlamaLog.entity_id == album_id) & (LlamaLog.operation == "album:failed:prefetch")
    )
    assert len(failed) == 1 and failed[0]["category"] == "FAILED" and failed[0]["error_code"]
    page = await list_queue(QueueQuery(strength="failed"), await current_matching())
    assert [row["words"] for row in page.rows] == ["no candidate yet (the search failed upstream)"]
    # A failed album is stale: the next round searches it again and the upstream answers now.
    assert album_id in (await stale_albums()).unsearched
    upstream.reset()
    verdict = await prefetch_album(album_id)
    assert verdict is not None and verdict.strength == "ask"
