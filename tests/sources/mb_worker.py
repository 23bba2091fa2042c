"""A worker process for the limiter test: MusicBrainz lookups through the shared limiter.

python -m tests.sources.mb_worker --count 5 --start-at <epoch seconds>
(MUSICBRAINZ_URL, MUSICBRAINZ_RATE, REDIS_URL, REDIS_NAMESPACE come from the environment.)
"""

from __future__ import annotations

import argparse
import asyncio
import time

from app.sources.musicbrainz import MusicBrainzClient

PLUS = "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032"


async def run(count: int) -> None:
    client = MusicBrainzClient()
    for _ in range(count):
        await client.release(PLUS)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args()
    # Every worker starts at the same moment, so they compete for the same slots.
    time.sleep(max(0.0, args.start_at - time.time()))
    asyncio.run(run(args.count))


if __name__ == "__main__":
    main()
