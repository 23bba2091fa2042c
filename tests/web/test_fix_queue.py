"""/albums/broken as the needs-attention queue: match strength in words, filters, bulk apply."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from app.catalog.albums import update_album
from app.catalog.tables import Album
from app.correction.bulk import run_batch
from app.correction.tables import BulkItem
from app.jobs.tables import Job
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.correction.test_prefetch import seeded
from tests.jobs.harness import job_in, wait_until, worker_fixture

HX = {"HX-Request": "true", "HX-Target": "results"}
worker = worker_fixture("sync", "enrichment", "covers", "fix")


def rows(html: str) -> dict[str, tuple[str, str, str]]:
    """Title → (album id, strength, words) as the queue lists them."""
    found = {}
    for album_id, body in re.findall(r'<tr id="album-([0-9a-f-]{36})">(.*?)</tr>', html, re.S):
        title = re.search(r'class="album-title"[^>]*>([^<]+)</a>', body)
        strength = re.search(r'data-strength="(\w+)"', body)
        words = re.search(r'class="match-strength[^"]*"[^>]*>([^<]+)<', body)
        assert title and words and strength
        found[unescape(title[1])] = (album_id, strength[1], unescape(words[1]).strip())
    return found


async def test_the_queue_names_each_albums_match_strength_and_opens_its_preview(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    html = client.get("/albums/broken").text
    queue = rows(html)
    assert set(queue) == set(broken)
    assert queue["Nevermind"][1] == "strong" and queue["Nevermind"][2].startswith("strong match ")
    assert queue["Nevermind"][2].endswith(" (MusicBrainz)")
    assert queue["Sneakin’"][1:] == ("strong", "strong match 79 (Discogs)")
    assert queue["Yeezus"][1:] == ("none", "no candidate")
    assert queue["Autobahn (2009 Remaster)"][1:] == ("ask", "ask: best 71 is below 78")
    # The words open the side-by-side preview of the top candidate.
    link = re.search(rf'href="(/albums/{broken["Nevermind"]}/fix/preview\?key=[^"]+)"', html)
    assert link is not None
    preview = client.get(unescape(link[1]))
    assert preview.status_code == 200 and "fix-preview" in preview.text
    strong = rows(client.get("/albums/broken?strength=strong", headers=HX).text)
    assert sorted(strong) == ["Nevermind", "Sneakin’"]
    asked = rows(client.get("/albums/broken?strength=ask&source=SPOTIFY", headers=HX).text)
    assert "Nevermind" not in asked and "Autobahn (2009 Remaster)" in asked


def test_an_unknown_filter_value_is_a_400_naming_it(client: Any) -> None:
    for url, name in (
        ("/albums/broken?strength=certain", "strength: unknown value"),
        ("/albums/broken?reason=UGLY", "reason: unknown value"),
        ("/albums/broken?source=NAPSTER", "source: unknown value"),
        ("/albums/broken?run=yesterday", "run: &#39;yesterday&#39; is not a job id"),
        ("/albums/broken?cursor=zzz", "cursor:"),
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert name in response.text, (url, response.text[:300])


async def test_bulk_apply_takes_only_strong_matches_each_with_the_user(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    # "Everything matching this filter": the estimate on the page, the exact list in the preview.
    page = client.get("/albums/broken").text
    assert f'data-estimate="{len(broken)}"' in page
    preview = client.post("/albums/broken/bulk/preview", data={"all": "1", **token})
    assert preview.status_code == 200, preview.text
    entries = re.findall(r'name="entry" value="([0-9a-f-]{36}):(\d+)"', preview.text)
    # Sneakin’ gets its track; Nevermind's strong match has nothing to fill (no cover either).
    assert [album_id for album_id, _ in entries] == [str(broken["Sneakin’"])]
    not_taken = dict(re.findall(r'<li data-album="([0-9a-f-]{36})">.*?</bdi>: ([^<]+)</li>', preview.text))
    assert sorted(not_taken) == sorted(str(v) for k, v in broken.items() if k != "Sneakin’")
    assert not_taken[str(broken["Nevermind"])] == "nothing to take: no gap the candidate fills"
    assert not_taken[str(broken["Autobahn (2009 Remaster)"])] == "ask: best 71 is below 78"
    assert "1 added" in preview.text
    response = client.post(
        "/albums/broken/bulk/apply",
        data={"entry": [f"{a}:{v}" for a, v in entries], **token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    await worker.drain()
    job = await wait_until(lambda: job_in(job_id, "succeeded"), what="bulk apply")
    assert job["user_id"] is not None and job["progress_done"] == job["progress_total"] == 1
    children = await Job.select().where(Job.parent_job_id == job_id)
    assert len(children) == 1 and children[0]["kind"] == "bulk_apply_album"
    corrected = await LlamaLog.select().where(
        (LlamaLog.root_job_id == job_id)
        & (LlamaLog.category == "CORRECTED")
        & (LlamaLog.entity_type == "ALBUM")
    )
    assert [(r["entity_id"], r["user_id"]) for r in corrected] == [(broken["Sneakin’"], job["user_id"])]
    assert corrected[0]["job_id"] == children[0]["job_id"]
    run_page = client.get(response.headers["location"]).text
    assert "1</b> applied" in run_page


async def test_a_run_delivered_again_applies_no_album_twice_and_lists_conflicts(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    nevermind = broken["Sneakin’"]
    album = await Album.select(Album.version).where(Album.id == nevermind).first()
    assert album is not None
    from app.correction.bulk import start_batch

    worker.stop()  # the job waits in its queue: we run it by hand, twice
    job_id = await start_batch([(nevermind, album["version"])], user_id=None, username="admin")
    row = await Job.select().where(Job.job_id == job_id).output(load_json=True).first()
    assert row is not None
    ctx = JobContext.new_root(triggered_by="user", job_id=job_id)
    with job_scope(ctx):
        first = await run_batch(row["args"][0])
        again = await run_batch(row["args"][0])
    assert (first.applied, again.applied, again.skipped) == (1, 0, 1)
    rows_ = await LlamaLog.select().where(
        (LlamaLog.root_job_id == job_id)
        & (LlamaLog.category == "CORRECTED")
        & (LlamaLog.entity_type == "ALBUM")
    )
    assert len(rows_) == 1
    # An album edited between the preview and its turn is skipped and listed as a conflict.
    album = await Album.select(Album.version).where(Album.id == nevermind).first()
    assert album is not None
    stale_version = album["version"]
    await update_album(nevermind, {"label": "Edited by hand"}, expected_version=stale_version)
    await BulkItem.update({BulkItem.status: "pending", BulkItem.album_version: stale_version}).where(
        BulkItem.album_id == nevermind
    )
    with job_scope(ctx):
        third = await run_batch(row["args"][0])
    assert third.conflicts == 1 and third.applied == 0
    item = await BulkItem.select().where(BulkItem.album_id == nevermind).first()
    assert (
        item is not None and item["status"] == "conflict" and "changed since the preview" in item["message"]
    )


async def test_keyset_pages_cover_the_queue_once_and_selected_albums_preview_alone(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    seen: list[str] = []
    url: str | None = "/albums/broken?limit=2"
    while url:
        html = client.get(url).text
        seen += [album_id for album_id, _, _ in rows(html).values()]
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = unescape(found[1]) if found else None
        assert "OFFSET" not in (url or "")
    assert sorted(seen) == sorted(str(v) for v in broken.values())
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    picked = [str(broken["Sneakin’"]), str(broken["Yeezus"])]
    preview = client.post("/albums/broken/bulk/preview", data={"album": picked, **token}).text
    assert re.findall(r'name="entry" value="([0-9a-f-]{36}):', preview) == [picked[0]]
    assert re.findall(r'<li data-album="([0-9a-f-]{36})">', preview) == [picked[1]]
    bad = client.post("/albums/broken/bulk/preview", data={"album": "not-an-id", **token})
    assert bad.status_code == 400 and "album: &#39;not-an-id&#39; is not an album id" in bad.text
