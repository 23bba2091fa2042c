"""The fix flow over HTTP against the local fake upstream: candidates → preview → apply → revert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.catalog.tables import Album, Track
from app.correction import lookup
from app.llamalog.context import job_scope, user_job
from app.llamalog.tables import LlamaLog
from tests.conftest import csrf
from tests.correction import payloads
from tests.html_query import Page, Query, html

NEVERMIND = "76df3287-6cda-33eb-8e9a-044b5e15ffdd"
NEVERMIND_DELUXE = "c8e4e798-1704-5873-afcb-32f0ec54c07e"
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    lookup.forget()
    yield
    lookup.forget()


async def _trackless_kat_moda() -> Any:
    return await payloads.spotify_album("album-YTgiLpQ8TUpjNsqpgsb90o-kat-moda-trackless")


def _keys(page: Page) -> list[str]:
    return [candidate["data-key"] for candidate in page.all("li.fix-candidate")]


def _ticked(page: Page, name: str) -> list[str]:
    return [box["value"] for box in page.all(f'input[type="checkbox"][name="{name}"][checked]')]


def _job_id(page: Query) -> str:
    return page.one('form.fix-revert input[name="job_id"]')["value"]


async def test_the_album_page_carries_the_fix_panel(client: Any) -> None:
    created = await _trackless_kat_moda()
    panel = html(client.get(f"/albums/{created.id}")).one("section#fix")
    assert panel.one("form.fix-search")["hx-get"] == f"/albums/{created.id}/fix/candidates"
    assert panel.count('input[name="q"]') == 1
    assert (
        panel.one("#fix-title-input")["value"] == "Kat Moda"
        and panel.one("#fix-artist")["value"] == "Jeff Mills"
    )


async def test_title_search_ranks_candidates_with_a_breakdown(upstream: Any, client: Any) -> None:
    created = await payloads.spotify_album("album-rp939yaauRq24DQAUDWpxT-nevermind")
    response = client.get(f"/albums/{created.id}/fix/candidates", headers=HX)
    assert response.status_code == 200
    page = html(response)
    assert page.count("header.top") == 0 and page.count("section#fix") == 0  # htmx gets the step
    assert _keys(page)[:2] == [f"musicbrainz:{NEVERMIND}", f"musicbrainz:{NEVERMIND_DELUXE}"]
    assert page.count("tr.fix-component") == 2 * 9
    first = page.all("li.fix-candidate")[0]
    assert first.text_of("details.fix-breakdown summary").startswith("Why ")
    assert "16 tracks vs 12" in page.texts("details.fix-breakdown tr.fix-component td")
    preview = first.one("a.fix-preview")["hx-get"]
    assert preview == f"/albums/{created.id}/fix/preview?key=musicbrainz%3A{NEVERMIND}"


async def test_pasted_mbid_url_finds_that_release(upstream: Any, client: Any) -> None:
    created = await _trackless_kat_moda()
    url = "https://musicbrainz.org/release/e47d04a4-7460-427d-a731-cc82386d85f1"
    page = html(client.get(f"/albums/{created.id}/fix/candidates", params={"q": url}))
    assert page.count("header.top nav") == 1 and page.count("section#fix #fix-step") == 1  # a page of its own
    assert _keys(page) == [f"musicbrainz:{payloads.KAT_MODA}"]
    assert [r.path for r in upstream.requests("musicbrainz")] == [f"/ws/2/release/{payloads.KAT_MODA}"]


async def test_a_pasted_discogs_url_finds_that_release(upstream: Any, client: Any) -> None:
    created = await payloads.spotify_album("album-HkyL7kKH1FA0ifZpvdgBPI-never-gonna-give-you-up")
    url = "https://www.discogs.com/release/1503102-Rick-Astley-Never-Gonna-Give-You-Up"
    page = html(client.get(f"/albums/{created.id}/fix/candidates", params={"q": url}, headers=HX))
    assert _keys(page) == ["discogs:1503102"]
    assert "TDS 407" in page.texts("li.fix-candidate .mono")


async def test_a_disabled_discogs_is_a_note_not_an_error(
    upstream: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.sources import clients

    monkeypatch.delenv("DISCOGS_TOKEN")
    get_settings.cache_clear()
    clients.reset()
    created = await _trackless_kat_moda()
    page = html(client.get(f"/albums/{created.id}/fix/candidates", params={"q": "PMD002"}, headers=HX))
    assert "Discogs is disabled: DISCOGS_TOKEN is not set" in page.texts("p.fix-note")
    assert f"musicbrainz:{payloads.KAT_MODA}" in _keys(page)
    assert upstream.requests("discogs") == []


async def test_preview_apply_and_revert_a_trackless_album(upstream: Any, client: Any) -> None:
    created = await _trackless_kat_moda()
    album_url = f"/albums/{created.id}"
    page = html(
        client.get(f"{album_url}/fix/preview", params={"key": f"musicbrainz:{payloads.KAT_MODA}"}, headers=HX)
    )
    assert page.count("tr.fix-track.fix-added") == 3
    assert set(_ticked(page, "track")) == {"new-1-1", "new-1-2", "new-1-3"}
    assert "musicbrainz_id" in _ticked(page, "field")
    assert "release_date" not in _ticked(page, "field")  # Spotify's 1997 stays unless ticked
    version = page.one('input[name="version"]')["value"]

    form = {
        "key": f"musicbrainz:{payloads.KAT_MODA}",
        "version": version,
        "field": _ticked(page, "field"),
        "track": _ticked(page, "track"),
    }
    response = client.post(f"{album_url}/fix/apply", data=form, headers={**HX, **csrf(client)})
    assert response.status_code == 200, response.text
    result = html(response)
    applied = result.one(".fix-result .flash.ok")
    assert applied.text_of("strong") == "Applied." and "3 tracks added" in applied.text
    album = await Album.select().where(Album.id == created.id).first()
    assert album["musicbrainz_id"] == payloads.KAT_MODA
    assert "NO_TRACKS" not in album["broken_reasons"]
    assert await Track.count().where(Track.album == created.id) == 3
    job_id = _job_id(result)
    rows = await LlamaLog.select().where(LlamaLog.root_job_id == job_id)
    assert len(rows) == 4 and {r["user_id"] for r in rows} == {1}

    assert response.headers["hx-trigger"] == "fix-changed"
    history = html(client.get(f"{album_url}/fix/corrections", headers=HX)).one("tr.fix-history-row")
    assert history.text_of("code") == "album:corrected:musicbrainz" and _job_id(history) == job_id

    response = client.post(f"{album_url}/fix/revert", data={"job_id": job_id}, headers={**HX, **csrf(client)})
    assert response.status_code == 200, response.text
    reverted = r"Reverted: 4 fields changed \([a-z_, ]*musicbrainz_id[a-z_, ]*\); 3 tracks removed[;.]"
    assert re.match(reverted, html(response).text(".fix-revert-result strong"))
    assert await Track.count().where(Track.album == created.id) == 0
    album = await Album.select().where(Album.id == created.id).first()
    assert album["musicbrainz_id"] is None


async def test_a_stale_preview_shows_the_conflict_and_applies_nothing(upstream: Any, client: Any) -> None:
    created = await _trackless_kat_moda()
    album_url = f"/albums/{created.id}"
    with job_scope(user_job(9, "someone-else")):
        await update_album(created.id, {"release_date": "1997-06"}, expected_version=1)
    form = {"key": f"musicbrainz:{payloads.KAT_MODA}", "version": "1", "field": ["musicbrainz_id"]}
    response = client.post(f"{album_url}/fix/apply", data=form, headers={**HX, **csrf(client)})
    assert response.status_code == 409
    page = html(response)
    conflict = page.one(".fix-conflict")
    assert (
        conflict.text_of("strong").startswith("Someone changed this album")
        and "version 1 → 2" in conflict.text
    )
    assert page.one('input[name="version"]')["value"] == "2"  # the preview is rebuilt on the album as it is
    assert await Track.count().where(Track.album == created.id) == 0
    album = await Album.select().where(Album.id == created.id).first()
    assert album["musicbrainz_id"] is None


async def test_revert_conflict_lists_the_fields(upstream: Any, client: Any) -> None:
    created = await _trackless_kat_moda()
    album_url = f"/albums/{created.id}"
    form = {"key": f"musicbrainz:{payloads.KAT_MODA}", "version": "1", "field": ["catalog_number"]}
    response = client.post(f"{album_url}/fix/apply", data=form, headers={**HX, **csrf(client)})
    job_id = _job_id(html(response))
    album = await Album.select().where(Album.id == created.id).first()
    with job_scope(user_job(1, "admin")):
        await update_album(created.id, {"catalog_number": "PMD-002"}, expected_version=album["version"])
    response = client.post(f"{album_url}/fix/revert", data={"job_id": job_id}, headers={**HX, **csrf(client)})
    assert response.status_code == 409
    refused = html(response).one(".fix-reverted .flash.error")
    assert refused.text_of("strong").startswith("Not reverted")
    assert any(c.startswith("catalog_number: now 'PMD-002'") for c in refused.texts("ul.fix-conflicts li"))


def test_apply_without_csrf_is_refused(client: Any) -> None:
    response = client.post(
        "/albums/00000000-0000-0000-0000-000000000000/fix/apply", data={"key": "x"}, follow_redirects=False
    )
    assert response.status_code == 403


async def test_upstream_text_is_escaped() -> None:
    from dataclasses import replace

    from app.correction.scoring import rank
    from app.correction.search import SearchQuery
    from app.correction.steps import CandidateList
    from app.web.templating import jinja_env
    from tests.correction.payloads import album

    evil = replace(payloads.kat_moda(), title="<script>alert(1)</script>", artist_credit='"><img src=x>')
    current = album("Kat Moda", "Jeff Mills")
    found = CandidateList(album=current, query=SearchQuery(title="x"), ranked=rank(current, [evil]))
    markup = jinja_env().get_template("fix_candidates.html").render(found=found, album_url="/albums/x")
    page = html(markup)
    assert page.count("script:not([src])") == 0 and page.count('img[src="x"]') == 0
    assert page.texts(".fix-candidate-title") == ["<script>alert(1)</script>"]  # text, as sent
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup


async def test_the_timeline_offers_a_one_click_revert(upstream: Any, client: Any) -> None:
    created = await _trackless_kat_moda()
    job = user_job(1, "admin")
    with job_scope(job):
        from app.correction.apply import apply_candidate

        await apply_candidate(
            created.id,
            payloads.kat_moda(),
            expected_version=1,
            take_fields={"musicbrainz_id"},
            take_tracks={"new-1-1"},
        )
    row = (
        await LlamaLog.select(LlamaLog.id).where(LlamaLog.operation == "album:corrected:musicbrainz").first()
    )
    page = html(client.get(f"/timeline/album/{created.id}?root={job.job_id}", headers=HX))
    log_ids = [box["value"] for box in page.all('form.fix-revert input[type="hidden"][name="log_id"]')]
    job_ids = [box["value"] for box in page.all('form.fix-revert input[type="hidden"][name="job_id"]')]
    assert str(row["id"]) in log_ids and str(job.job_id) in job_ids
    response = client.post(
        f"/albums/{created.id}/fix/revert", data={"job_id": job.job_id}, headers={**HX, **csrf(client)}
    )
    assert response.status_code == 200
    assert (
        html(response)
        .text(".fix-revert-result strong")
        .startswith("Reverted: 1 field changed (musicbrainz_id); 1 track removed")
    )
    assert await Track.count().where(Track.album == created.id) == 0
