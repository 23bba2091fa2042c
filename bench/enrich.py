"""Enrichment of an album with 20 tracks, LlamaLog on vs off, against the local fake upstream.

    DATABASE_URL=… python -m bench.enrich --rounds 40

Each round creates two fresh 20-track albums (untimed) whose tracks lack durations, ISRCs and
recording ids, then times app.catalog.enrich.enrich_album on each: one with record() as it is, one
with record() and record_many() replaced by no-ops in every module that imported them (no row built,
no INSERT; everything else the same). The order alternates per round. The fake upstream runs in its
own process serving 20-track releases made from the recorded ones; the MusicBrainz limiter is off.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import upstream
from bench.generate import fresh_database
from bench.served import counting

TARGET = 1.25
TRACKS = 20


@contextmanager
def logging_off() -> Iterator[None]:
    """record() and record_many() as no-ops in every module that imported them."""
    from app.llamalog import logger

    async def no_record(**_fields: Any) -> None:
        return None

    async def no_record_many(_entries: Any) -> list[Any]:
        return []

    swapped: list[tuple[Any, str, Any]] = []
    for name, stand_in in (("record", no_record), ("record_many", no_record_many)):
        real = getattr(logger, name)
        for module in list(sys.modules.values()):
            if getattr(module, name, None) is real:
                setattr(module, name, stand_in)
                swapped.append((module, name, real))
    try:
        yield
    finally:
        for module, name, real in swapped:
            setattr(module, name, real)


async def _album(mbid: str, index: int) -> Any:
    from app.catalog.albums import create_album
    from app.catalog.records import AlbumInput, ArtistInput, TrackInput
    from app.llamalog.context import JobContext, job_scope

    tracks = tuple(TrackInput(title=f"Bench Track {n}", track_number=n) for n in range(1, TRACKS + 1))
    album = AlbumInput(
        title=f"Bench Release {index}",
        musicbrainz_id=mbid,
        artists=(ArtistInput(name="Jeff Mills"),),
        tracks=tracks,
    )
    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        created = await create_album(album, operation_path="spotify-sync", sources=["SPOTIFY"])
    return created.id


async def _enrich(album_id: Any) -> tuple[float, int, Any]:
    from app.catalog.enrich import enrich_album
    from app.llamalog.context import JobContext, job_scope

    with counting() as statements, job_scope(JobContext.new_root(triggered_by="scheduled")):
        started = time.perf_counter()
        result = await enrich_album(album_id)
        seconds = time.perf_counter() - started
    return seconds, statements[0], result


async def measure(releases: list[str], rounds: int, warmup: int) -> dict[str, Any]:
    import tasks.actors  # noqa: F401 - as every entry point does: the jobs it enqueues need the actors wired
    from app.config import get_settings
    from app.db import engine
    from app.llamalog.tables import LlamaLog

    db: Any = engine()
    if get_settings().is_postgres:  # as in a worker process: one pool for the loop
        await db.start_connection_pool(min_size=1, max_size=4)

    samples: dict[str, list[float]] = {"on": [], "off": []}
    statements: dict[str, set[int]] = {"on": set(), "off": set()}
    rows: dict[str, set[int]] = {"on": set(), "off": set()}
    ids = iter(releases)
    for round_no in range(warmup + rounds):
        order = ("on", "off") if round_no % 2 == 0 else ("off", "on")
        for side in order:
            album_id = await _album(next(ids), round_no)
            before = await LlamaLog.count()
            if side == "off":
                with logging_off():
                    seconds, n, result = await _enrich(album_id)
            else:
                seconds, n, result = await _enrich(album_id)
            assert result.status == "SUCCESS" and result.tracks_enriched == TRACKS, result
            if round_no >= warmup:
                samples[side].append(seconds)
                statements[side].add(n)
                rows[side].add(await LlamaLog.count() - before)
    if get_settings().is_postgres:
        await db.close_connection_pool()
    on, off = statistics.median(samples["on"]), statistics.median(samples["off"])
    paired = statistics.median(a / b for a, b in zip(samples["on"], samples["off"], strict=True))
    return {
        "median_on_ms": round(on * 1000, 2),
        "median_off_ms": round(off * 1000, 2),
        "ratio": round(on / off, 3),
        "paired_ratio": round(paired, 3),
        "statements_on": sorted(statements["on"]),
        "statements_off": sorted(statements["off"]),
        "log_rows_on": sorted(rows["on"]),
        "log_rows_off": sorted(rows["off"]),
        "n": rounds,
    }


def run(rounds: int, warmup: int) -> dict[str, Any]:
    from app.demo.fake_process import FakeUpstreamProcess

    root = Path(tempfile.mkdtemp(prefix="llama-bench-upstream-"))
    made = upstream.build(root, releases=2 * (rounds + warmup), tracks=TRACKS)
    with FakeUpstreamProcess(root=root) as fake:
        os.environ.update({**fake.env(), "MUSICBRAINZ_RATE": "0", "LLAMALOG_CONSOLE": "0"})
        asyncio.run(fresh_database(os.environ["DATABASE_URL"]))
        figures = asyncio.run(measure(made["releases"], rounds, warmup))
    met = figures["ratio"] <= TARGET
    database = "Postgres" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    return {
        "name": "enrich",
        "database": database.lower(),
        **figures,
        "target": TARGET,
        "met": met,
        "note": (
            "logging off = record() and record_many() swapped for no-ops in every module that imported them; "
            "the track rows of an enrichment go in one INSERT (record_many); the fake upstream "
            "runs in its own process, so each enrichment includes one real HTTP lookup and its parsing."
        ),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": [
            {
                "benchmark": f"Enrich an album with {TRACKS} tracks, LlamaLog on vs off ({database})",
                "measured": (
                    f"{figures['ratio']}x ({figures['median_on_ms']:.1f} ms vs "
                    f"{figures['median_off_ms']:.1f} ms; "
                    f"paired {figures['paired_ratio']}x; rows {figures['log_rows_on']} vs "
                    f"{figures['log_rows_off']}; statements {figures['statements_on']} vs "
                    f"{figures['statements_off']})"
                ),
                "target": f"≤ {TARGET}x",
                "met": met,
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.rounds, args.warmup)))


if __name__ == "__main__":
    main()
