"""Upstream payloads for the benchmarks, made from the recorded ones (same shapes, more of them).

The fake upstream (app.demo.fake_upstream) serves any folder laid out like app/demo/upstream/;
`build(root, ...)` writes one with `releases` MusicBrainz releases of `tracks` tracks each and a Spotify
new-releases listing of `albums` albums of `tracks` tracks each.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import string
import uuid
from pathlib import Path
from typing import Any

from app.demo.payloads import ROOT as RECORDED

MB_TEMPLATE = "musicbrainz/release-e47d04a4-kat-moda-digital.json"
SPOTIFY_TEMPLATE = "spotify/album-rp939yaauRq24DQAUDWpxT-nevermind.json"
ALPHABET = string.ascii_letters + string.digits


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(22))


def mb_release(rng: random.Random, index: int, tracks: int) -> dict[str, Any]:
    release = json.loads((RECORDED / MB_TEMPLATE).read_text())
    release["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    release["title"] = f"Bench Release {index}"
    medium = release["media"][0]
    template = medium["tracks"][0]
    medium["tracks"] = []
    for number in range(1, tracks + 1):
        track = copy.deepcopy(template)
        track.update(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), position=number, number=str(number)
        )
        track["title"] = track["recording"]["title"] = f"Bench Track {number}"
        track["length"] = track["recording"]["length"] = 200_000 + number * 1000
        track["recording"]["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        track["recording"]["isrcs"] = [f"GBBEN{index % 100:02d}{number:05d}"]
        medium["tracks"].append(track)
    medium["track-count"] = tracks
    return release


def spotify_album(rng: random.Random, index: int, tracks: int) -> dict[str, Any]:
    album = json.loads((RECORDED / SPOTIFY_TEMPLATE).read_text())
    album_id, artist_id = _spotify_id(rng), _spotify_id(rng)
    artist = {**album["artists"][0], "id": artist_id, "name": f"Bench Artist {index % 50}"}
    album.update(id=album_id, name=f"Bench Album {index}", artists=[artist], total_tracks=tracks)
    album["external_ids"] = {"upc": f"{index:012d}"}
    template = album["tracks"]["items"][0]
    items = []
    for number in range(1, tracks + 1):
        track = {**copy.deepcopy(template), "id": _spotify_id(rng), "name": f"Bench Song {number}"}
        track.update(track_number=number, disc_number=1, duration_ms=180_000 + number, artists=[artist])
        items.append(track)
    album["tracks"] = {**album["tracks"], "items": items, "total": tracks}
    return album


def build(
    root: Path, *, releases: int = 0, albums: int = 0, tracks: int = 20, seed: int = 3
) -> dict[str, Any]:
    """Write the payload folder; returns the MusicBrainz ids and Spotify ids it holds."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    for folder in ("musicbrainz", "spotify", "coverartarchive", "discogs"):
        (root / folder).mkdir(parents=True)
    shutil.copy(RECORDED / "spotify" / "token-client-credentials.json", root / "spotify")
    made: dict[str, Any] = {"releases": [], "albums": []}
    for index in range(releases):
        release = mb_release(rng, index, tracks)
        (root / "musicbrainz" / f"release-{release['id']}.json").write_text(json.dumps(release))
        made["releases"].append(release["id"])
    listing = []
    for index in range(albums):
        album = spotify_album(rng, index, tracks)
        (root / "spotify" / f"album-{album['id']}.json").write_text(json.dumps(album))
        listing.append({k: v for k, v in album.items() if k not in ("tracks", "external_ids", "label")})
        made["albums"].append(album["id"])
    if listing:
        page = {"albums": {"items": listing, "total": len(listing), "limit": 50, "offset": 0, "next": None}}
        (root / "spotify" / "new-releases-bench.json").write_text(json.dumps(page))
    return made
