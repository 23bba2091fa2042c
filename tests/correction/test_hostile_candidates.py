"""A candidate whose values outgrow the catalog's columns is fitted at the edge, and applies."""

from __future__ import annotations

from typing import Any

from app.catalog.tables import Album, Track
from app.column_fit import MARK
from app.correction.adapters import from_discogs, from_musicbrainz
from app.correction.apply import apply_candidate
from app.correction.current import load_current
from app.correction.preview import build_preview
from app.llamalog.context import job_scope, user_job
from app.sources.discogs import parse_release
from tests.correction.payloads import _json
from tests.factories import manual_album

CATNO = "TDS-" + "7" * 600 + "\x00\x07"


def _hostile_release() -> Any:
    data = _json("discogs/release-1503102-never-gonna-give-you-up-7in.json")
    data["labels"][0]["catno"] = CATNO
    data["labels"][0]["name"] = "RCA\x00 Victor\x1b"
    data["identifiers"].append({"type": "Barcode", "value": "0" * 80})
    data["images"][0]["uri"] = "https://i.discogs.com/" + "a" * 1200 + ".jpeg"
    data["tracklist"][0]["duration"] = "99999999:00"  # 69 years: past the column's range
    data["tracklist"][1]["title"] = "Never Gonna\x00 Give You Up\x07 " + "(Mix) " * 600
    return parse_release(data)


async def test_a_discogs_candidate_with_overlong_values_applies_fitted() -> None:
    created = await manual_album(title="Never Gonna Give You Up", artist="Rick Astley")
    candidate = from_discogs(_hostile_release())
    preview = build_preview(await load_current(created.id), candidate)
    fields = {f.name for f in preview.fields if f.takeable}
    tracks = {p.key for p in preview.tracks if p.status != "unchanged"}
    assert {"catalog_number", "label"} <= fields
    with job_scope(user_job(1, "admin")):
        await apply_candidate(
            created.id, candidate, expected_version=1, take_fields=fields, take_tracks=tracks
        )

    album = await Album.select().where(Album.id == created.id).first()
    assert album["catalog_number"].startswith("TDS-777") and album["catalog_number"].endswith(MARK)
    assert len(album["catalog_number"]) == Album.catalog_number.length
    assert album["label"] == "RCA Victor"
    assert album["barcode"] is None  # an id cut short would name another record: left out whole
    assert album["cover_art_url"] is None  # so would a cut URL
    stored = await Track.select().where(Track.album == created.id).order_by(Track.track_number)
    assert [t["duration_ms"] for t in stored] == [None, 381_000, 212_000]
    assert stored[1]["title"].startswith("Never Gonna Give You Up (Mix)")
    assert all("\x00" not in t["title"] and "\x07" not in t["title"] for t in stored)


def test_a_musicbrainz_candidate_keeps_ids_whole_or_not_at_all() -> None:
    from app.sources.musicbrainz import parse_release as parse_mb_release

    data = _json("musicbrainz/release-e47d04a4-kat-moda-digital.json")
    data["label-info"][0]["catalog-number"] = "AXIS-" + "1" * 300
    data["country"] = "Planet Earth"
    data["barcode"] = "4" * 60
    recording = data["media"][0]["tracks"][0]["recording"]
    recording["isrcs"] = ["NOT-AN-ISRC-AT-ALL"]
    data["media"][0]["tracks"][0]["length"] = recording["length"] = 2**40  # 35 years
    candidate = from_musicbrainz(parse_mb_release(data))
    assert candidate.catalog_number is not None and len(candidate.catalog_number) == 100
    assert candidate.catalog_number.endswith(MARK)
    assert candidate.country is None and candidate.barcode is None
    first = candidate.tracks[0]
    assert first.isrc is None and first.length_ms is None
    assert first.recording_id == recording["id"]  # a well-formed id is kept
