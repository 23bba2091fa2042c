"""Small builders for test data; they go through the real services."""

from __future__ import annotations

from typing import Any

from app.catalog.albums import CreatedAlbum, create_album
from app.catalog.records import AlbumInput, ArtistInput, TrackInput
from app.llamalog.context import JobContext, job_scope


def tracklist(n: int, *, disc: int = 1) -> tuple[TrackInput, ...]:
    return tuple(
        TrackInput(title=f"Track {i}", track_number=i, disc_number=disc, duration_ms=180_000 + i)
        for i in range(1, n + 1)
    )


def album_input(title: str = "Test Album", artist: str = "Test Artist", **kwargs: Any) -> AlbumInput:
    kwargs.setdefault("artists", (ArtistInput(name=artist),))
    return AlbumInput(title=title, **kwargs)


async def manual_album(user_id: int = 1, **kwargs: Any) -> CreatedAlbum:
    """An album added by hand by `user_id` (a user job of its own)."""
    ctx = JobContext.new_root(triggered_by="user", user_id=user_id, username="admin")
    with job_scope(ctx):
        return await create_album(album_input(**kwargs), operation_path="admin", sources=["USER"])


async def job_album(ctx: JobContext | None = None, **kwargs: Any) -> tuple[CreatedAlbum, JobContext]:
    """An album created inside a sync job."""
    ctx = ctx or JobContext.new_root(triggered_by="scheduled")
    with job_scope(ctx):
        created = await create_album(
            album_input(**kwargs), operation_path="spotify-sync", sources=["SPOTIFY"]
        )
    return created, ctx
