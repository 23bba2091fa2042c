"""The process's source clients, built once on first use (nothing is opened at import)."""

from __future__ import annotations

import threading

from app.sources.coverart import CoverArtClient
from app.sources.discogs import DiscogsClient
from app.sources.musicbrainz import MusicBrainzClient
from app.sources.records import SourceStatus
from app.sources.spotify import SpotifyClient

_lock = threading.Lock()
_clients: dict[str, object] = {}


def _get(name: str, factory: type) -> object:
    with _lock:
        if name not in _clients:
            _clients[name] = factory()
        return _clients[name]


def musicbrainz() -> MusicBrainzClient:
    return _get("musicbrainz", MusicBrainzClient)  # type: ignore[return-value]


def coverart() -> CoverArtClient:
    return _get("coverart", CoverArtClient)  # type: ignore[return-value]


def spotify() -> SpotifyClient:
    return _get("spotify", SpotifyClient)  # type: ignore[return-value]


def discogs() -> DiscogsClient:
    return _get("discogs", DiscogsClient)  # type: ignore[return-value]


def statuses() -> list[SourceStatus]:
    """Each source, enabled or not (and why), for the UI."""
    return [musicbrainz().status(), coverart().status(), spotify().status(), discogs().status()]


def reset() -> None:
    """Forget the built clients (tests that change settings call this after get_settings.cache_clear())."""
    with _lock:
        _clients.clear()
