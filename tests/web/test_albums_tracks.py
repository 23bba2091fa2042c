"""The album page's track editor: add, edit, delete, renumber, paste; one log row per track."""

from __future__ import annotations

from typing import Any

from app.catalog.tables import Album, Track
from app.catalog.tracklist import parse_tracklist
from app.catalog.validation import ValidationError
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album, tracklist
from tests.html_query import html


def post(client: Any, url: str, **data: str) -> Any:
    return client.post(
        url, data={"_csrf_token": client.cookies.get("llama_csrf"), **data}, follow_redirects=False
    )


async def track_rows(album_id: Any, category: str | None = None) -> list[dict[str, Any]]:
    query = LlamaLog.select().where((LlamaLog.album_id == album_id) & (LlamaLog.entity_type == "TRACK"))
    if category:
        query = query.where(LlamaLog.category == category)
    return await query.order_by(LlamaLog.id).output(load_json=True)


def test_tracklist_parser_reads_the_usual_shapes() -> None:
    parsed = parse_tracklist(
        "1. Intro 1:02\n02 - Second Song (3:45)\nThird\n\nDisc 2\n1) Other Side 10:00", start=1
    )
    assert [(t.disc_number, t.track_number, t.title, t.duration_ms) for _, t in parsed] == [
        (1, 1, "Intro", 62_000),
        (1, 2, "Second Song", 225_000),
        (1, 3, "Third", None),
        (2, 1, "Other Side", 600_000),
    ]
    try:
        parse_tracklist("1. \n2. Fine\n2. Twice")
    except ValidationError as exc:
        assert "line 1: title: a title is required" in exc.errors["tracklist"]
        assert "line 3: track 2 of disc 1 is also on line 2" in exc.errors["tracklist"]
    else:
        raise AssertionError("bad lines must be refused")


async def test_paste_creates_one_created_row_per_track_and_fixes_no_tracks(
    client: Any, admin_user: int
) -> None:
    album = await manual_album(title="Empty")
    response = post(
        client, f"/albums/{album.id}/tracks/paste", tracklist="1. One 3:00\n2. Two 4:05\n3. Three"
    )
    assert response.status_code == 303
    tracks = await Track.select().where(Track.album == album.id).order_by(Track.track_number)
    assert [(t["track_number"], t["title"], t["duration_ms"]) for t in tracks] == [
        (1, "One", 180_000),
        (2, "Two", 245_000),
        (3, "Three", None),
    ]
    rows = await track_rows(album.id, "CREATED")
    assert len(rows) == 3 and {r["operation"] for r in rows} == {"track:created:admin"}
    assert all(r["user_id"] == admin_user and r["is_root_job"] is False for r in rows)
    row = await Album.select().where(Album.id == album.id).first()
    assert "NO_TRACKS" not in row["broken_reasons"] and row["tracks_present"] == 3


async def test_bad_or_clashing_paste_saves_nothing_and_keeps_the_text(client: Any) -> None:
    album = await manual_album(title="Half", tracks=tracklist(2))
    response = post(client, f"/albums/{album.id}/tracks/paste", tracklist="2. Clash\nNext 9:99")
    assert response.status_code == 422
    page = html(response)
    error = page.text("#paste-error")
    assert error.startswith("Nothing was added.")
    assert "line 1: disc 1 already has track 2" in error or "line 2" in error
    assert page.one("textarea#tracklist").node.text() == "2. Clash\nNext 9:99"  # kept as typed
    assert await Track.count().where(Track.album == album.id) == 2
    assert await track_rows(album.id, "FAILED") == []


async def test_add_one_track_and_refuse_a_taken_position(client: Any) -> None:
    album = await manual_album(title="Adding", tracks=tracklist(1))
    ok = post(
        client,
        f"/albums/{album.id}/tracks",
        title="New One",
        track_number="2",
        disc_number="1",
        duration_ms="2:30",
        isrc="us-abc-12-00001",
    )
    assert ok.status_code == 303
    new = await Track.select().where(Track.title == "New One").first()
    assert new["isrc"] == "USABC1200001" and new["duration_ms"] == 150_000
    taken = post(client, f"/albums/{album.id}/tracks", title="Dup", track_number="2", disc_number="1")
    assert taken.status_code == 422
    page = html(taken)
    assert any("disc 1 already has track 2" in e for e in page.texts("#add-track .field-error"))
    assert page.one("#add-title")["value"] == "Dup"
    assert await Track.count().where(Track.album == album.id) == 2


async def test_edit_a_track_writes_per_field_changes(client: Any, admin_user: int) -> None:
    album = await manual_album(title="Editing", tracks=tracklist(2))
    track = await Track.select().where((Track.album == album.id) & (Track.track_number == 1)).first()
    editor = client.get(
        f"/albums/{album.id}?edit_track={track['id']}",
        headers={"HX-Request": "true", "HX-Target": f"track-{track['id']}"},
    )
    row = html(editor).one(f"tr#track-{track['id']}.editing")
    assert row.one('input[name="title"]')["form"] == f"track-form-{track['id']}"
    assert html(editor).count("header.top") == 0
    response = post(
        client,
        f"/albums/{album.id}/tracks/{track['id']}",
        title="Renamed",
        track_number="1",
        disc_number="1",
        duration_ms="3:00",  # what the editor showed for 180001 ms: not a change
        isrc="",
        version="1",
    )
    assert response.status_code == 303
    saved = await Track.select().where(Track.id == track["id"]).first()
    assert saved["title"] == "Renamed" and saved["duration_ms"] == 180_001 and saved["version"] == 2
    (row,) = await track_rows(album.id, "CORRECTED")
    assert row["operation"] == "track:corrected:admin" and row["user_id"] == admin_user
    assert row["changes"] == {"title": {"before": "Track 1", "after": "Renamed"}}


async def test_track_edit_errors_and_conflicts_save_nothing(client: Any) -> None:
    album = await manual_album(title="Careful", tracks=tracklist(2))
    track = await Track.select().where(Track.track_number == 1).first()
    url = f"/albums/{album.id}/tracks/{track['id']}"
    bad = post(client, url, title="", track_number="x", disc_number="1", duration_ms="", isrc="", version="1")
    assert bad.status_code == 422
    assert any("a title is required" in e for e in html(bad).texts(f"#track-{track['id']} .field-error"))
    clash = post(
        client, url, title="T", track_number="2", disc_number="1", duration_ms="", isrc="", version="1"
    )
    assert clash.status_code == 422
    assert any(
        "disc 1 already has track 2" in e for e in html(clash).texts(f"#track-{track['id']} .field-error")
    )
    stale = post(
        client, url, title="Late", track_number="1", disc_number="1", duration_ms="", isrc="", version="7"
    )
    assert stale.status_code == 409
    conflict = html(stale).one(f"#track-{track['id']} .conflict")
    assert conflict.text_of("strong") == "This track changed while you were editing."
    assert conflict.text_of("dd.yours") == "1-1 Late" and conflict.text_of("dd.current") == "1-1 Track 1"
    assert (await Track.select().where(Track.id == track["id"]).first())["title"] == "Track 1"
    assert await track_rows(album.id, "CORRECTED") == []


async def test_delete_logs_the_before_values(client: Any, admin_user: int) -> None:
    album = await manual_album(title="Deleting", tracks=tracklist(2))
    track = await Track.select().where(Track.track_number == 2).first()
    response = post(client, f"/albums/{album.id}/tracks/{track['id']}/delete")
    assert response.status_code == 303
    assert await Track.count().where(Track.album == album.id) == 1
    (row,) = await track_rows(album.id, "CORRECTED")
    assert row["operation"] == "track:deleted:admin" and row["user_id"] == admin_user
    assert row["entity_id"] == track["id"]
    assert row["changes"]["title"] == {"before": "Track 2", "after": None}
    assert row["changes"]["track_number"] == {"before": 2, "after": None}


async def test_renumber_closes_gaps_with_one_row_per_moved_track(client: Any) -> None:
    album = await manual_album(title="Gappy", tracks=tracklist(3))
    middle = await Track.select().where(Track.track_number == 2).first()
    post(client, f"/albums/{album.id}/tracks/{middle['id']}/delete")
    renumber = html(client.get(f"/albums/{album.id}")).one(
        f'#tracks form[action="/albums/{album.id}/tracks/renumber"]'
    )
    assert renumber.text_of("button") == "Renumber 1..n"
    response = post(client, f"/albums/{album.id}/tracks/renumber")
    assert response.status_code == 303
    numbers = (
        await Track.select(Track.title, Track.track_number)
        .where(Track.album == album.id)
        .order_by(Track.track_number)
    )
    assert [(t["title"], t["track_number"]) for t in numbers] == [("Track 1", 1), ("Track 3", 2)]
    moved = [r for r in await track_rows(album.id, "CORRECTED") if r["operation"] == "track:corrected:admin"]
    assert len(moved) == 1 and moved[0]["changes"] == {"track_number": {"before": 3, "after": 2}}
    assert "Renumber 1..n" not in html(client.get(f"/albums/{album.id}")).texts("#tracks button")


async def test_saving_a_track_unchanged_writes_nothing(client: Any) -> None:
    album = await manual_album(title="Still", tracks=tracklist(1))
    track = await Track.select().where(Track.album == album.id).first()
    response = post(
        client,
        f"/albums/{album.id}/tracks/{track['id']}",
        title="Track 1",
        track_number="1",
        disc_number="1",
        duration_ms="3:00",
        isrc="",
        version="1",
    )
    assert response.status_code == 303
    assert (await Track.select(Track.version).where(Track.id == track["id"]).first())["version"] == 1
    assert await track_rows(album.id, "CORRECTED") == []
