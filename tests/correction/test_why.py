"""Why this match: per component weight, fraction, points and both raw values; where #2 lost."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from app.catalog.records import TrackInput
from app.correction import lookup
from app.correction.current import load_current
from app.correction.matching import Matching
from app.correction.prefetch import store_ranked
from app.correction.scoring import WEIGHTS, lost_against, rank, reweigh, score
from app.correction.steps import apply_picks
from app.llamalog.context import job_scope, user_job
from app.llamalog.tables import LlamaLog
from tests.correction import payloads
from tests.factories import manual_album


async def _plus_album() -> Any:
    tracks = (TrackInput(title="The A Team", track_number=1, duration_ms=258_000),)
    return await manual_album(title="+", artist="Ed Sheeran", release_date="2011", tracks=tracks)


async def test_each_component_carries_weight_fraction_points_and_both_raw_values() -> None:
    created = await _plus_album()
    album = await load_current(created.id)
    found = score(album, payloads.plus())
    title = next(c for c in found.components if c.key == "title")
    assert (title.weight, title.fraction, title.points) == (24, 1.0, 24)
    assert (title.ours, title.theirs) == ("+", "+")
    date = next(c for c in found.components if c.key == "release_date")
    assert (date.ours, date.theirs) == ("2011", "2011-09-09")
    assert sum(c.points for c in found.components) == found.total
    # The same fractions under other weights: every point follows its weight.
    weights = {**WEIGHTS, "title": 4, "barcode": 30}
    again = reweigh(found.components, weights)
    assert next(c for c in again.components if c.key == "title").points == 4
    assert again.total == sum(c.points for c in again.components)


async def test_the_runner_up_says_where_it_lost_points_against_the_top() -> None:
    created = await _plus_album()
    album = await load_current(created.id)
    other = replace(payloads.plus(), external_id="00000000-0000-0000-0000-000000000001", release_date="2017")
    other = replace(other, musicbrainz_id=other.external_id, barcode="0000000000017")
    (top, top_score), (runner, runner_score) = rank(album, [other, payloads.plus()])
    assert top.key == payloads.plus().key
    losses = lost_against(top_score, runner_score)
    assert {loss.key for loss in losses} >= {"release_date"}
    assert all(loss.lost > 0 for loss in losses)
    assert sum(loss.lost for loss in losses) >= top_score.total - runner_score.total


async def test_the_corrected_row_and_the_api_carry_the_same_breakdown(client: Any) -> None:
    created = await _plus_album()
    album = await load_current(created.id)
    other = replace(payloads.plus(), external_id="00000000-0000-0000-0000-000000000001", release_date="2017")
    other = replace(other, musicbrainz_id=other.external_id, barcode="0000000000017")
    lookup.forget()
    for candidate in (payloads.plus(), other):
        lookup._remember(candidate)
    await store_ranked(album, rank(album, [payloads.plus(), other]), Matching())

    api = client.get(f"/api/albums/{created.id}/candidates").json()
    assert [c["key"] for c in api["candidates"]] == [payloads.plus().key, other.key]
    first = api["candidates"][0]["score"]["components"]
    assert {"weight", "fraction", "points", "ours", "theirs", "explanation"} <= set(first[0])
    assert api["candidates"][1]["lost_against_top"][0]["lost"] > 0

    with job_scope(user_job(1, "admin")):
        await apply_picks(
            created.id,
            payloads.plus().key,
            discogs_id=None,
            expected_version=album.version,
            take_fields={"release_date"},
            take_tracks=set(),
        )
    row = (
        await LlamaLog.select()
        .where((LlamaLog.entity_id == created.id) & (LlamaLog.operation == "album:corrected:musicbrainz"))
        .first()
    )
    assert row is not None
    meta = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
    assert meta["score"]["components"] == first
    assert meta["runner_up"]["key"] == other.key
    assert meta["runner_up"]["lost"] == api["candidates"][1]["lost_against_top"]
    lookup.forget()
