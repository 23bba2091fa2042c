"""The demo fills the catalog through the real jobs: albums, broken albums to fix, log rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.catalog.tables import Album
from app.demo.command import ensure_admin, ensure_demo_login, login_line, run_seed_jobs
from app.llamalog.tables import LlamaLog
from tests.conftest import csrf
from tests.html_query import Page, html
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers")


async def test_demo_seed_runs_the_real_jobs(upstream: Any, worker: Any) -> None:
    assert await ensure_admin("demo", "demo-password") is True
    assert await ensure_admin("demo", "demo-password") is False
    worker.start()
    lines: list[str] = []
    summary = await run_seed_jobs(out=lines.append)
    assert summary.albums >= 8
    assert 0 < summary.broken < summary.albums
    assert summary.log_rows == await LlamaLog.count() > summary.albums
    assert any("queued sync_spotify" in line for line in lines)
    reasons = {r["broken_reasons"] for r in await Album.select(Album.broken_reasons)}
    assert any("NO_TRACKS" in r for r in reasons)
    # No row was written outside a job: every one names its job and root job.
    assert await LlamaLog.count().where(LlamaLog.job_id.is_null() | LlamaLog.root_job_id.is_null()) == 0


async def test_every_run_knows_a_password_that_logs_in() -> None:
    from app.auth.tables import AdminUser

    assert await ensure_demo_login("admin", "llamalog-demo") == "created"
    assert await ensure_demo_login("admin", "llamalog-demo") == "kept"
    await AdminUser.update_password("admin", "someone-changed-it")
    assert await ensure_demo_login("admin", "llamalog-demo") == "reset"
    assert await AdminUser.login(username="admin", password="llamalog-demo") is not None
    assert "password 'llamalog-demo'" in login_line("http://127.0.0.1:8000/", "llamalog-demo", "kept")


@pytest.mark.slow
def test_a_second_llama_demo_on_the_same_database_prints_the_password_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "HOST", "PORT")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", DEMO_UPSTREAM_PORT="0")
    llama = str(Path(sys.executable).parent / "llama")
    runs = [
        subprocess.run(
            [llama, "demo", "--no-serve", "--port", "8765"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        login = [line for line in run.stdout.splitlines() if line.startswith("Open http://")]
        expected = "Open http://127.0.0.1:8765/ and log in with username 'admin', password 'llamalog-demo'."
        assert login == [expected]


# The fix queue the demo leaves: one album per way real imports break, each fixable from a source.
SNEAKIN = ("Sneakin’", "discogs:9102133")  # Spotify listed it without tracks; Discogs has the single
REMAIN_IN_LIGHT = ("Remain in Light (Deluxe Version)", "musicbrainz:0a047b61-d330-5d08-b15e-8686e81d3cad")
AUTOBAHN = ("Autobahn (2009 Remaster)", "musicbrainz:1900a673-779f-5b65-a73f-fea7d320e2d2")
HX = {"HX-Request": "true"}


def _fix_queue(client: Any) -> dict[str, tuple[str, list[str]]]:
    """Title → (album id, reason codes) as /albums/broken lists them."""
    queue = {}
    for row in html(client.get("/albums/broken")).all('tbody tr[id^="album-"]'):
        reasons = [code.text for code in row.all("span.pill.reason > code")]
        queue[row.text_of("a.album-title")] = (row["id"].removeprefix("album-"), reasons)
    return queue


def _prefilled_search(client: Any, album_id: str) -> tuple[list[str], Page]:
    """The fix panel's title + artist as the album page prefills them, searched: candidate keys, page."""
    page = html(client.get(f"/albums/{album_id}"))
    title = page.one('input#fix-title-input[name="title"]')["value"]
    artist = page.one('input#fix-artist[name="artist"]')["value"]
    found = html(
        client.get(
            f"/albums/{album_id}/fix/candidates", params={"title": title, "artist": artist}, headers=HX
        )
    )
    return [candidate["data-key"] for candidate in found.all("li.fix-candidate[data-key]")], found


async def _seeded(worker: Any) -> None:
    from app.correction import lookup

    lookup.forget()
    worker.start()
    await run_seed_jobs(out=lambda _line: None)


async def test_the_fix_queue_holds_three_albums_broken_in_different_ways(
    upstream: Any, worker: Any, client: Any
) -> None:
    await _seeded(worker)
    queue = _fix_queue(client)
    reasons = {title: tuple(queue[title][1]) for title, _ in (SNEAKIN, REMAIN_IN_LIGHT, AUTOBAHN)}
    assert reasons == {
        SNEAKIN[0]: ("NO_TRACKS", "NO_MUSICBRAINZ_ID"),
        REMAIN_IN_LIGHT[0]: ("NO_MUSICBRAINZ_ID",),
        AUTOBAHN[0]: ("NO_RELEASE_DATE", "NO_MUSICBRAINZ_ID"),
    }
    for title, key in (SNEAKIN, REMAIN_IN_LIGHT, AUTOBAHN):
        keys, found = _prefilled_search(client, queue[title][0])
        assert keys[:1] == [key], (title, keys)
        assert not [text for text in found.texts("p.empty") if text.startswith("No release found")]


def _ticked(preview: Page, name: str) -> list[str]:
    return [box["value"] for box in preview.all(f'input[type="checkbox"][name="{name}"][checked]')]


def _apply_defaults(client: Any, album_id: str, key: str, preview: Page) -> None:
    version = preview.one('form.fix-preview-form input[name="version"]')["value"]
    assert version.isdigit(), version
    form = {
        "key": key,
        "version": version,
        "field": _ticked(preview, "field"),
        "track": _ticked(preview, "track"),
    }
    response = client.post(f"/albums/{album_id}/fix/apply", data=form, headers={**HX, **csrf(client)})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("scenario", "shows", "fixed"),
    [
        (SNEAKIN, {"added": 1}, "NO_TRACKS"),
        (REMAIN_IN_LIGHT, {"changed": 8, "removed": 4}, "NO_MUSICBRAINZ_ID"),
        (AUTOBAHN, {"changed": 5, "release_date": "1974-11-01"}, "NO_RELEASE_DATE"),
    ],
)
async def test_each_broken_demo_album_is_fixed_from_its_prefilled_search(
    upstream: Any, worker: Any, client: Any, scenario: tuple[str, str], shows: dict[str, Any], fixed: str
) -> None:
    await _seeded(worker)
    title, key = scenario
    album_id = _fix_queue(client)[title][0]
    keys, _ = _prefilled_search(client, album_id)
    preview = html(client.get(f"/albums/{album_id}/fix/preview", params={"key": key}, headers=HX))
    statuses = [row["data-status"] for row in preview.all("table.fix-tracks tr.fix-track[data-status]")]
    for status in ("added", "changed", "removed"):
        assert statuses.count(status) == shows.get(status, 0), (status, statuses)
    if "release_date" in shows:
        row = preview.one('table.fix-fields tr[data-field="release_date"]')
        assert row.classes == ["fix-fill"] and shows["release_date"] in row.all("td")[3].text
        assert "release_date" in _ticked(preview, "field")

    _apply_defaults(client, album_id, key, preview)
    assert title not in _fix_queue(client) or fixed not in _fix_queue(client)[title][1]
    album = await Album.select(Album.broken_reasons).where(Album.id == album_id).first()
    assert album is not None and fixed not in album["broken_reasons"]
