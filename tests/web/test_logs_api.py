"""GET /api/chain/{entity_type}/{entity_id} and /api/logs: JSON, filters, cursors, 400s."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.catalog.albums import update_album
from tests.factories import manual_album, tracklist


async def test_chain_api_returns_rows_and_follows_next(client: Any) -> None:
    created = await manual_album(title="API Album", tracks=tracklist(4))
    url = f"/api/chain/ALBUM/{created.id}?limit=2"
    ids: list[int] = []
    while url:
        body = client.get(url).json()
        ids.extend(row["id"] for row in body["rows"])
        url = body["next"]
    assert len(ids) == 6 and ids == sorted(ids)


async def test_chain_api_repeated_category(client: Any) -> None:
    created = await manual_album(title="Cats", tracks=tracklist(1))
    await update_album(created.id, {"title": "Cats 2"}, expected_version=1)
    body = client.get(f"/api/chain/album/{created.id}?category=CORRECTED&category=LINKED").json()
    assert [r["category"] for r in body["rows"]] == ["CORRECTED"]
    assert body["rows"][0]["changes"] == {"title": {"before": "Cats", "after": "Cats 2"}}


async def test_logs_api_newest_first_with_filters(client: Any) -> None:
    created = await manual_album(title="Newest", tracks=tracklist(2))
    await update_album(created.id, {"title": "Newest 2"}, expected_version=1)
    rows = client.get("/api/logs").json()["rows"]
    assert rows[0]["category"] == "CORRECTED"
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    only_tracks = client.get("/api/logs?entity_type=TRACK").json()["rows"]
    assert len(only_tracks) == 2
    assert client.get("/api/logs?q=newest 2").json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=NOPE", "category: unknown value"),
        ("entity_type=PLAYLIST", "entity_type: unknown value"),
        ("status=MAYBE", "status: unknown value"),
        ("source=NAPSTER", "source: unknown value"),
        ("since=yesterday", "since: 'yesterday' is not a date"),
        ("until=2026-02-30", "until: '2026-02-30' is not a date"),
        ("cursor=%27%3B+DROP+TABLE+llama_log%3B--", "cursor: not a cursor"),
        ("limit=501", "limit: must be between 1 and 500"),
        ("job=42", "job: '42' is not a job id"),
        ("since=2026-02-02&until=2026-02-01", "since: must be before until"),
    ],
)
def test_bad_parameters_are_400_with_a_clear_message(client: Any, query: str, message: str) -> None:
    for url in (f"/api/logs?{query}", f"/api/chain/ALBUM/{uuid.uuid4()}?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.json()["detail"]


def test_unknown_entity_type_in_path_is_400(client: Any) -> None:
    response = client.get(f"/api/chain/PLAYLIST/{uuid.uuid4()}")
    assert response.status_code == 400
    assert "entity_type" in response.json()["detail"]


def test_sql_metacharacters_in_text_filters_are_just_text(client: Any) -> None:
    for value in ("' OR 1=1 --", '"; DROP TABLE album; --', "%_%", "\\"):
        response = client.get("/api/logs", params={"q": value, "operation": value})
        assert response.status_code == 200
        assert response.json()["rows"] == []


async def test_like_wildcards_in_q_match_only_themselves(client: Any) -> None:
    await manual_album(title="100% Pure_Joy", artists=())
    await manual_album(title="Plain Title", artists=())
    for q, expected in (("%", 1), ("_", 1), ("0% p", 1), ("pure_joy", 1), ("x%y", 0)):
        rows = client.get("/api/logs", params={"q": q, "entity_type": "ALBUM"}).json()["rows"]
        assert len(rows) == expected, q
