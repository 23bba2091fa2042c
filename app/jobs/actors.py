"""The actors the app enqueues, by name, and the broker that holds them (wired by tasks/actors.py).

Services never import tasks/: they name an actor with ActorName and app.jobs.launch finds it on the
broker that the entry points (create_app, `llama worker`, the CLI) wire by importing tasks.actors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from dramatiq.errors import ActorNotFound

from app.jobs import calls


class ActorName(StrEnum):
    """Every actor declared in tasks/actors.py that app code sends (wire() checks each is declared)."""

    SYNC_SPOTIFY = "sync_spotify"
    SYNC_MUSICBRAINZ = "sync_musicbrainz"
    ENRICH_ALBUM = "enrich_album"
    ENRICH_ARTIST = "enrich_artist"
    CACHE_COVER = "cache_cover"
    BULK_JOBS = "bulk_jobs"
    MAINTAIN_LOG = "maintain_log"
    REFRESH_FIX_QUEUE = "refresh_fix_queue"
    PREFETCH_CANDIDATES = "prefetch_candidates"
    BULK_APPLY = "bulk_apply"
    REVERT_RUN = "revert_run"


class UnknownActor(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no actor named {name!r} is declared in tasks/actors.py")
        self.name = name


class Broker(Protocol):
    def get_actor(self, name: str) -> Any: ...

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any: ...


_broker: Broker | None = None


def wire(broker: Broker) -> None:
    """Make `broker` the one the app sends on; every ActorName must be declared on it."""
    global _broker
    _broker = broker
    calls.install()  # upstream calls made inside jobs go on the record from now on
    missing = [name.value for name in ActorName if not _declared(name)]
    if missing:
        raise UnknownActor(", ".join(missing))


def broker() -> Broker:
    if _broker is None:
        raise RuntimeError("no broker is wired: the entry point imports tasks.actors first")
    return _broker


def _declared(name: str) -> bool:
    try:
        find_actor(name)
    except UnknownActor:
        return False
    return True


def find_actor(name: str) -> Any:
    """The declared actor called `name` (raises UnknownActor)."""
    try:
        return broker().get_actor(name)
    except ActorNotFound:
        raise UnknownActor(name) from None
