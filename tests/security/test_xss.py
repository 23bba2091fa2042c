"""XSS: hostile album titles, artist names, track titles, error messages and filter values render
inert on every GET page of the app (crawled from its route table) and come back as data in JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.catalog.records import TrackInput
from app.catalog.tables import Track
from app.llamalog.context import JobContext, job_scope
from app.llamalog.logger import record
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album
from tests.security.routes import fill, routes

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)", "<img src=x onerror")


async def _hostile() -> dict[str, Any]:
    tracks = (TrackInput(title=SCRIPT, track_number=1), TrackInput(title=IMG, track_number=2))
    album = await manual_album(title=SCRIPT, artist=IMG, tracks=tracks)
    await update_album(album.id, {"title": IMG}, expected_version=1)  # a CORRECTED row: before/after
    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        await record(
            entity_type="ALBUM",
            entity_id=album.id,
            operation="album:failed:enrichment",
            status="FAILED",
            entity_label=SCRIPT,
            error_code="UPSTREAM",
            error_message=IMG,
            metadata={"raw": SCRIPT},
        )
    row = (
        await LlamaLog.select(LlamaLog.root_job_id, LlamaLog.artist_id)
        .where(LlamaLog.entity_type == "ARTIST")
        .first()
    )
    track_ids = [t["id"] for t in await Track.select(Track.id).where(Track.album == album.id)]
    return {
        "album_id": album.id,
        "track_id": track_ids[0],
        "entity_type": "ALBUM",
        "entity_id": album.id,
        "log_id": 1,
        "job_id": row["root_job_id"],
        "ident": [album.id, row["artist_id"], track_ids[1], row["root_job_id"]],
        "kind": ["album", "artist", "track", "job"],
        "name": "sync_spotify",
    }


def _inert(url: str, response: Any) -> None:
    assert response.status_code < 500, f"{url}: {response.status_code}"
    for tag in RAW:
        assert tag not in response.text, f"{url} ({response.status_code}) renders {tag!r} raw"


async def test_every_page_renders_hostile_text_inert(client: Any) -> None:
    values = await _hostile()
    pages = [p for p in routes("GET") if not p.endswith("/stream")]
    assert "/logs" in pages and "/albums/{album_id:uuid}" in pages
    seen = 0
    for path in pages:
        for url in fill(path, values):
            for query in ("", "?q=" + IMG.replace("#", ""), "?q=" + SCRIPT):
                _inert(url + query, client.get(url + query))
                _inert(url + query, client.get(url + query, headers={"HX-Request": "true"}))
                seen += 1
    assert seen > 40


async def test_json_returns_hostile_text_as_data(client: Any) -> None:
    values = await _hostile()
    logs = client.get("/api/logs").json()["rows"]
    assert {SCRIPT, IMG} <= {r["entity_label"] for r in logs}
    assert any(r["error_message"] == IMG and r["metadata"] == {"raw": SCRIPT} for r in logs)
    chain = client.get(f"/api/chain/ALBUM/{values['album_id']}")
    changes = [r["changes"] for r in chain.json()["rows"] if r["category"] == "CORRECTED"]
    assert changes == [{"title": {"before": SCRIPT, "after": IMG}}]
    for url in ("/api/logs", f"/api/chain/ALBUM/{values['album_id']}", "/api/albums", "/api/jobs"):
        response = client.get(url)
        assert response.headers["content-type"].startswith("application/json"), url
        json.loads(response.text)  # data, not markup
        for tag in RAW:
            assert tag not in response.text, f"{url}: raw {tag!r} (a browser sniffing it would run it)"


@pytest.mark.parametrize("field", ["title", "artist"])
async def test_the_add_album_form_echoes_hostile_input_inert(client: Any, field: str) -> None:
    form = {"_csrf_token": client.cookies.get("llama_csrf"), "title": "", "artist": ""}
    form[field] = SCRIPT + IMG + "x" * 3000  # too long: the form comes back with the input in it
    response = client.post("/albums/new", data=form)
    assert response.status_code == 422
    _inert("/albums/new", response)
