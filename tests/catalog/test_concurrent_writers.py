"""Enrichments, cover caching and admins hammer the same albums at once; the log still chains.

Every writer runs in a task of its own (its own connection, its own transactions), as workers and
requests do: two enrichment jobs and a cover job per album again and again, admins saving (and
so locking) fields with the version they last read, unlocking them, and editing track durations.
Afterwards, for every album and track: each logged `before` is the value the previous row left,
the last `after` is the column, the version moved once per change (none reused), and a locked
field only changed through an admin's CORRECTED row, and the tracks on file are exactly the ones
the log leaves standing (tests/catalog/log_chain.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from app.catalog.albums import VersionConflict, unlock_field, update_album
from app.catalog.covers import cache_cover
from app.catalog.enrich import enrich_album
from app.catalog.tables import Album, Track
from app.catalog.tracks import TrackConflict, update_track
from app.correction.apply import ApplyError, apply_candidate
from app.correction.candidates import Candidate
from app.correction.current import load_current
from app.correction.preview import build_preview
from app.correction.revert import NothingToRevert, RevertConflict, revert
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.catalog.log_chain import album_problems, track_problems, track_set_problems
from tests.correction import payloads
from tests.factories import job_album, tracklist

ROUNDS = 6
# title, artist, MusicBrainz release, tracks on file at the start, the candidate an admin applies
ALBUMS = (
    ("Kat Moda", "Jeff Mills", payloads.KAT_MODA, 3, payloads.kat_moda),
    ("+", "Ed Sheeran", payloads.ED_SHEERAN_PLUS, 4, payloads.plus),
    ("You Want It Darker", "Leonard Cohen", "78ce3427-f5cf-480d-92bb-837381162971", 0, None),
)
ADMIN_FIELDS = ("release_date", "label", "cover_art_url")


def _value(name: str, who: int, n: int) -> str:
    if name == "release_date":
        return str(1900 + who * 30 + n)
    if name == "label":
        return f"Label of admin {who}, save {n}"
    return f"https://covers.example.org/admin-{who}-{n}.png"


async def _as(ctx: JobContext, work: Awaitable[Any]) -> Any:
    with job_scope(ctx):
        return await work


def _alone(work: Awaitable[Any]) -> asyncio.Task[Any]:
    """A task with a context of its own: no transaction or job inherited from the test."""
    return asyncio.get_running_loop().create_task(work, context=contextvars.Context())  # type: ignore[arg-type]


async def _enricher(album_id: Any, tally: Counter[str]) -> None:
    for _ in range(ROUNDS):
        await _as(JobContext.new_root(triggered_by="manual"), enrich_album(album_id))
        tally["enrichments"] += 1


async def _coverer(album_id: Any, tally: Counter[str]) -> None:
    for _ in range(ROUNDS):
        await _as(JobContext.new_root(triggered_by="system"), cache_cover(album_id))
        tally["covers"] += 1


async def _admin(album_id: Any, who: int, tally: Counter[str]) -> None:
    """Opens the editor (reads the version), saves a field, now and then unlocks one."""
    pick = random.Random(who)
    user = JobContext.new_root(triggered_by="user", user_id=who, username=f"admin{who}")
    for n in range(ROUNDS):
        album = await Album.select(Album.version, Album.locked_fields).where(Album.id == album_id).first()
        name = pick.choice(ADMIN_FIELDS)
        save = update_album(album_id, {name: _value(name, who, n)}, expected_version=album["version"])
        try:
            await _as(user, save)
            tally["admin saves"] += 1
        except VersionConflict:
            tally["stale forms refused"] += 1
        if album["locked_fields"] and pick.random() < 0.5:
            await _as(user, unlock_field(album_id, pick.choice(album["locked_fields"])))
            tally["unlocks"] += 1


async def _fixer(album_id: Any, candidate: Candidate, who: int, tally: Counter[str]) -> None:
    """Opens "fix from MusicBrainz" (preview at the version read), applies it all, sometimes reverts."""
    pick = random.Random(200 + who)
    for _ in range(ROUNDS):
        preview = build_preview(await load_current(album_id), candidate)
        fields = {f.name for f in preview.fields if f.takeable}
        tracks = {pair.key for pair in preview.tracks if pair.status != "unchanged"}
        job = JobContext.new_root(triggered_by="user", user_id=who, username=f"admin{who}")
        apply = apply_candidate(
            album_id,
            candidate,
            expected_version=preview.album.version,
            take_fields=fields,
            take_tracks=tracks,
        )
        try:
            await _as(job, apply)
            tally["corrections"] += 1
        except (VersionConflict, ApplyError):
            tally["corrections refused"] += 1
            continue
        if pick.random() < 0.5:
            try:
                await _as(JobContext.new_root(triggered_by="user", user_id=who), revert(job_id=job.job_id))
                tally["reverts"] += 1
            except (RevertConflict, NothingToRevert):
                tally["reverts refused"] += 1


async def _track_editor(album_id: Any, who: int, tally: Counter[str]) -> None:
    pick = random.Random(100 + who)
    user = JobContext.new_root(triggered_by="user", user_id=who, username=f"admin{who}")
    for n in range(ROUNDS):
        tracks = await Track.select(Track.id, Track.version).where(Track.album == album_id)
        track = pick.choice(tracks)
        fields = {"duration_ms": 1000 * (who * 100 + n + 1)}
        try:
            await _as(user, update_track(track["id"], fields, expected_version=track["version"]))
            tally["track saves"] += 1
        except TrackConflict:
            tally["stale track forms refused"] += 1
        except LookupError:  # a correction removed it meanwhile
            tally["tracks gone"] += 1


async def test_jobs_and_admins_writing_the_same_albums_at_once_keep_the_log_chained(upstream: Any) -> None:
    albums: list[tuple[Any, dict[str, Any], dict[Any, dict[str, Any]]]] = []
    for title, artist, mbid, tracks, _ in ALBUMS:
        created, _ = await job_album(
            title=title, artist=artist, musicbrainz_id=mbid, release_date="1929", tracks=tracklist(tracks)
        )
        if tracks:  # durations left empty, so enrichment and the track editors both want them
            await Track.update({Track.duration_ms: None}).where(Track.album == created.id)
        start = await Album.select().where(Album.id == created.id).first()
        track_start = {t["id"]: t for t in await Track.select().where(Track.album == created.id)}
        albums.append((created.id, start, track_start))

    tally: Counter[str] = Counter()
    workers: list[Awaitable[None]] = []
    for (album_id, _, track_start), (*_, candidate) in zip(albums, ALBUMS, strict=True):
        # Two enrichments at once too (a scheduled run and "enrich now", or a redelivery).
        workers += [_enricher(album_id, tally), _coverer(album_id, tally), _enricher(album_id, tally)]
        workers += [_admin(album_id, who, tally) for who in (1, 2)]
        if track_start:
            workers.append(_track_editor(album_id, 3, tally))
        if candidate:
            workers.append(_fixer(album_id, candidate(), 4, tally))
    await asyncio.gather(*(_alone(work) for work in workers))
    print(f"writers: {dict(tally)}")  # shown with -s: how much contention this run saw

    problems: list[str] = []
    for album_id, start, track_start in albums:
        problems += await album_problems(album_id, start)
        problems += await track_problems(album_id, track_start)
    assert problems == [], f"{tally}: {problems}"
    assert tally["enrichments"] == 2 * tally["covers"] == 2 * ROUNDS * len(ALBUMS)
    assert tally["admin saves"] + tally["stale forms refused"] == 2 * ROUNDS * len(ALBUMS)
    assert await LlamaLog.count().where(LlamaLog.category == "ENRICHED") >= ROUNDS * len(ALBUMS)
    assert await LlamaLog.count().where(LlamaLog.category == "CORRECTED") >= tally["admin saves"]
    # The second enrichment found the first one's tracks: none created twice, no slot clash.
    assert await LlamaLog.count().where(LlamaLog.category == "FAILED") == 0
    # The tracks on file are the ones the album's log leaves standing. Not simply its CREATED rows:
    # when the fixer's correction commits before any enrichment identified the tracks, it replaces
    # them (removed + created) and a revert removes what it added (see the test below).
    for album_id, _, _ in albums:
        assert await track_set_problems(album_id) == []


async def _correct_all(album_id: Any, candidate: Candidate) -> str:
    """What _fixer does once: preview at the version read, take every field and track."""
    preview = build_preview(await load_current(album_id), candidate)
    job = JobContext.new_root(triggered_by="user", user_id=4, username="admin4")
    apply = apply_candidate(
        album_id,
        candidate,
        expected_version=preview.album.version,
        take_fields={f.name for f in preview.fields if f.takeable},
        take_tracks={pair.key for pair in preview.tracks if pair.status != "unchanged"},
    )
    await _as(job, apply)
    return job.job_id


async def test_a_correction_that_beats_enrichment_replaces_tracks_so_created_rows_outnumber_tracks(
    upstream: Any,
) -> None:
    """The losing order of the race above, in sequence: the old `tracks == CREATED rows` fails here."""
    created, _ = await job_album(
        title="+", artist="Ed Sheeran", musicbrainz_id=payloads.ED_SHEERAN_PLUS, tracks=tracklist(4)
    )
    album_id = created.id
    await Track.update({Track.duration_ms: None}).where(Track.album == album_id)  # as in the race
    start = await Album.select().where(Album.id == album_id).first()
    track_start = {t["id"]: t for t in await Track.select().where(Track.album == album_id)}
    # No enrichment yet: the 4 tracks have no recording ids, so the correction retitles them
    # and adds the release's other 8; the revert removes those 8, the next correction adds 8 anew.
    first = await _correct_all(album_id, payloads.plus())
    await _as(JobContext.new_root(triggered_by="user", user_id=4), revert(job_id=first))
    await _correct_all(album_id, payloads.plus())
    await _as(JobContext.new_root(triggered_by="manual"), enrich_album(album_id))

    created_rows = await LlamaLog.count().where(
        (LlamaLog.album_id == album_id) & (LlamaLog.operation.like("track:created:%"))
    )
    assert (await Track.count().where(Track.album == album_id), created_rows) == (12, 4 + 8 + 8)
    assert await track_set_problems(album_id) == []
    assert await album_problems(album_id, start) == []
    assert await track_problems(album_id, track_start) == []


async def test_the_track_set_check_finds_a_track_removed_or_added_off_the_record() -> None:
    created, _ = await job_album(title="Kat Moda", artist="Jeff Mills", tracks=tracklist(3))
    tracks = await Track.select().where(Track.album == created.id).order_by(Track.track_number)
    await Track.delete().where(Track.id == tracks[0]["id"])  # no service, no log row
    await Track(album=created.id, title="Stowaway", track_number=9, disc_number=1).save()

    problems = await track_set_problems(created.id)

    stowaway = await Track.select(Track.id).where(Track.title == "Stowaway").first()
    assert problems == [
        f"album {created.id}: tracks on file but not standing in the log ['{stowaway['id']}'], "
        f"standing in the log but not on file ['{tracks[0]['id']}']"
    ]
