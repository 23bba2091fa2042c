"""The process's source clients, built once on first use (nothing is opened at import)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar, cast

from app.sources.coverart import CoverArtClient
from app.sources.discogs import DiscogsClient
from app.sources.musicbrainz import MusicBrainzClient
from app.sources.records import SourceStatus
from app.sources.spotify import SpotifyClient

C = TypeVar("C")

_lock = threading.Lock()
_clients: dict[str, object] = {}


def _get(name: str, factory: Callable[[], C]) -> C:
    with _lock:
        if name not in _clients:
            _clients[name] = factory()
        return cast(C, _clients[name])


def musicbrainz() -> MusicBrainzClient:
    return _get("musicbrainz", MusicBrainzClient)


def coverart() -> CoverArtClient:
    return _get("coverart", CoverArtClient)


def spotify() -> SpotifyClient:
    return _get("spotify", SpotifyClient)


def discogs() -> DiscogsClient:
    return _get("discogs", DiscogsClient)


def statuses() -> list[SourceStatus]:
    """Each source, enabled or not (and why), for the UI."""
    return [musicbrainz().status(), coverart().status(), spotify().status(), discogs().status()]


def reset() -> None:
    """Forget the built clients (tests that change settings call this after get_settings.cache_clear())."""
    with _lock:
        _clients.clear()
