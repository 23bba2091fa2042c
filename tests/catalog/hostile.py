"""A payload folder for the fake upstream whose listings hold one hostile album among good ones."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.demo.fake_musicbrainz import mb_hit
from app.demo.fake_spotify import simplified
from app.demo.fake_upstream import FakeUpstream
from app.demo.payloads import ROOT

# Album 2 of each listing is the one a test makes hostile.
SPOTIFY_ALBUMS = [
    "album-5ZX4m5aVSmWQ5iHAPQpT71-runnin.json",
    "album-7D2NdGvBHIavgLhmcwhluK-yeezus.json",
    "album-qYnJltkAApYlw1XFHmLaDq-plus.json",
    "album-rp939yaauRq24DQAUDWpxT-nevermind.json",
]
MB_RELEASE = "release-e47d04a4-kat-moda-digital.json"

Edit = Callable[[dict[str, Any]], None]


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def spotify_root(folder: Path, edit_listed: Edit, edit_full: Edit) -> list[dict[str, Any]]:
    """Four Spotify albums; album 2 as listed and as looked up passes through the edits."""
    (folder / "spotify").mkdir(parents=True)
    shutil.copy(ROOT / "spotify/token-client-credentials.json", folder / "spotify")
    albums = [_read(ROOT / "spotify" / name) for name in SPOTIFY_ALBUMS]
    edit_full(albums[1])
    listed = [simplified(a) for a in albums]
    edit_listed(listed[1])
    for n, album in enumerate(albums):
        (folder / "spotify" / f"album-{n}.json").write_text(json.dumps(album))
    page = {"items": listed, "limit": 50, "next": None, "offset": 0, "total": 4}
    (folder / "spotify" / "new-releases.json").write_text(json.dumps({"albums": page}))
    return albums


def musicbrainz_root(folder: Path, edit: Edit) -> list[dict[str, Any]]:
    """Four search hits dated today (one release with four ids); hit 2 passes through `edit`."""
    (folder / "musicbrainz").mkdir(parents=True)
    release = _read(ROOT / "musicbrainz" / MB_RELEASE)
    hits = []
    for n in range(4):
        hit = mb_hit(release)
        hit.update(id=str(uuid.UUID(int=n + 1)), title=f"{hit['title']} {n + 1}", date=str(dt.date.today()))
        hits.append(hit)
    edit(hits[1])
    search = {"created": "2026-12-01T00:00:00.000Z", "count": 4, "offset": 0, "releases": hits}
    (folder / "musicbrainz" / "search-hostile.json").write_text(json.dumps(search))
    return hits


@contextmanager
def serving(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUpstream]:
    """The fake upstream on `folder`, every source pointed at it (as the `upstream` fixture does)."""
    from app.config import get_settings
    from app.sources import clients

    with FakeUpstream(folder) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HTTP_BACKOFF", "0.01")
        monkeypatch.setenv("MUSICBRAINZ_RATE", "0")
        get_settings.cache_clear()
        clients.reset()
        try:
            yield fake
        finally:
            clients.reset()
            get_settings.cache_clear()
