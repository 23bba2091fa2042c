"""Field locks: what an admin set stays set; enrichment and sync ask here before they write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from app.catalog.rows import AlbumRow
from app.catalog.tables import Album

V = TypeVar("V")


def locked_fields(album: AlbumRow | Album) -> frozenset[str]:
    """The album's locked fields, from a row dict or an Album object."""
    raw = album.get("locked_fields") if isinstance(album, dict) else getattr(album, "locked_fields", None)
    return frozenset(raw or ())


def _current(album: AlbumRow | Album, name: str) -> object:
    return album.get(name) if isinstance(album, dict) else getattr(album, name, None)


def fields_to_update(album: AlbumRow | Album, proposed: Mapping[str, V]) -> tuple[dict[str, V], list[str]]:
    """Split `proposed` into the fields a job may write and the locked ones it must leave alone.

    `skipped_locked` names only locked fields whose proposed value differs from the album's, so the
    job's log row can say what it did not overwrite (e.g. `reason` or `metadata["skipped_locked"]`).
    """
    locked = locked_fields(album)
    allowed = {name: value for name, value in proposed.items() if name not in locked}
    skipped = sorted(
        name for name, value in proposed.items() if name in locked and _current(album, name) != value
    )
    return allowed, skipped
