"""The timeline pages: an entity's chain as a job tree, lazy roots, live pings, artist/track pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.catalog.tables import Artist, Track
from app.llamalog import live
from app.llamalog.context import job_scope
from app.llamalog.logger import record
from tests.factories import job_album, manual_album, tracklist
from tests.html_query import Page, html

XSS_TITLES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def root_ids(page: Page) -> list[str]:
    return [root["id"].removeprefix("root-") for root in page.all("details.root")]


async def test_full_page_draws_collapsed_roots_with_counts(client: Any) -> None:
    created, ctx = await job_album(title="Timeline Album", tracks=tracklist(3))
    await update_album(created.id, {"title": "Timeline Album 2"}, expected_version=1)
    page = html(client.get(f"/timeline/album/{created.id}"))
    assert page.count("header.top nav") == 1 and page.text("main h1") == "Timeline of Timeline Album 2"
    roots = root_ids(page)
    assert len(roots) == 2 and roots[1] == ctx.job_id  # newest root first
    sync = page.one(f"#root-{ctx.job_id}")
    assert not sync.has("open")
    # the sync root: its album row as headline, four rows beneath counted per category
    count = sync.one("summary .counts .badge.CREATED")
    assert count.text == "CREATED 4" and count.text_of(".count") == "4" and count.count("img") == 1
    assert sync["hx-get"] == f"/timeline/album/{created.id}?root={ctx.job_id}"
    assert sync["hx-trigger"] == "toggle once"
    assert page.one("#timeline")["sse-connect"].startswith(f"/timeline/album/{created.id}/stream?after=")


async def test_htmx_gets_the_section_the_tree_or_one_root(client: Any) -> None:
    created, ctx = await job_album(title="Blocks", tracks=tracklist(2))
    hx = {"HX-Request": "true"}
    section = html(client.get(f"/timeline/ALBUM/{created.id}", headers=hx))
    assert section.count("body > section.timeline.panel#timeline") == 1 and section.count("h1") == 0
    tree = html(client.get(f"/timeline/album/{created.id}?part=tree", headers=hx))
    assert tree.count("section") == 0 and root_ids(tree) == [ctx.job_id]
    body = html(client.get(f"/timeline/album/{created.id}?root={ctx.job_id}", headers=hx))
    assert body.count("details.root") == 0 and body.count("details.tl-row") == 4
    operations = body.texts("details.tl-row summary .op")
    assert "album:created:spotify-sync" in operations and "track:created:spotify-sync" in operations
    # an open root stays open (with its jobs drawn) when the tree refreshes
    refreshed = html(client.get(f"/timeline/album/{created.id}?part=tree&open={ctx.job_id}", headers=hx))
    assert refreshed.one(f"#root-{ctx.job_id}").has("open") and refreshed.count("details.tl-row") == 4


async def test_category_filter(client: Any) -> None:
    created = await manual_album(title="Cats", tracks=tracklist(2))
    await update_album(created.id, {"title": "Cats 2"}, expected_version=1)
    page = html(client.get(f"/timeline/album/{created.id}?category=CORRECTED"))
    assert len(root_ids(page)) == 1 and page.texts("details.root summary .op") == ["album:corrected:admin"]
    checked = [box["value"] for box in page.all('.tl-filter input[name="category"]') if box.has("checked")]
    assert checked == ["CORRECTED"]
    assert "category=CORRECTED" in page.one("#timeline")["sse-connect"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/timeline/playlist/{id}", "timeline: unknown kind"),
        ("/timeline/album/not-an-id", "is not an id"),
        ("/timeline/album/{id}?category=NOPE", "category: unknown value"),
        ("/timeline/album/{id}?cursor=zzz", "cursor: not a cursor"),
        ("/timeline/album/{id}?root=zzz", "root: 'zzz' is not a job id"),
    ],
)
async def test_bad_input_is_a_400(client: Any, url: str, message: str) -> None:
    created = await manual_album(title="Bad")
    response = client.get(url.format(id=created.id), headers={"HX-Request": "true"})
    assert response.status_code == 400 and message in html(response).text(".error-page p.error")


async def test_job_timeline_holds_the_job_and_its_children(client: Any) -> None:
    created, ctx = await job_album(title="Job Tree", tracks=tracklist(2))
    await manual_album(title="Elsewhere")
    page = html(
        client.get(f"/timeline/job/{ctx.job_id}?part=tree&open={ctx.job_id}", headers={"HX-Request": "true"})
    )
    assert root_ids(page) == [ctx.job_id]
    assert "Elsewhere" not in page.text() and page.count("details.tl-row") == 4


async def test_stream_pings_for_rows_in_this_timeline_only(client: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.5)
    monkeypatch.setattr(live, "POLL_SECONDS", 0.05)
    created, ctx = await job_album(title="Pinged", tracks=tracklist(1))
    other, _ = await job_album(title="Other", tracks=tracklist(1))
    with job_scope(ctx):
        await record(entity_type="ALBUM", entity_id=created.id, operation="album:enriched:musicbrainz")
    body = client.get(f"/timeline/album/{created.id}/stream?after=0&category=ENRICHED").text
    assert re.findall(r"event: row", body) == ["event: row"]
    assert (
        client.get(f"/timeline/album/{other.id}/stream?category=ENRICHED&after=0").text.count("event:") == 0
    )


@pytest.mark.parametrize("title", XSS_TITLES)
async def test_hostile_titles_render_inert_in_the_timeline(client: Any, title: str) -> None:
    created, ctx = await job_album(title=title, artist=title, tracks=tracklist(1))
    await update_album(created.id, {"title": title + "!"}, expected_version=1)
    for url in (
        f"/timeline/album/{created.id}",
        f"/timeline/album/{created.id}?root={ctx.job_id}",
        f"/timeline/album/{created.id}?part=tree&open={ctx.job_id}",
    ):
        page = html(client.get(url, headers={"HX-Request": "true"} if "?" in url else {}))
        assert page.count("script:not([src])") == 0 and page.count('img[src="x"]') == 0
        assert title in page.text()  # shown as text, as typed


async def test_timeline_costs_the_same_queries_whatever_its_size(
    client: Any, query_counter: dict[str, int]
) -> None:
    small, small_ctx = await job_album(title="Small", tracks=tracklist(1))
    big, big_ctx = await job_album(title="Big", tracks=tracklist(40))
    for n in range(5):
        await update_album(big.id, {"title": f"Big {n}"}, expected_version=n + 1)
    counts = []
    for album, ctx in ((small, small_ctx), (big, big_ctx)):
        for url in (
            f"/timeline/album/{album.id}",
            f"/timeline/album/{album.id}?part=tree&open={ctx.job_id}",
            f"/timeline/album/{album.id}?root={ctx.job_id}",
        ):
            query_counter["n"] = 0
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
            counts.append(query_counter["n"])
    assert counts[:3] == counts[3:]
    assert max(counts) <= 3  # the session, maybe the user, and ONE chain query


async def test_artist_and_track_pages_include_their_timelines(client: Any) -> None:
    created, _ = await job_album(title="Pages Album", artist="Page Artist", tracks=tracklist(1))
    artist = await Artist.select().first()
    track = await Track.select().first()
    page = html(client.get(f"/artists/{artist['id']}"))
    assert page.text("main h1") == "Page Artist"
    assert page.text_of(f'main table a[href="/albums/{created.id}"]') == "Pages Album"
    timeline = page.one("#timeline")
    assert (timeline["hx-get"], timeline["hx-trigger"]) == (f"/timeline/artist/{artist['id']}", "load")
    page = html(client.get(f"/tracks/{track['id']}"))
    assert page.text("main h1") == "Track 1"
    timeline = page.one("#timeline")
    assert (timeline["hx-get"], timeline["hx-trigger"]) == (f"/timeline/track/{track['id']}", "load")
    assert page.text_of(f'.crumbs a[href="/albums/{created.id}"]') == "Pages Album"
    assert html(client.get(f"/tracks/{track['id']}", headers={"HX-Request": "true"})).count("header.top") == 0
    assert client.get("/artists/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/tracks/nope").status_code == 404


def test_anonymous_is_sent_to_login(anon_client: Any) -> None:
    for url in ("/timeline/album/00000000-0000-0000-0000-000000000000", "/artists/x", "/tracks/x"):
        assert anon_client.get(url, follow_redirects=False).status_code == 303
