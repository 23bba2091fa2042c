"""Actors for the Redis drill's `llama worker` subprocess (queue `drill_redis`)."""

from __future__ import annotations

import asyncio

import dramatiq
from dramatiq.middleware import CurrentMessage

from app.catalog.artists import find_or_create_artist
from app.catalog.records import ArtistInput
from tasks.broker import get_broker

QUEUE = "drill_redis"
broker = get_broker()
if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
    broker.add_middleware(CurrentMessage())  # d_fail_first reads its retry count


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=3, min_backoff=200, max_backoff=1000)
async def d_create_artist(mbid: str, hold_s: float = 0.0) -> None:
    """Find-or-create an artist by MusicBrainz id (unique), taking `hold_s` like real work does."""
    await _create_artist(mbid, hold_s)


async def _create_artist(mbid: str, hold_s: float) -> None:
    await find_or_create_artist(
        ArtistInput(name=f"Artist {mbid[:8]}", musicbrainz_id=mbid),
        operation_path="drill",
        sources=["MUSICBRAINZ"],
    )
    await asyncio.sleep(hold_s)


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=3, min_backoff=8000, max_backoff=10000)
async def d_fail_first(mbid: str, hold_s: float = 0.0) -> None:
    """Fails its first run (its retry then waits ~8-10 s in the delay queue), then does the work."""
    message = CurrentMessage.get_current_message()
    if message is None or not message.options.get("retries"):
        raise RuntimeError("the first run fails")
    await _create_artist(mbid, hold_s)
