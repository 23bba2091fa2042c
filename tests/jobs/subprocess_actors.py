"""Actors for the `llama worker` subprocess tests (queue `test_subprocess`)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import dramatiq

from app.catalog.artists import find_or_create_artist
from app.catalog.records import ArtistInput
from tasks.broker import get_broker

QUEUE = "test_subprocess"
broker = get_broker()


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)
async def t_create_artist(mbid: str, marker: str = "", hold_s: float = 0.0) -> None:
    """Find-or-create an artist by MusicBrainz id (unique), then hold the message on first delivery."""
    await find_or_create_artist(
        ArtistInput(name=f"Artist {mbid[:8]}", musicbrainz_id=mbid),
        operation_path="test",
        sources=["MUSICBRAINZ"],
    )
    if marker and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        await asyncio.sleep(hold_s)  # the test kills the worker here
