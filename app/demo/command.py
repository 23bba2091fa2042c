"""`llama demo`: a populated catalog on a fresh clone, made by the REAL jobs against recorded data.

It starts the local fake upstream (recorded MusicBrainz, Spotify, Cover Art Archive and Discogs
answers), migrates, creates an admin, runs the Spotify and MusicBrainz syncs (which queue enrichment
and cover caching) on the in-process worker, waits for the job tree to finish, then serves the site
with the fake still answering, so "enrich now" and "fix from MusicBrainz" work offline too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.config import get_settings

if TYPE_CHECKING:
    from app.demo.fake_upstream import FakeUpstream

DEMO_USER = "admin"
DEMO_PASSWORD_DEFAULT = "llamalog-demo"
JOB_WAIT_S = 600.0
DEMO_MUSICBRAINZ_DAYS = 365 * 40


@dataclass(frozen=True)
class DemoSummary:
    albums: int
    broken: int
    log_rows: int
    failed_jobs: int


async def ensure_admin(username: str, password: str) -> bool:
    """Create the demo admin unless it exists; True when created."""
    from app.auth.tables import AdminUser
    from app.auth.users import create_admin

    if await AdminUser.exists().where(AdminUser.username == username):
        return False
    await create_admin(username, password)
    return True


async def run_seed_jobs(*, out: object = print) -> DemoSummary:
    """Queue both syncs as system jobs and wait until every job they start has finished."""
    import tasks.actors  # noqa: F401 - the demo is an entry point: it wires the broker
    from app.catalog.tables import Album
    from app.jobs.launch import enqueue
    from app.jobs.tables import Job
    from app.llamalog.tables import LlamaLog

    say = out if callable(out) else print
    # Spotify first, then MusicBrainz over the recorded releases' dates (decades, not the last
    # week): albums enrichment already matched are skipped instead of imported twice.
    for actor, kwargs in (("sync_spotify", {}), ("sync_musicbrainz", {"days": DEMO_MUSICBRAINZ_DAYS})):
        job_id = await enqueue(actor, kwargs=kwargs, triggered_by="system")
        say(f"  queued {actor} (job {job_id})")
        await _wait_for_jobs(say)
    return DemoSummary(
        albums=await Album.count(),
        broken=await Album.count().where(Album.broken_reasons != ""),
        log_rows=await LlamaLog.count(),
        failed_jobs=await Job.count().where(Job.status == "failed"),
    )


def _start_fake(factory: type[FakeUpstream], site_port: int) -> FakeUpstream:
    """The fake on a port derived from the site's, so cover URLs stored last time still answer."""
    wanted = int(os.environ.get("DEMO_UPSTREAM_PORT", site_port + 1001))
    try:
        return factory(serve_images=True, port=wanted).start()
    except OSError:  # taken: any free port will do for this run
        return factory(serve_images=True).start()


async def _wait_for_jobs(say: Callable[[str], object]) -> None:
    from app.jobs.tables import UNFINISHED_STATUSES, Job

    deadline = time.monotonic() + JOB_WAIT_S
    last = ""
    while True:
        pending = await Job.count().where(Job.status.is_in(list(UNFINISHED_STATUSES)))
        done = await Job.count().where(Job.status.not_in(list(UNFINISHED_STATUSES)))
        line = f"  jobs: {done} finished, {pending} still to run"
        if line != last:
            say(line)
            last = line
        if pending == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"demo jobs still running after {JOB_WAIT_S:.0f} s")
        await asyncio.sleep(0.5)


async def ensure_demo_login(username: str, password: str) -> str:
    """Make sure the demo admin logs in with `password`: "created", "kept" or "reset"."""
    from app.auth.tables import AdminUser

    if await ensure_admin(username, password):
        return "created"
    if await AdminUser.login(username=username, password=password) is not None:
        return "kept"
    # Someone changed it since the last run: the demo only promises credentials that work.
    await AdminUser.update_password(username, password)
    return "reset"


def login_line(url: str, password: str, state: str) -> str:
    """What to open and the credentials, printed on every run (not only the first)."""
    note = " (reset to the demo password: it had been changed)" if state == "reset" else ""
    return f"Open {url} and log in with username {DEMO_USER!r}, password {password!r}{note}."


def run_demo(host: str | None = None, port: int | None = None, *, serve: bool = True) -> int:
    from app.demo.fake_upstream import FakeUpstream
    from app.migrate import migrate
    from app.sources import clients
    from tasks.worker import start_embedded_worker, stop_worker

    fake = _start_fake(FakeUpstream, port or get_settings().port)
    os.environ.update(fake.env())
    # The fake is local: no need to wait a second between MusicBrainz calls (override to taste).
    os.environ.setdefault("MUSICBRAINZ_RATE", "20")
    get_settings.cache_clear()
    clients.reset()
    settings = get_settings()
    password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
    print(f"🦙 LlamaLog demo: recorded upstream answers served at {fake.url}")
    asyncio.run(migrate(quiet=True))
    login_state = asyncio.run(ensure_demo_login(DEMO_USER, password))
    worker = start_embedded_worker()
    try:
        print("Filling the catalog with the real sync → enrichment → cover jobs:")
        summary = asyncio.run(run_seed_jobs())
    finally:
        stop_worker(worker)
        clients.reset()
    print(
        f"Catalog: {summary.albums} albums ({summary.broken} need fixing), {summary.log_rows} LlamaLog rows, "
        f"{summary.failed_jobs} failed jobs to look at."
    )
    if summary.albums == 0:
        print("llama demo: the jobs imported no albums; see the log above (recorded payloads missing?)")
        fake.stop()
        return 1
    host = host or settings.host
    port = port or settings.port
    print(login_line(f"http://{host}:{port}/", password, login_state))
    print(f"Then fix what the imports broke: http://{host}:{port}/albums/broken (the README says how).")
    if not serve:
        fake.stop()
        return 0
    import uvicorn

    try:
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, log_level="info")
    finally:
        fake.stop()
    return 0
