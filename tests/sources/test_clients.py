"""The process's clients: built once; sources without credentials say so instead of failing."""

from __future__ import annotations

import pytest

from app.sources import clients


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch: pytest.MonkeyPatch):
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "DISCOGS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    from app.config import get_settings

    get_settings.cache_clear()
    clients.reset()
    yield
    clients.reset()
    get_settings.cache_clear()


def test_built_once() -> None:
    assert clients.musicbrainz() is clients.musicbrainz()
    assert clients.spotify() is clients.spotify()


def test_statuses_without_credentials() -> None:
    statuses = {s.name: s for s in clients.statuses()}

    assert {name: s.enabled for name, s in statuses.items()} == {
        "MUSICBRAINZ": True,
        "COVERARTARCHIVE": True,
        "SPOTIFY": False,
        "DISCOGS": False,
    }
    assert statuses["DISCOGS"].reason == "DISCOGS_TOKEN is not set"
    from app.config import get_settings

    assert statuses["MUSICBRAINZ"].base_url == get_settings().musicbrainz_url
