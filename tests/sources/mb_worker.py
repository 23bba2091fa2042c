"""A worker process for the limiter test: MusicBrainz lookups through the shared limiter.

python -m tests.sources.mb_worker --count 5 --barrier DIR
(announces itself with DIR/ready-<pid>, then waits for DIR/go so that every worker starts together;
MUSICBRAINZ_URL, MUSICBRAINZ_RATE, REDIS_URL, REDIS_NAMESPACE come from the environment.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

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
    parser.add_argument("--barrier", type=Path, required=True)
    args = parser.parse_args()
    # Workers yield the CPU to the fake, whose clock is the one being judged.
    os.nice(5)
    (args.barrier / f"ready-{os.getpid()}").touch()
    while not (args.barrier / "go").exists():
        time.sleep(0.005)
    asyncio.run(run(args.count))


if __name__ == "__main__":
    main()
