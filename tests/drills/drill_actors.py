"""Actors for the Redis drill's `llama worker` subprocess (queue `drill_redis`)."""

from __future__ import annotations

import asyncio

import dramatiq

from app.catalog.artists import find_or_create_artist
from app.catalog.records import ArtistInput
from tasks.broker import get_broker

QUEUE = "drill_redis"
broker = get_broker()


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=3, min_backoff=200, max_backoff=1000)
async def d_create_artist(mbid: str, hold_s: float = 0.0) -> None:
    """Find-or-create an artist by MusicBrainz id (unique), taking `hold_s` like real work does."""
    await find_or_create_artist(
        ArtistInput(name=f"Artist {mbid[:8]}", musicbrainz_id=mbid),
        operation_path="drill",
        sources=["MUSICBRAINZ"],
    )
    await asyncio.sleep(hold_s)
