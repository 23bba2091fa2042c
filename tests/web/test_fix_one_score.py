"""A candidate has one score: the same number and breakdown in the list, the preview and the log row."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.correction import lookup
from app.llamalog.tables import LlamaLog
from tests.conftest import csrf
from tests.correction import payloads
from tests.html_query import Page, Query, html

NEVERMIND = "76df3287-6cda-33eb-8e9a-044b5e15ffdd"
NEVERMIND_DELUXE = "c8e4e798-1704-5873-afcb-32f0ec54c07e"
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    lookup.forget()
    yield
    lookup.forget()


def _points(within: Query) -> list[str]:
    """The breakdown as shown: points / weight per component."""
    return [row.text_of("td.mono") for row in within.all("tr.fix-component")]


def _listed(page: Page) -> dict[str, tuple[int, list[str]]]:
    """Each candidate's score and its breakdown as the list shows them."""
    return {li["data-key"]: (int(li["data-score"]), _points(li)) for li in page.all("li.fix-candidate")}


def _previewed(page: Page) -> tuple[int, list[str]]:
    total = re.search(r"score (\d+)/100", page.text())
    assert total is not None
    return int(total[1]), _points(page)


async def test_list_preview_and_corrected_row_show_the_same_score(upstream: Any, client: Any) -> None:
    created = await payloads.spotify_album("album-rp939yaauRq24DQAUDWpxT-nevermind")
    album_url = f"/albums/{created.id}"
    listed = _listed(html(client.get(f"{album_url}/fix/candidates", headers=HX)))
    assert {f"musicbrainz:{NEVERMIND}", f"musicbrainz:{NEVERMIND_DELUXE}"} <= set(listed)

    for key in (f"musicbrainz:{NEVERMIND}", f"musicbrainz:{NEVERMIND_DELUXE}"):
        preview = html(client.get(f"{album_url}/fix/preview", params={"key": key}, headers=HX))
        assert _previewed(preview) == listed[key], key

    key = f"musicbrainz:{NEVERMIND}"
    preview = html(client.get(f"{album_url}/fix/preview", params={"key": key}, headers=HX))
    version = preview.one('input[name="version"]')["value"]
    ticked = [box["value"] for box in preview.all('input[type="checkbox"][name="field"][checked]')]
    response = client.post(
        f"{album_url}/fix/apply",
        data={"key": key, "version": version, "field": ticked},
        headers={**HX, **csrf(client)},
    )
    assert response.status_code == 200, response.text
    row = await LlamaLog.select().where(LlamaLog.operation == "album:corrected:musicbrainz").first()
    assert row is not None
    metadata = row["metadata"]
    stored = (json.loads(metadata) if isinstance(metadata, str) else metadata)["score"]
    assert stored["total"] == listed[key][0]
    assert [f"{c['points']} / {c['weight']}" for c in stored["components"]] == listed[key][1]
