"""A realistic catalog and its LlamaLog, planned in memory and streamed as rows (seeded, repeatable).

Albums arrive through scheduled sync runs (a root job each): the album's CREATED row carries the run's
ids, its artist (CREATED the first time, LINKED after) and each track get child rows. Nightly
enrichment runs (root jobs) enrich albums in child jobs: ENRICHED + CACHED rows for the album, ENRICHED
rows for its tracks, FAILED rows for timeouts and misses. Admins correct a few albums (CORRECTED with
before/after). One showcase album has exactly `chain_rows` rows. Rows come out in time order, so ids
follow created_at as they do in production; the total is exactly `log_rows`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Size:
    name: str
    albums: int
    log_rows: int
    chain_rows: int
    days: int = 90
    # Postgres only (bench.generate): rows made by SQL before the planned span, `fill_days` long, copied
    # from the planned rows (the showcase album's chain excluded) with new ids and times.
    fill_rows: int = 0
    fill_days: int = 0


SIZES = {
    "full": Size("full", albums=50_000, log_rows=1_000_000, chain_rows=500),
    "sqlite": Size("sqlite", albums=10_000, log_rows=200_000, chain_rows=500),
    "smoke": Size("smoke", albums=100, log_rows=2_000, chain_rows=100),
    # `make bench-scale` (bench/scale.py): two years of log in monthly partitions.
    "scale": Size("scale", albums=200_000, log_rows=10_000_000, chain_rows=500, days=730),
    "scale-2m": Size("scale-2m", albums=40_000, log_rows=2_000_000, chain_rows=500, days=730),
    # The same 10M rows, generated fast: 1M planned rows (the last 90 days) and 9M SQL-made rows over
    # the 27 months before them (about 330k a month), ids following created_at throughout.
    "scale-fast": Size(
        "scale-fast",
        albums=40_000,
        log_rows=1_000_000,
        chain_rows=500,
        days=90,
        fill_rows=9_000_000,
        fill_days=820,
    ),
    "scale-fast-smoke": Size(
        "scale-fast-smoke",
        albums=200,
        log_rows=10_000,
        chain_rows=100,
        days=60,
        fill_rows=40_000,
        fill_days=400,
    ),
    "scale-smoke": Size("scale-smoke", albums=200, log_rows=20_000, chain_rows=100, days=400),
}

LOG_COLUMNS = (
    "id", "created_at", "entity_type", "entity_id", "album_id", "artist_id", "track_id", "category",
    "operation", "sources", "status", "reason", "fields_enriched", "changes", "data_quality_before",
    "data_quality_after", "error_message", "error_code", "retry_count", "duration_ms", "api_call_count",
    "metadata", "entity_label", "job_id", "parent_job_id", "root_job_id", "is_root_job", "triggered_by",
    "user_id", "username",
)  # fmt: skip
ALBUM_COLUMNS = (
    "id", "title", "release_date", "release_type", "release_status", "release_country", "genres",
    "track_count", "duration_ms", "cover_art_url", "label", "musicbrainz_id", "spotify_id", "source",
    "data_quality", "enrichment_status", "last_enriched_at", "tracks_present", "broken_reasons",
    "version", "created_at", "updated_at",
)  # fmt: skip
ARTIST_COLUMNS = (
    "id",
    "name",
    "sort_name",
    "dedup_key",
    "name_key",
    "spotify_id",
    "created_at",
    "updated_at",
)
ALBUM_ARTIST_COLUMNS = ("id", "album", "artist", "role", "position", "join_phrase")
TRACK_COLUMNS = (
    "id", "album", "title", "disc_number", "track_number", "duration_ms", "isrc", "spotify_id",
    "created_at", "updated_at",
)  # fmt: skip
JOB_COLUMNS = (
    "job_id", "kind", "actor", "status", "progress_done", "progress_total", "albums_created",
    "root_job_id", "triggered_by", "created_at", "started_at", "finished_at",
)  # fmt: skip

WORDS = (
    "Blue Night River Glass Electric Golden Silent Paper Northern Velvet Broken Summer Echo Iron "
    "Neon Hollow Wild Crystal Midnight Ocean Distant Burning Little Secret Lost Bright Cold Sweet"
).split()
NOUNS = "Hearts Lights Roads Dreams Waves Machines Gardens Stars Rooms Songs Fires Ghosts Birds".split()
GENRES = ("rock", "pop", "jazz", "electronic", "folk", "hip hop", "classical", "metal", "soul")
ERRORS = (
    ("MB_TIMEOUT", "musicbrainz: no answer within 10 s (3 attempts)"),
    ("HTTP_503", "musicbrainz: 503 Service Unavailable after 3 attempts"),
    ("BAD_JSON", "coverart: response is not JSON (text/html)"),
    ("NO_MATCH", "musicbrainz: no release matches title and artist"),
)
SYNC_EVERY = dt.timedelta(hours=6)
ROW_STEP = dt.timedelta(milliseconds=4)
ADMIN_ID, ADMIN_NAME = 1, "admin"


@dataclass
class AlbumPlan:
    index: int
    id: uuid.UUID
    title: str
    artist: int
    tracks: list[tuple[uuid.UUID, str]]
    synced_at: dt.datetime
    run: int
    spotify_id: str
    enriched: bool = False
    failed_track: bool = False
    enrichments: list[dt.datetime] = field(default_factory=list)


@dataclass
class Plan:
    size: Size
    end: dt.datetime
    albums: list[AlbumPlan]
    artists: list[tuple[uuid.UUID, str]]
    runs: list[uuid.UUID]
    batches: dict[int, uuid.UUID]
    events: list[tuple[dt.datetime, int, str, int, int]]  # (time, seq, kind, album index, rows)
    showcase: int

    @property
    def start(self) -> dt.datetime:
        return self.end - dt.timedelta(days=self.size.days)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _title(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)} {rng.choice(NOUNS)}"


def plan(size: Size, *, seed: int = 42, end: dt.datetime | None = None) -> Plan:
    """Decide every album, artist, track and event; exactly `size.log_rows` rows in all."""
    rng = random.Random(seed)
    end = end or dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(days=size.days)
    n_runs = int((size.days - 5) * dt.timedelta(days=1) / SYNC_EVERY)
    runs = [_uuid(rng) for _ in range(n_runs)]
    artists = [(_uuid(rng), f"The {_title(rng)} {i}") for i in range(max(1, size.albums // 4))]
    showcase = size.albums // 3
    albums: list[AlbumPlan] = []
    for i in range(size.albums):
        n_tracks = 20 if i == showcase else (0 if rng.random() < 0.03 else rng.randint(6, 14))
        run = i * n_runs // size.albums
        first = (run * size.albums + n_runs - 1) // n_runs
        synced = start + run * SYNC_EVERY + dt.timedelta(seconds=1.3 * (i - first) + 1)
        albums.append(
            AlbumPlan(
                index=i,
                id=_uuid(rng),
                title=f"{_title(rng)} {i}",
                artist=rng.randrange(len(artists)),
                tracks=[(_uuid(rng), f"{_title(rng)} {t}") for t in range(1, n_tracks + 1)],
                synced_at=synced,
                run=run,
                spotify_id=f"sp{i:020d}",
                failed_track=n_tracks > 0 and rng.random() < 0.02 and i != showcase,
            )
        )
    events: list[tuple[dt.datetime, int, str, int, int]] = []

    def add(when: dt.datetime, kind: str, index: int, rows: int) -> None:
        events.append((when, len(events), kind, index, rows))

    for album in albums:
        add(album.synced_at, "sync", album.index, 2 + len(album.tracks) + album.failed_track)
    budget = size.log_rows - sum(e[4] for e in events)
    shown = albums[showcase]
    chain_left = size.chain_rows - events[showcase][4]
    day = dt.timedelta(days=1)
    when = shown.synced_at
    while chain_left >= 22:  # enrichment runs on the showcase album: 1 + 20 tracks + CACHED
        when = min(when + rng.uniform(0.5, 2.5) * day, end - day)
        add(when, "enrich", showcase, 22)
        shown.enrichments.append(when)
        shown.enriched = True
        chain_left -= 22
    for _ in range(chain_left):
        when = min(when + rng.uniform(0.01, 0.3) * day, end - dt.timedelta(hours=1))
        add(when, "correct", showcase, 1)
    budget -= size.chain_rows - events[showcase][4]
    for album in albums[5::97]:
        when = album.synced_at + rng.uniform(1, 20) * day
        if album.index != showcase and budget > 0 and when < end:
            add(when, "correct", album.index, 1)
            budget -= 1
    if budget < 0:
        raise ValueError(f"{size.name}: {size.log_rows} rows cannot hold {size.albums} albums")
    order = [a for a in albums if a.index != showcase]
    rng.shuffle(order)
    batches: dict[int, uuid.UUID] = {}
    for _pass in range(50):
        for album in order:
            if budget <= 0:
                break
            last = album.enrichments[-1] if album.enrichments else album.synced_at
            when = last + rng.uniform(0.3, 10 if not album.enrichments else 30) * day
            if when >= end:
                continue
            rows = min(budget, 1 if rng.random() < 0.05 else 2 + len(album.tracks))
            add(when, "enrich", album.index, rows)
            album.enrichments.append(when)
            album.enriched = album.enriched or rows > 1
            budget -= rows
        if budget <= 0:
            break
    if budget:
        raise ValueError(f"{size.name}: could not place {budget} enrichment rows")
    for when, _seq, kind, _index, _rows in events:
        days = (when - start).days
        if kind != "enrich":
            continue
        if days not in batches:
            batches[days] = _uuid(rng)
    events.sort()
    return Plan(size, end, albums, artists, runs, batches, events, showcase)


@dataclass
class Draft:
    """One log row before it gets its id and time: what it is about and under which job."""

    entity_type: str
    entity_id: Any
    category: str
    operation: str
    job: tuple[Any, Any, Any, str]  # job_id, parent_job_id, root_job_id, triggered_by
    artist_id: Any = None
    track_id: Any = None
    sources: tuple[str, ...] = ("SPOTIFY",)
    status: str = "SUCCESS"
    fields: tuple[str, ...] = ()
    changes: Any = None
    quality: tuple[str | None, str | None] = (None, None)
    error: tuple[str, str] | None = None
    retries: int = 0
    duration: int | None = None
    calls: int = 0
    metadata: Any = None
    label: str | None = None
    user: bool = False

    def row(self, row_id: int, at: dt.datetime, album_id: Any) -> tuple[Any, ...]:
        job_id, parent, root, trigger = self.job
        code, message = self.error or (None, None)
        return (
            row_id, at, self.entity_type, self.entity_id, album_id, self.artist_id, self.track_id,
            self.category, self.operation, list(self.sources), self.status, None, list(self.fields),
            json.dumps(self.changes) if self.changes else None, self.quality[0], self.quality[1],
            message, code, self.retries, self.duration, self.calls,
            json.dumps(self.metadata) if self.metadata else None, self.label, job_id, parent, root,
            parent is None, trigger, ADMIN_ID if self.user else None, ADMIN_NAME if self.user else None,
        )  # fmt: skip


def _sync(p: Plan, album: AlbumPlan, rng: random.Random, seen_artists: set[int]) -> list[Draft]:
    """A sync run imports the album (root row), its artist and its tracks (child rows)."""
    run = p.runs[album.run]
    child = lambda: (_job(rng), run, run, "scheduled")  # noqa: E731
    artist_id, artist_name = p.artists[album.artist]
    verb = "linked" if album.artist in seen_artists else "created"
    seen_artists.add(album.artist)
    drafts = [
        Draft("ALBUM", album.id, "CREATED", "album:created:spotify-sync", (run, None, run, "scheduled"),
              label=album.title, metadata={"spotify_id": album.spotify_id}, calls=2,
              duration=rng.randint(40, 400)),
        Draft("ARTIST", artist_id, verb.upper(), f"artist:{verb}:spotify-sync", child(), artist_id=artist_id,
              label=artist_name),
    ]  # fmt: skip
    for number, (track_id, title) in enumerate(album.tracks, 1):
        metadata = {"disc_number": 1, "track_number": number}
        drafts.append(
            Draft("TRACK", track_id, "CREATED", "track:created:spotify-sync", child(), track_id=track_id,
                  label=title, metadata=metadata)
        )  # fmt: skip
    if album.failed_track:
        error = ("DUPLICATE_POSITION", "track 1-1 is already on file")
        drafts.append(
            Draft("TRACK", None, "FAILED", "track:failed:spotify-sync", child(), status="FAILED", error=error,
                  label="Bonus Track")
        )  # fmt: skip
    return drafts


def _enrich(p: Plan, album: AlbumPlan, when: dt.datetime, rng: random.Random, fail: bool) -> list[Draft]:
    """A nightly run enriches the album in a child job: ENRICHED + CACHED, then a row per track."""
    batch = p.batches[(when - p.start).days]
    job = _job(rng)
    mine = (job, batch, batch, "scheduled")
    mb = ("MUSICBRAINZ",)
    if fail:
        error = ERRORS[rng.randrange(len(ERRORS))]
        return [
            Draft("ALBUM", album.id, "FAILED", "album:failed:enrichment", mine, status="FAILED", error=error,
                  retries=3, label=album.title, calls=3, duration=rng.randint(2000, 30000), sources=mb)
        ]  # fmt: skip
    mbid = str(uuid.UUID(int=album.id.int ^ 0xABCDEF))
    changes = {
        "musicbrainz_id": {"before": None, "after": mbid},
        "release_date": {"before": None, "after": f"{1960 + album.index % 60}-0{1 + album.index % 9}"},
        "genres": {"before": [], "after": [GENRES[album.index % len(GENRES)]]},
    }
    cover = {"url": f"https://coverartarchive.org/release/{mbid}/front-500.jpg"}
    drafts = [
        Draft("ALBUM", album.id, "ENRICHED", "album:enriched:enrichment", mine, fields=tuple(sorted(changes)),
              changes=changes, quality=("LOW", "HIGH"), label=album.title, calls=3,
              duration=rng.randint(900, 4000), sources=mb),
        Draft("ALBUM", album.id, "CACHED", "album:cached:coverart", (_job(rng), job, batch, "scheduled"),
              label=album.title, sources=("COVERARTARCHIVE",), calls=1, metadata=cover),
    ]  # fmt: skip
    for number, (track_id, title) in enumerate(album.tracks, 1):
        child = (_job(rng), job, batch, "scheduled")
        if rng.random() < 0.04:
            drafts.append(
                Draft("TRACK", track_id, "FAILED", "track:failed:enrichment", child, track_id=track_id,
                      status="FAILED", error=ERRORS[3], label=title, sources=mb)
            )  # fmt: skip
            continue
        isrc = f"US{album.index % 1000:03d}{number:02d}{rng.randrange(10**5):05d}"
        drafts.append(
            Draft("TRACK", track_id, "ENRICHED", "track:enriched:enrichment", child, track_id=track_id,
                  fields=("isrc",), changes={"isrc": {"before": None, "after": isrc}}, label=title,
                  sources=mb)
        )  # fmt: skip
    return drafts


def _correct(album: AlbumPlan, rng: random.Random) -> list[Draft]:
    """An admin retitles the album in the browser (a user job of its own)."""
    job = _job(rng)
    after = f"{album.title} (Remastered)"
    return [
        Draft("ALBUM", album.id, "CORRECTED", "album:corrected:admin", (job, None, job, "user"),
              changes={"title": {"before": album.title, "after": after}}, fields=("title",),
              quality=("MEDIUM", "MEDIUM"), label=after, sources=("USER",), user=True,
              duration=rng.randint(5, 40))
    ]  # fmt: skip


def log_rows(p: Plan, *, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """Every LlamaLog row in time order with ids 1..N (tuples in LOG_COLUMNS order)."""
    rng = random.Random(seed)
    seen_artists: set[int] = set()
    row_id = 0
    clock = p.start
    for when, _seq, kind, index, n_rows in p.events:
        album = p.albums[index]
        clock = max(when, clock + ROW_STEP)
        if kind == "sync":
            drafts = _sync(p, album, rng, seen_artists)
        elif kind == "enrich":
            drafts = _enrich(p, album, when, rng, fail=n_rows == 1 and index != p.showcase)
        else:
            drafts = _correct(album, rng)
        for draft in drafts[:n_rows]:
            row_id += 1
            clock += ROW_STEP
            yield draft.row(row_id, clock, album.id)


def _job(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
