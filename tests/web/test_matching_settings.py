"""/settings/matching: weights and thresholds in the database, a ranking preview, saving is logged."""

from __future__ import annotations

from typing import Any

from app.correction.matching import DEFAULT_STRONG, current_matching
from app.correction.scoring import WEIGHTS
from app.correction.tables import FixMatch, MatchingChange
from tests.correction.test_prefetch import seeded
from tests.html_query import Page, html
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers", "fix")


def form(client: Any, **changes: Any) -> dict[str, str]:
    values = {f"weight_{key}": str(weight) for key, weight in WEIGHTS.items()}
    values.update(strong_threshold=str(DEFAULT_STRONG), ask_gap="3")
    values.update({k: str(v) for k, v in changes.items()})
    return {"_csrf_token": client.cookies.get("llama_csrf") or "", **values}


def number_input(page: Page, name: str) -> dict[str, str | None]:
    field = page.one(f'#matching-form input[name="{name}"]')
    return {key: field.get(key) for key in ("type", "min", "max", "value")}


def refused(page: Page, said: str) -> str:
    """The problems the one alert that begins with `said` lists ("Nothing was saved:" above the form,
    "Not previewed:" in the ranking preview; a refused save shows both)."""
    alerts = [text for text in page.texts('p.flash.error[role="alert"]') if text.startswith(f"{said} ")]
    assert len(alerts) == 1, (said, page.texts('p.flash.error[role="alert"]'))
    return alerts[0].removeprefix(f"{said} ")


def field_error(page: Page, name: str) -> str:
    """The message shown beside the field `name` (the weights' sum: below the weights)."""
    if name == "weights":
        return page.text("#matching-form fieldset > .field-error")
    return page.text(f"#matching-form .form-row.has-error > #{name} ~ .field-error")


def test_the_page_shows_the_defaults(client: Any) -> None:
    page = html(client.get("/settings/matching"))
    assert number_input(page, "weight_title") == {"type": "number", "min": "0", "max": "50", "value": "24"}
    assert number_input(page, "strong_threshold") == {
        "type": "number",
        "min": "50",
        "max": "100",
        "value": "78",
    }
    assert "Never changed: the defaults apply." in page.texts("section.panel > p.muted")
    assert page.count("table.matching-changes") == 0


async def test_values_out_of_range_are_refused_naming_the_field(client: Any) -> None:
    for changes, message in (
        ({"weight_title": "60"}, "weight_title: 60 is outside 0–50"),
        ({"strong_threshold": "101"}, "strong_threshold: 101 is outside 50–100"),
        ({"ask_gap": "-1"}, "ask_gap: -1 is outside 0–30"),
        ({"weight_country": "four"}, "weight_country: 'four' is not a whole number"),
        ({"weight_title": "20"}, "weights: the weights add up to 96; they must add up to 100"),
    ):
        name, problem = message.split(": ", 1)
        response = client.post("/settings/matching", data=form(client, **changes))
        assert response.status_code == 400, changes
        page = html(response)
        assert message in refused(page, "Nothing was saved:"), message
        assert field_error(page, name) == problem
        preview = client.post(
            "/settings/matching/preview", data=form(client, **changes), headers={"HX-Request": "true"}
        )
        assert preview.status_code == 400 and message in refused(html(preview), "Not previewed:")
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
    assert preview.status_code == 200
    ranking = html(preview)
    assert ranking.count("title") == 0 and ranking.count("header.top, #matching-form") == 0  # a fragment
    assert ranking.count("p.ranking-summary") == 1
    queue_rows = ranking.all('table.ranking-changes tr.ranking-change[data-kind="queue"]')
    listed = {row["data-album"] for row in queue_rows}
    assert {by_id[a] for a in listed} == {"Autobahn (2009 Remaster)", "Never Gonna Give You Up"}

    saved = client.post("/settings/matching", data=draft)
    assert saved.status_code == 200
    assert html(saved).text('p.flash.ok[role="status"]').endswith(" of the queue re-scored.")
    after = {str(m["album_id"]): m["strength"] for m in await FixMatch.select()}
    changed = {album_id for album_id in after if after[album_id] != before[album_id]}
    assert changed == listed
    queue = html(client.get("/albums/broken?strength=strong"))
    for album_id in listed:
        queue.one(f"#album-{album_id}")
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
    summary = html(again).one("p.ranking-summary")
    assert summary.text_of("b") == "0" and summary.text.endswith(" 0 would change.")
