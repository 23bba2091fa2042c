"""The catalog tables of a planned dataset: albums, artists, links, tracks and the runs as jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from app.catalog.names import fold
from app.catalog.state import broken_reasons, data_quality, encode_reasons
from bench.dataset import GENRES, SYNC_EVERY, Plan


def album_rows(p: Plan) -> Iterator[tuple[Any, ...]]:
    for a in p.albums:
        mbid = str(uuid.UUID(int=a.id.int ^ 0xABCDEF)) if a.enriched else None
        last = a.enrichments[-1] if a.enriched else None
        state = {
            "track_count": len(a.tracks) + (1 if a.index % 41 == 0 else 0),
            "release_date": f"{1960 + a.index % 60}-0{1 + a.index % 9}" if a.enriched else None,
            "musicbrainz_id": mbid,
            "cover_art_url": f"https://coverartarchive.org/release/{mbid}/front-500.jpg" if mbid else None,
        }
        reasons = broken_reasons(state, len(a.tracks), 1)
        yield (
            a.id, a.title, state["release_date"], "album" if a.index % 5 else "ep", "official", "GB",
            [GENRES[a.index % len(GENRES)]] if a.enriched else [], state["track_count"],
            sum(180_000 + n * 1000 for n in range(len(a.tracks))), state["cover_art_url"],
            f"Label {a.index % 300}", mbid, a.spotify_id, "SPOTIFY", data_quality(state, len(a.tracks), 1),
            "COMPLETED" if a.enriched else "UNENRICHED", last, len(a.tracks), encode_reasons(reasons),
            1, a.synced_at, last or a.synced_at,
        )  # fmt: skip


def artist_rows(p: Plan) -> Iterator[tuple[Any, ...]]:
    first_seen: dict[int, dt.datetime] = {}
    for a in p.albums:
        first_seen.setdefault(a.artist, a.synced_at)
    for index, (artist_id, name) in enumerate(p.artists):
        when = first_seen.get(index, p.start)
        yield (artist_id, name, name, f"sp:ar{index}", fold(name), f"ar{index}", when, when)


def album_artist_rows(p: Plan) -> Iterator[tuple[Any, ...]]:
    for a in p.albums:
        yield (uuid.UUID(int=a.id.int ^ 1), a.id, p.artists[a.artist][0], "primary", 0, "")


def track_rows(p: Plan) -> Iterator[tuple[Any, ...]]:
    for a in p.albums:
        for number, (track_id, title) in enumerate(a.tracks, 1):
            isrc = f"US{a.index % 1000:03d}{number:02d}00000" if a.enriched else None
            yield (track_id, a.id, title, 1, number, 180_000 + number * 1000, isrc, None, a.synced_at,
                   a.synced_at)  # fmt: skip


def job_rows(p: Plan) -> Iterator[tuple[Any, ...]]:
    """The sync runs and the nightly enrichment runs (the root jobs of the log)."""
    per_run: dict[int, int] = {}
    for a in p.albums:
        per_run[a.run] = per_run.get(a.run, 0) + 1
    for run, job_id in enumerate(p.runs):
        when = p.start + run * SYNC_EVERY
        n = per_run.get(run, 0)
        yield (job_id, "sync", "sync_spotify", "succeeded", n, n, n, job_id, "scheduled", when, when,
               when + dt.timedelta(seconds=1.3 * n + 2))  # fmt: skip
    for day, job_id in sorted(p.batches.items()):
        when = p.start + dt.timedelta(days=day)
        yield (job_id, "enrich-batch", "enrich_batch", "succeeded", 0, 0, 0, job_id, "scheduled", when, when,
               when + dt.timedelta(hours=23))  # fmt: skip
