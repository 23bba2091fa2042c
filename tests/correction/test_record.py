"""The correction's record tells the whole story: the root row's summary, and reverts only of something."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.correction import lookup
from app.correction.apply import apply_candidate
from app.llamalog.context import job_scope, user_job
from app.llamalog.tables import LlamaLog
from tests.conftest import csrf
from tests.correction import payloads
from tests.html_query import Element, Page, html

HX = {"HX-Request": "true"}
KAT_MODA_TITLES = ["Alarms", "The Bells", "The Bells (Festival mix)"]


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    lookup.forget()
    yield
    lookup.forget()


async def _three_tracks_added() -> tuple[Any, str, int]:
    """Kat Moda without tracks, fixed by adding the release's three tracks and no field."""
    created = await payloads.spotify_album("album-YTgiLpQ8TUpjNsqpgsb90o-kat-moda-trackless")
    job = user_job(1, "admin")
    with job_scope(job):
        await apply_candidate(
            created.id,
            payloads.kat_moda(),
            expected_version=1,
            take_fields=set(),
            take_tracks={"new-1-1", "new-1-2", "new-1-3"},
        )
    root = await LlamaLog.select().where(LlamaLog.operation == "album:corrected:musicbrainz").first()
    return created, job.job_id, int(root["id"])


def _detail(page: Page, row_id: int) -> Element:
    return page.one(f"tr#log-{row_id}-detail")


async def test_the_root_row_of_a_fix_that_added_three_tracks_carries_its_summary(
    upstream: Any, client: Any
) -> None:
    created, job_id, root_id = await _three_tracks_added()
    (row,) = await LlamaLog.select().where(LlamaLog.id == root_id).output(load_json=True)
    summary = row["metadata"]["summary"]
    assert row["changes"] == {}
    assert summary["fields"] == {}
    assert summary["tracks"]["added"] == {"count": 3, "titles": KAT_MODA_TITLES}
    assert summary["tracks"]["removed"]["count"] == 0
    assert summary["quality"] == {"before": "LOW", "after": row["data_quality_after"]}
    assert summary["text"].startswith("3 tracks added")

    detail = _detail(html(client.get(f"/logs?expand={root_id}", headers=HX)), root_id)
    assert "No field changes on this row" not in detail.text
    assert detail.text_of("p.summary-text").startswith("3 tracks added")
    added_item = detail.one('li[data-action="added"]')
    assert added_item.text_of("strong") == "3 tracks added" and added_item.texts("bdi") == KAT_MODA_TITLES
    assert detail.text_of("li.summary-quality").startswith("Data quality LOW →")

    timeline = html(client.get(f"/timeline/album/{created.id}?root={job_id}", headers=HX))
    assert "No field changes on this row" not in timeline.text() and "3 tracks added" in timeline.text()
    collapsed = html(client.get(f"/timeline/album/{created.id}"))  # the root job, closed
    assert re.fullmatch(r"3 tracks added; quality LOW → \w+", collapsed.text("details.root .tl-summary"))

    added = await (
        LlamaLog.select()
        .where(LlamaLog.operation == "track:created:musicbrainz")
        .order_by(LlamaLog.id)
        .output(load_json=True)
    )
    assert [r["entity_label"] for r in added] == KAT_MODA_TITLES
    for track_row in added:
        assert {"title", "track_number", "musicbrainz_id"} <= set(track_row["fields_enriched"])
        assert track_row["data_quality_after"] in ("HIGH", "MEDIUM")
        meta = track_row["metadata"]
        assert meta["musicbrainz_recording_id"] and meta["disc_number"] == 1 and "isrc" in meta

    api_row = next(r for r in client.get("/api/logs").json()["rows"] if r["id"] == root_id)
    assert api_row["metadata"]["summary"]["tracks"]["added"]["titles"] == KAT_MODA_TITLES


async def test_a_row_that_changed_nothing_offers_no_revert_and_its_revert_writes_nothing(
    upstream: Any, client: Any
) -> None:
    created, job_id, root_id = await _three_tracks_added()
    timeline = html(client.get(f"/timeline/album/{created.id}?root={job_id}", headers=HX))
    reverts = timeline.all("form.fix-revert")
    assert str(root_id) not in [
        f.one('input[name="log_id"]')["value"] for f in reverts if f.first('input[name="log_id"]')
    ]
    assert str(job_id) in [
        f.one('input[name="job_id"]')["value"] for f in reverts if f.first('input[name="job_id"]')
    ]

    response = client.post(
        f"/albums/{created.id}/fix/revert", data={"log_id": str(root_id)}, headers={**HX, **csrf(client)}
    )
    assert response.status_code == 404
    assert await LlamaLog.count().where(LlamaLog.operation.like("%:reverted:admin")) == 0


async def test_reverting_a_whole_job_from_the_timeline_keeps_the_result_in_view(
    upstream: Any, client: Any
) -> None:
    created, job_id, _ = await _three_tracks_added()
    page = html(client.get(f"/timeline/album/{created.id}"))
    assert page.count("#timeline > #tl-result") == 1  # outside the tree the live stream redraws
    assert page.count("#timeline .tl-tree #tl-result") == 0
    # the tree shows the revert's rows without a reload
    assert "fix-changed from:body" in page.one("#timeline .tl-tree")["hx-trigger"]

    form = {"job_id": job_id, "in_timeline": "1"}
    response = client.post(f"/albums/{created.id}/fix/revert", data=form, headers={**HX, **csrf(client)})
    assert response.status_code == 200
    result = html(response)
    assert result.text(".fix-revert-result strong").startswith("Reverted: 3 tracks removed; quality")
    # The album's head, details and tracks refresh; the timeline holding the result is not swapped out.
    assert result.one("#fix-refresh")["hx-select-oob"] == "#details,#tracks"
    (revert_row,) = (
        await LlamaLog.select().where(LlamaLog.operation == "album:reverted:admin").output(load_json=True)
    )
    removed = revert_row["metadata"]["summary"]["tracks"]["removed"]
    assert removed["count"] == 3 and sorted(removed["titles"]) == KAT_MODA_TITLES


async def _failed_rows(album_id: Any) -> list[dict[str, Any]]:
    return await (
        LlamaLog.select()
        .where((LlamaLog.album_id == album_id) & (LlamaLog.category == "FAILED"))
        .order_by(LlamaLog.id)
        .output(load_json=True)
    )


async def test_a_correction_that_fails_is_a_failed_row_with_its_error_code(
    upstream: Any, client: Any
) -> None:
    created = await payloads.spotify_album("album-YTgiLpQ8TUpjNsqpgsb90o-kat-moda-trackless")
    url = f"/albums/{created.id}/fix/apply"
    attempts = [  # (form, the page's status, the row's error_code)
        ({"key": f"musicbrainz:{payloads.KAT_MODA}", "version": "7", "field": ["musicbrainz_id"]}, 409,
         "VERSION_CONFLICT"),
        ({"key": "musicbrainz:00000000-0000-0000-0000-0000000000ff", "version": "1"}, None, None),
        ({"key": "nowhere:1", "version": "1"}, 400, "INVALID_CORRECTION"),
    ]  # fmt: skip
    for form, status, code in attempts:
        response = client.post(url, data=form, headers={**HX, **csrf(client)})
        if status is not None:
            assert response.status_code == status, response.text
        rows = await _failed_rows(created.id)
        row = rows[-1]
        assert (row["category"], row["status"], row["entity_id"]) == ("FAILED", "FAILED", created.id)
        assert row["metadata"]["candidate_key"] == form["key"] and row["error_message"]
        if code is not None:
            assert row["error_code"] == code
        else:  # the upstream's own typed code (MusicBrainz knows no such release)
            assert response.status_code in (404, 502)
            assert row["error_code"] not in (None, "INVALID_CORRECTION")
    assert [r["operation"] for r in rows] == [
        "album:failed:musicbrainz",
        "album:failed:musicbrainz",
        "album:failed:correction",
    ]
    assert await LlamaLog.count().where(LlamaLog.category == "CORRECTED") == 0  # nothing half-written
