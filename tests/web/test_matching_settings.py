"""/settings/matching: weights and thresholds in the database, a ranking preview, saving is logged."""

from __future__ import annotations

import re
from typing import Any

from app.correction.matching import DEFAULT_STRONG, current_matching
from app.correction.scoring import WEIGHTS
from app.correction.tables import FixMatch, MatchingChange
from tests.correction.test_prefetch import seeded
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers", "fix")


def form(client: Any, **changes: Any) -> dict[str, str]:
    values = {f"weight_{key}": str(weight) for key, weight in WEIGHTS.items()}
    values.update(strong_threshold=str(DEFAULT_STRONG), ask_gap="3")
    values.update({k: str(v) for k, v in changes.items()})
    return {"_csrf_token": client.cookies.get("llama_csrf") or "", **values}


def test_the_page_shows_the_defaults(client: Any) -> None:
    html = client.get("/settings/matching").text
    assert 'name="weight_title" type="number" min="0" max="50" value="24"' in html
    assert 'name="strong_threshold" type="number" min="50" max="100" value="78"' in html
    assert "Never changed: the defaults apply." in html


async def test_values_out_of_range_are_refused_naming_the_field(client: Any) -> None:
    for changes, message in (
        ({"weight_title": "60"}, "weight_title: 60 is outside 0–50"),
        ({"strong_threshold": "101"}, "strong_threshold: 101 is outside 50–100"),
        ({"ask_gap": "-1"}, "ask_gap: -1 is outside 0–30"),
        ({"weight_country": "four"}, "weight_country: &#39;four&#39; is not a whole number"),
        ({"weight_title": "20"}, "weights: the weights add up to 96; they must add up to 100"),
    ):
        response = client.post("/settings/matching", data=form(client, **changes))
        assert response.status_code == 400, changes
        assert message in response.text, (message, response.text[:500])
        preview = client.post(
            "/settings/matching/preview", data=form(client, **changes), headers={"HX-Request": "true"}
        )
        assert preview.status_code == 400 and message in preview.text
    assert (await current_matching()).version == 0
    assert await MatchingChange.count() == 0


async def test_the_ranking_preview_lists_what_the_queue_shows_after_saving(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    by_id = {str(v): k for k, v in broken.items()}
    before = {str(m["album_id"]): m["strength"] for m in await FixMatch.select()}
    draft = form(client, strong_threshold="70")
    preview = client.post("/settings/matching/preview", data=draft, headers={"HX-Request": "true"})
    assert preview.status_code == 200 and "<html" not in preview.text
    listed = set(
        re.findall(
            r'<tr class="ranking-change" data-album="([0-9a-f-]{36})" data-kind="queue">', preview.text
        )
    )
    assert {by_id[a] for a in listed} == {"Autobahn (2009 Remaster)", "Never Gonna Give You Up"}

    saved = client.post("/settings/matching", data=draft)
    assert saved.status_code == 200 and "re-scored" in saved.text
    after = {str(m["album_id"]): m["strength"] for m in await FixMatch.select()}
    changed = {album_id for album_id in after if after[album_id] != before[album_id]}
    assert changed == listed
    queue = client.get("/albums/broken?strength=strong").text
    for album_id in listed:
        assert f'id="album-{album_id}"' in queue
    (change,) = await MatchingChange.select()
    assert change["username"] == "admin"
    before_json = (
        change["before"] if isinstance(change["before"], dict) else __import__("json").loads(change["before"])
    )
    after_json = (
        change["after"] if isinstance(change["after"], dict) else __import__("json").loads(change["after"])
    )
    assert (before_json["strong_threshold"], after_json["strong_threshold"]) == (78, 70)
    assert (await current_matching()).strong_threshold == 70
    # Weights too: title counts for less, and the preview after saving lists nothing more.
    again = client.post("/settings/matching/preview", data=draft, headers={"HX-Request": "true"})
    assert "<b>0</b> would change" in again.text
