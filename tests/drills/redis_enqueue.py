"""Enqueue drill jobs (DRILL_ACTOR, d_create_artist by default) on REDIS_URL: prints their ids as JSON."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import tasks.actors  # noqa: F401 - as every entry point does: declares the actors, wires the broker
from app.jobs.launch import enqueue
from tests.drills import drill_actors  # noqa: F401 - declares the drill actor on this broker


async def main(mbids: list[str], hold_s: float) -> None:
    actor = os.environ.get("DRILL_ACTOR", "d_create_artist")
    ids = [await enqueue(actor, [mbid], {"hold_s": hold_s}) for mbid in mbids]
    print(json.dumps(ids))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[2:], float(sys.argv[1])))
