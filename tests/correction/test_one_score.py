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

NEVERMIND = "76df3287-6cda-33eb-8e9a-044b5e15ffdd"
NEVERMIND_DELUXE = "c8e4e798-1704-5873-afcb-32f0ec54c07e"
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    lookup.forget()
    yield
    lookup.forget()


_POINTS = re.compile(r'<tr class="fix-component"[^>]*>.*?<td class="mono">(\d+ / \d+)</td>', re.S)


def _listed(html: str) -> dict[str, tuple[int, list[str]]]:
    """Each candidate's score and its breakdown (points / weight per component) as the list shows them."""
    found = {}
    for item in html.split('<li class="fix-candidate"')[1:]:
        head = re.match(r' data-key="([^"]+)" data-score="(\d+)"', item)
        assert head is not None
        found[head[1]] = (int(head[2]), _POINTS.findall(item.split("</li>")[0]))
    return found


def _previewed(html: str) -> tuple[int, list[str]]:
    total = re.search(r"score (\d+)/100", html)
    assert total is not None
    return int(total[1]), _POINTS.findall(html)


async def test_list_preview_and_corrected_row_show_the_same_score(upstream: Any, client: Any) -> None:
    created = await payloads.spotify_album("album-rp939yaauRq24DQAUDWpxT-nevermind")
    album_url = f"/albums/{created.id}"
    listed = _listed(client.get(f"{album_url}/fix/candidates", headers=HX).text)
    assert {f"musicbrainz:{NEVERMIND}", f"musicbrainz:{NEVERMIND_DELUXE}"} <= set(listed)

    for key in (f"musicbrainz:{NEVERMIND}", f"musicbrainz:{NEVERMIND_DELUXE}"):
        preview = client.get(f"{album_url}/fix/preview", params={"key": key}, headers=HX).text
        assert _previewed(preview) == listed[key], key

    key = f"musicbrainz:{NEVERMIND}"
    preview = client.get(f"{album_url}/fix/preview", params={"key": key}, headers=HX).text
    version = re.search(r'name="version" value="(\d+)"', preview)
    assert version is not None
    ticked = re.findall(r'<input type="checkbox" name="field" value="([^"]+)"[^>]*checked>', preview)
    response = client.post(
        f"{album_url}/fix/apply",
        data={"key": key, "version": version[1], "field": ticked},
        headers={**HX, **csrf(client)},
    )
    assert response.status_code == 200, response.text
    row = await LlamaLog.select().where(LlamaLog.operation == "album:corrected:musicbrainz").first()
    assert row is not None
    metadata = row["metadata"]
    stored = (json.loads(metadata) if isinstance(metadata, str) else metadata)["score"]
    assert stored["total"] == listed[key][0]
    assert [f"{c['points']} / {c['weight']}" for c in stored["components"]] == listed[key][1]
