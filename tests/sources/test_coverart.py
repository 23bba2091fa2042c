"""Cover Art Archive: both recorded listings; no art is NotFound (or None from `front`)."""

from __future__ import annotations

import pytest

from app.sources.coverart import CoverArtClient
from app.sources.errors import NotFound
from app.sources.musicbrainz import MusicBrainzClient

NEVERMIND = "76df3287-6cda-33eb-8e9a-044b5e15ffdd"
DARKER = "78ce3427-f5cf-480d-92bb-837381162971"


async def test_six_image_listing(settings) -> None:
    listing = await CoverArtClient(settings).release(NEVERMIND)

    assert listing.release_url == f"https://musicbrainz.org/release/{NEVERMIND}"
    assert [(i.id, i.types) for i in listing.images] == [
        ("829521842", ("Front",)),
        ("24546038908", ("Front", "Booklet")),
        ("24546039829", ("Booklet",)),
        ("24546040945", ("Booklet",)),
        ("5769317885", ("Back",)),
        ("5769316809", ("Medium",)),
    ]
    front = listing.front
    assert front is not None and front.id == "829521842"
    assert front.url == f"http://coverartarchive.org/release/{NEVERMIND}/829521842.jpg"
    assert front.thumbnail_250 == f"http://coverartarchive.org/release/{NEVERMIND}/829521842-250.jpg"
    assert front.thumbnail_1200 == f"http://coverartarchive.org/release/{NEVERMIND}/829521842-1200.jpg"
    # "Front,Booklet" is not the front: only the image flagged front is.
    assert [i.front for i in listing.images] == [True, False, False, False, False, False]
    assert [i.back for i in listing.images].index(True) == 4


async def test_front_only_listing(settings) -> None:
    image = await CoverArtClient(settings).front(DARKER)

    assert image is not None
    assert (image.id, image.front, image.approved) == ("26116721147", True, True)
    assert image.thumbnail_500 == f"http://coverartarchive.org/release/{DARKER}/26116721147-500.jpg"


async def test_release_group_and_missing_art(settings) -> None:
    client = CoverArtClient(settings)
    release = await MusicBrainzClient(settings).release(NEVERMIND)
    assert release.release_group is not None

    by_group = await client.release_group(release.release_group.id)
    assert by_group.front is not None and by_group.front.id == "829521842"
    assert await client.front("b0644a90-7ea8-5470-9813-fd91066993ff") is None
    with pytest.raises(NotFound):
        await client.release("b0644a90-7ea8-5470-9813-fd91066993ff")
