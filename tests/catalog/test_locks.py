"""Locks: what a correction set, a later enrichment leaves alone and says so in its row."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from app.catalog.enrich import enrich_album
from app.catalog.locks import fields_to_update
from app.catalog.tables import Album
from app.correction import lookup
from app.correction.apply import apply_candidate
from app.llamalog.context import job_scope, user_job
from app.llamalog.tables import LlamaLog
from tests.correction import payloads


def test_fields_to_update_splits_locked_from_allowed() -> None:
    album = {"locked_fields": ["title", "barcode"], "title": "Mine", "barcode": "12345678", "label": None}
    allowed, skipped = fields_to_update(album, {"title": "Theirs", "barcode": "12345678", "label": "L"})
    assert allowed == {"label": "L"}
    assert skipped == ["title"]  # barcode is locked too, but nothing would change


async def test_enrichment_after_a_correction_leaves_locked_fields_alone(upstream: Any) -> None:
    lookup.forget()
    created = await payloads.spotify_album("album-YTgiLpQ8TUpjNsqpgsb90o-kat-moda-trackless")
    # The admin knows better than MusicBrainz here: the promo's catalog number, filed as an album.
    chosen = replace(payloads.kat_moda(), catalog_number="PMD002-PROMO", release_type="album")
    with job_scope(user_job(1, "admin")):
        await apply_candidate(
            created.id,
            chosen,
            expected_version=1,
            take_fields={"catalog_number", "release_type", "musicbrainz_id"},
            take_tracks={"new-1-1", "new-1-2", "new-1-3"},
        )
    result = await enrich_album(created.id)
    album = await Album.select().where(Album.id == created.id).first()
    assert album["catalog_number"] == "PMD002-PROMO" and album["release_type"] == "album"
    assert {"catalog_number", "release_type"} <= set(result.skipped_locked)
    row = await LlamaLog.select().where(LlamaLog.operation == "album:enriched:musicbrainz").first()
    meta = json.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
    assert {"catalog_number", "release_type"} <= set(meta["skipped_locked_fields"])
    changes = json.loads(row["changes"]) if isinstance(row["changes"], str) else row["changes"] or {}
    assert "catalog_number" not in changes and "release_type" not in changes
