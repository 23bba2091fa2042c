"""/api/albums and /api/albums/{id}: the /albums service as JSON, with the same filters and cursor."""

from __future__ import annotations

import uuid
from typing import Any

from tests.factories import manual_album, tracklist


async def test_api_lists_with_filters_and_cursor(client: Any) -> None:
    for i in range(3):
        await manual_album(title=f"Album {i}", artist="Kat Moda", tracks=tracklist(i))
    first = client.get("/api/albums?sort=title&limit=2")
    assert first.status_code == 200
    body = first.json()
    assert [a["title"] for a in body["albums"]] == ["Album 0", "Album 1"]
    assert body["albums"][0]["artists"][0]["name"] == "Kat Moda"
    assert body["albums"][0]["broken_reasons"][0] == "NO_TRACKS"
    second = client.get(body["next"]).json()
    assert [a["title"] for a in second["albums"]] == ["Album 2"] and second["next"] is None
    broken = client.get("/api/albums?reason=NO_TRACKS").json()
    assert [a["title"] for a in broken["albums"]] == ["Album 0"]
    assert [a["title"] for a in client.get("/api/albums?q=album 1").json()["albums"]] == ["Album 1"]


async def test_api_album_has_artists_and_tracks(client: Any) -> None:
    album = await manual_album(title="Detailed", artist="Someone", tracks=tracklist(2))
    body = client.get(f"/api/albums/{album.id}").json()
    assert body["title"] == "Detailed" and body["version"] == 1
    assert [a["name"] for a in body["artists"]] == ["Someone"]
    assert [(t["disc_number"], t["track_number"], t["title"]) for t in body["tracks"]] == [
        (1, 1, "Track 1"),
        (1, 2, "Track 2"),
    ]
    missing = client.get(f"/api/albums/{uuid.uuid4()}")
    assert missing.status_code == 404


def test_api_bad_input_is_a_json_400(client: Any) -> None:
    for url, message in (
        ("/api/albums?quality=SUPERB", "quality: unknown value"),
        ("/api/albums?cursor=%%%", "cursor: not a cursor"),
        ("/api/albums?limit=0", "limit: must be between 1 and 200"),
    ):
        response = client.get(url)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/json")
        assert message in response.json()["detail"]


def test_api_needs_login(anon_client: Any) -> None:
    assert anon_client.get("/api/albums").status_code == 401
    assert anon_client.get(f"/api/albums/{uuid.uuid4()}").status_code == 401


def test_openapi_lists_the_album_api(client: Any) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert "/api/albums" in schema["paths"] and "/api/albums/{album_id}" in schema["paths"]
