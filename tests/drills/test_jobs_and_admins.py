"""Drill: two `llama worker` processes enrich and cache covers while two admins edit the same albums.

Real processes all the way: the app under uvicorn (the admins' saves and unlocks go through the
album page's forms), two workers on the Redis broker, the test process enqueueing jobs, all on one
Postgres database.

What the user sees: a save either lands (303) or comes back as the conflict panel (409), never
silently over a job's write; the jobs all succeed. Proof, from the llama_log rows: per album, track
and field, every `before` is the previous `after`, the last `after` is the column, each change
moved the version once (none reused), and a locked field changed only through an admin's row.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.users import create_admin
from app.catalog.tables import Album, Track
from app.config import ROOT
from app.jobs.launch import enqueue
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.catalog.log_chain import album_problems, track_problems
from tests.conftest import TEST_DB
from tests.drills.live import admin_session, live_app
from tests.factories import job_album, tracklist
from tests.html_query import html
from tests.jobs.harness import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(TEST_DB != "postgres", reason="worker processes need the Redis broker"),
]
ROUNDS = 6
ALBUMS = (
    ("Kat Moda", "Jeff Mills", "e47d04a4-7460-427d-a731-cc82386d85f1", 3),
    ("+", "Ed Sheeran", "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032", 4),
)
FIELDS = ("release_date", "label", "cover_art_url")
UNFINISHED = ("queued", "running", "retrying")


def _value(name: str, who: int, n: int) -> str:
    if name == "release_date":
        return str(1900 + who * 30 + n)
    if name == "label":
        return f"Label {who}-{n}"
    return f"https://covers.example.org/{who}-{n}.png"


async def _admin(client: httpx.AsyncClient, album_id: Any, who: int, seen: dict[int, int]) -> None:
    """Opens a field's editor, saves it with the version the form carries, now and then unlocks it."""
    pick = random.Random(who)
    token = client.cookies["llama_csrf"]
    for n in range(ROUNDS):
        name = pick.choice(FIELDS)
        editor = await client.get(f"/albums/{album_id}?edit={name}")
        version = html(editor).one(f'#field-{name}.editing form input[name="version"]')["value"]
        assert version.isdigit(), version
        data = {"_csrf_token": token, "field": name, "value": _value(name, who, n), "version": version}
        saved = await client.post(f"/albums/{album_id}/fields", data=data)
        seen[saved.status_code] = seen.get(saved.status_code, 0) + 1
        if pick.random() < 0.4:
            unlocked = await client.post(
                f"/albums/{album_id}/unlock", data={"_csrf_token": token, "field": name}
            )
            assert unlocked.status_code == 303, unlocked.text[-2000:]


def _worker(log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--threads", "2"],
        cwd=ROOT, env={**os.environ, "LLAMALOG_CONSOLE": "0"}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


async def test_worker_processes_and_admins_over_http_keep_the_log_chained(
    tmp_path: Path, upstream: Any
) -> None:
    import tasks.actors  # noqa: F401 - the actors this process enqueues

    await create_admin("alice", "alice-pass-123")
    await create_admin("bob", "bob-pass-1234")
    albums = []
    for title, artist, mbid, tracks in ALBUMS:
        created, _ = await job_album(
            title=title, artist=artist, musicbrainz_id=mbid, release_date="1929", tracks=tracklist(tracks)
        )
        await Track.update({Track.duration_ms: None}).where(Track.album == created.id)
        start = await Album.select().where(Album.id == created.id).first()
        albums.append(
            (created.id, start, {t["id"]: t for t in await Track.select().where(Track.album == created.id)})
        )

    log_path = tmp_path / "workers.log"
    seen: dict[int, int] = {}
    with log_path.open("wb") as log, live_app(tmp_path) as url:
        workers = [_worker(log), _worker(log)]
        alice = await admin_session(url, "alice", "alice-pass-123")
        bob = await admin_session(url, "bob", "bob-pass-1234")
        try:

            async def jobs() -> None:
                for _ in range(ROUNDS):
                    for album_id, _, _ in albums:
                        await enqueue("enrich_album", [str(album_id)])
                        await enqueue("cache_cover", [str(album_id)])
                    await asyncio.sleep(0)

            admins = [
                _admin(c, album_id, who, seen)
                for album_id, _, _ in albums
                for who, c in ((1, alice), (2, bob))
            ]
            await asyncio.gather(jobs(), *admins)

            async def all_done() -> bool:
                return await Job.count().where(Job.status.is_in(UNFINISHED)) == 0

            await wait_until(
                all_done, timeout=150, every=0.2, what=f"the jobs\n{log_path.read_text()[-3000:]}"
            )
        finally:
            await alice.aclose()
            await bob.aclose()
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()

    statuses = {r["status"] for r in await Job.select(Job.status)}
    assert statuses == {"succeeded"}, log_path.read_text()[-3000:]
    enriched = await LlamaLog.count().where(LlamaLog.operation == "album:enriched:musicbrainz")
    cached = await LlamaLog.count().where(LlamaLog.operation == "album:cached:cover-art")
    assert enriched == ROUNDS * len(ALBUMS) and cached >= ROUNDS * len(ALBUMS)
    assert set(seen) <= {303, 409} and seen.get(303), seen
    problems: list[str] = []
    for album_id, start, track_start in albums:
        problems += await album_problems(album_id, start)
        problems += await track_problems(album_id, track_start)
    assert problems == [], f"saves {seen}: {problems}"
    print(f"saves by status: {seen}, enrichments {enriched}, cover runs {cached}")
