"""Drill: two admins save the same album field at the same moment (real server, real HTTP).

What the user sees: the first save lands ("Saved title."); the second admin gets the album back with
a conflict panel showing both their value and the value now on file, and nothing of theirs saved.
Proof: exactly one CORRECTED row per album, the album holds the winner's value at version 2, the
loser's typed value is in their page (not lost), and no row or version bump for the loser.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from app.auth.users import create_admin
from app.catalog.tables import Album
from app.llamalog.tables import LlamaLog
from tests.drills.live import admin_session, live_app
from tests.factories import manual_album
from tests.html_query import html

pytestmark = pytest.mark.slow
ROUNDS = 6


async def _save(client: Any, album_id: Any, value: str) -> Any:
    data = {"_csrf_token": client.cookies["llama_csrf"], "field": "title", "value": value, "version": "1"}
    return await client.post(f"/albums/{album_id}/fields", data=data)


async def test_two_admins_saving_one_field_at_once(tmp_path: Path) -> None:
    await create_admin("alice", "alice-pass-123")
    await create_admin("bob", "bob-pass-1234")
    with live_app(tmp_path) as url:
        alice = await admin_session(url, "alice", "alice-pass-123")
        bob = await admin_session(url, "bob", "bob-pass-1234")
        try:
            for n in range(ROUNDS):
                album = await manual_album(title=f"Contested {n}")
                for client in (alice, bob):  # both have the editor open at version 1
                    assert (await client.get(f"/albums/{album.id}?edit=title")).status_code == 200
                mine, theirs = f"Alice's title {n}", f"Bob's title <b>{n}</b>"
                a, b = await asyncio.gather(_save(alice, album.id, mine), _save(bob, album.id, theirs))
                assert sorted([a.status_code, b.status_code]) == [303, 409], (a.status_code, b.status_code)
                winner, loser = (a, b) if a.status_code == 303 else (b, a)
                won, lost = (mine, theirs) if winner is a else (theirs, mine)
                after = await (alice if winner is a else bob).get(winner.headers["location"])
                assert str(escape(won)) in after.text  # escaped in the body
                assert html(after).text("#field-title:not(.editing) .value") == won

                row = await Album.select(Album.title, Album.version).where(Album.id == album.id).first()
                assert row == {"title": won, "version": 2}
                corrected = (
                    await LlamaLog.select(LlamaLog.changes, LlamaLog.username)
                    .where((LlamaLog.entity_id == album.id) & (LlamaLog.category == "CORRECTED"))
                    .output(load_json=True)
                )
                assert len(corrected) == 1
                assert corrected[0]["changes"]["title"] == {"before": f"Contested {n}", "after": won}
                assert corrected[0]["username"] == ("alice" if winner is a else "bob")
                # The loser's value comes back to them, escaped, next to the value now on file.
                assert str(escape(lost)) in loser.text and str(escape(won)) in loser.text
                assert "<b>" not in loser.text
                editor = html(loser).one("#field-title.editing")
                conflict = editor.one('.conflict[role="alert"]')
                assert (conflict.text_of("dd.yours"), conflict.text_of("dd.current")) == (lost, won)
                assert editor.one("#input-title")["value"] == lost and conflict.count("b") == 0
        finally:
            await alice.aclose()
            await bob.aclose()
    assert await LlamaLog.count().where(LlamaLog.category == "CORRECTED") == ROUNDS
