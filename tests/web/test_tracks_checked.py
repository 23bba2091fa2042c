"""Typed tracks are checked: real lengths, titles with a letter or digit, every bad line named."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.tables import Track
from app.catalog.tracklist import parse_tracklist
from app.catalog.validation import MAX_TRACK_HOURS, ValidationError, parse_duration
from tests.factories import manual_album, tracklist
from tests.html_query import html
from tests.web.test_albums_tracks import post, track_rows


@pytest.mark.parametrize(
    ("typed", "ms"),
    [
        ("3:45", 225_000),
        ("59:59", 3_599_000),
        ("1:02:03", 3_723_000),
        ("75:00", 4_500_000),
        ("245000", 245_000),
    ],
)
def test_real_lengths_are_read(typed: str, ms: int) -> None:
    assert parse_duration(typed) == ms


@pytest.mark.parametrize("typed", ["99:99", "3:60", "99:99:99", "1:60:00", "1:00:60", "11:00:00", "999:00"])
def test_impossible_lengths_are_refused_in_words(typed: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_duration(typed)
    said = str(refused.value)
    assert f"run up to 59 ({typed})" in said or f"at most {MAX_TRACK_HOURS} hours" in said


def test_the_parser_names_every_bad_line_at_once() -> None:
    text = "1. Fine 3:45\n2. Clock 99:99:99\n\n3. @@@@ ### !!!\n4. Also fine\n5. Minutes 4:75"
    with pytest.raises(ValidationError) as refused:
        parse_tracklist(text)
    problems = refused.value.errors["tracklist"]
    assert "line 2: length: minutes and seconds run up to 59 (99:99:99)" in problems
    assert "line 4: title: needs a letter or a digit" in problems
    assert "line 6: length: minutes and seconds run up to 59 (4:75)" in problems
    assert "line 1" not in problems and "line 5" not in problems


async def test_a_bad_paste_is_422_naming_each_bad_line_and_saves_nothing(client: Any) -> None:
    album = await manual_album(title="Checked", tracks=tracklist(1))
    text = "2. Good 3:00\n3. Clock 99:99:99\n4. @@@@ ### !!!\n5. Marathon 12:00:00"
    response = post(client, f"/albums/{album.id}/tracks/paste", tracklist=text)
    assert response.status_code == 422
    error = html(response).text("#paste-error")
    assert error.startswith("Nothing was added.")
    assert "line 2:" in error and "line 3:" in error and "line 4:" in error
    assert f"at most {MAX_TRACK_HOURS} hours" in error
    assert "line 1:" not in error
    assert await Track.count().where(Track.album == album.id) == 1
    assert len(await track_rows(album.id, "CREATED")) == 1  # the album's own track, nothing pasted


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("duration_ms", "99:99", "minutes and seconds run up to 59"),
        ("title", "@@@@ ### !!!", "needs a letter or a digit"),
    ],
)
async def test_the_add_form_refuses_an_impossible_track(
    client: Any, field: str, typed: str, says: str
) -> None:
    album = await manual_album(title="Adding", tracks=tracklist(1))
    values = {"title": "Fine", "track_number": "2", "disc_number": "1", "duration_ms": "3:00", field: typed}
    response = post(client, f"/albums/{album.id}/tracks", **values)
    assert response.status_code == 422
    assert says in html(response).text(f"#add-err-{field}")
    assert await Track.count().where(Track.album == album.id) == 1


async def test_an_edit_refuses_a_typed_symbol_title_but_keeps_one_from_upstream() -> None:
    from app.catalog.tracks import update_track

    album = await manual_album(title="Symbols", tracks=tracklist(1))
    track = await Track.select().where(Track.album == album.id).first()
    with pytest.raises(ValidationError) as refused:
        await update_track(track["id"], {"title": "!!!"}, expected_version=track["version"])
    assert "needs a letter or a digit" in refused.value.errors["title"]
    await Track.update({Track.title: "?"}).where(Track.id == track["id"])  # as a sync stored it
    await update_track(track["id"], {"title": "?", "duration_ms": "3:00"}, expected_version=track["version"])
    assert (await Track.select(Track.title, Track.duration_ms).where(Track.id == track["id"]).first()) == {
        "title": "?",
        "duration_ms": 180_000,
    }
