"""Sync import against the local fake upstream with the limiter off: albums/s and statements per album.

    DATABASE_URL=… python -m bench.sync --albums 200

The fake serves a Spotify new-releases listing of `albums` albums of 12 tracks each (made from a
recorded album); app.catalog.sync.sync_spotify imports them in one job, as the actor does.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import upstream
from bench.generate import fresh_database
from bench.served import counting

TRACKS = 12


async def measure(albums: int) -> dict[str, Any]:
    import tasks.actors  # noqa: F401 - as every entry point does: the jobs it enqueues need the actors wired
    from app.catalog.sync import sync_spotify
    from app.catalog.tables import Album, Track
    from app.config import get_settings
    from app.db import engine
    from app.llamalog.context import JobContext, job_scope
    from app.llamalog.tables import LlamaLog

    db: Any = engine()
    if get_settings().is_postgres:  # as in a worker process: one pool for the loop
        await db.start_connection_pool(min_size=1, max_size=4)
    with counting() as statements, job_scope(JobContext.new_root(triggered_by="manual")):
        started = time.perf_counter()
        result = await sync_spotify(max_albums=albums)
        seconds = time.perf_counter() - started
    created = len(result.created)
    assert created == albums and result.failed == 0, result
    figures = {
        "albums": created,
        "seconds": round(seconds, 2),
        "albums_per_s": round(created / seconds, 2),
        "statements": statements[0],
        "statements_per_album": round(statements[0] / created, 1),
        "tracks": await Track.count(),
        "log_rows": await LlamaLog.count(),
        "log_rows_per_album": round(await LlamaLog.count() / created, 1),
        "albums_on_file": await Album.count(),
    }
    if get_settings().is_postgres:
        await db.close_connection_pool()
    return figures


def run(albums: int) -> dict[str, Any]:
    from app.demo.fake_process import FakeUpstreamProcess

    root = Path(tempfile.mkdtemp(prefix="llama-bench-sync-"))
    upstream.build(root, albums=albums, tracks=TRACKS)
    with FakeUpstreamProcess(root=root) as fake:
        os.environ.update({**fake.env(), "MUSICBRAINZ_RATE": "0", "LLAMALOG_CONSOLE": "0"})
        asyncio.run(fresh_database(os.environ["DATABASE_URL"]))
        figures = asyncio.run(measure(albums))
    database = "Postgres" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    where = f"{database}, {albums} albums of {TRACKS} tracks, limiter off"
    return {
        "name": "sync",
        "database": database.lower(),
        **figures,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": [
            {
                "benchmark": f"Spotify sync import against the local fake ({where})",
                "measured": (
                    f"{figures['albums_per_s']} albums/s; {figures['statements_per_album']} statements and "
                    f"{figures['log_rows_per_album']} log rows per album"
                ),
                "target": "(reported)",
                "met": None,
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--albums", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.albums)))


if __name__ == "__main__":
    main()
