"""/albums/broken as the needs-attention queue: match strength in words, filters, bulk apply."""

from __future__ import annotations

from typing import Any

from app.catalog.albums import update_album
from app.catalog.tables import Album
from app.correction.bulk import run_batch
from app.correction.tables import BulkItem
from app.jobs.tables import Job
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.correction.test_prefetch import seeded
from tests.html_query import Page, html
from tests.jobs.harness import job_in, wait_until, worker_fixture

HX = {"HX-Request": "true", "HX-Target": "results"}
worker = worker_fixture("sync", "enrichment", "covers", "fix")


def rows(markup: str) -> dict[str, tuple[str, str, str]]:
    """Title → (album id, strength, words) as the queue lists them."""
    found = {}
    for row in html(markup).all('tr[id^="album-"]'):
        cell = row.one("td.match-cell")
        found[row.text_of("a.album-title")] = (
            row["id"].removeprefix("album-"),
            cell["data-strength"],
            cell.text_of(".match-strength"),
        )
    return found


def error_message(page: Page) -> str:
    """The refusal: the queue's own alert above its form, or the styled error page's message."""
    found = page.first("p.flash.error[role=alert]") or page.one(".error-page p.error")
    return found.text


async def test_the_queue_names_each_albums_match_strength_and_opens_its_preview(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    page = client.get("/albums/broken").text
    queue = rows(page)
    assert set(queue) == set(broken)
    assert queue["Nevermind"][1] == "strong" and queue["Nevermind"][2].startswith("strong match ")
    assert queue["Nevermind"][2].endswith(" (MusicBrainz)")
    assert queue["Sneakin’"][1:] == ("strong", "strong match 79 (Discogs)")
    assert queue["Yeezus"][1:] == ("none", "no candidate")
    assert queue["Autobahn (2009 Remaster)"][1:] == ("ask", "ask: best 71 is below 78")
    # The words open the side-by-side preview of the top candidate.
    link = html(page).one(f"tr#album-{broken['Nevermind']} a.match-strength")["href"]
    assert link.startswith(f"/albums/{broken['Nevermind']}/fix/preview?key=")
    preview = client.get(link)
    assert preview.status_code == 200 and html(preview).count("form.fix-preview-form") == 1
    strong = rows(client.get("/albums/broken?strength=strong", headers=HX).text)
    assert sorted(strong) == ["Nevermind", "Sneakin’"]
    asked = rows(client.get("/albums/broken?strength=ask&source=SPOTIFY", headers=HX).text)
    assert "Nevermind" not in asked and "Autobahn (2009 Remaster)" in asked


def test_an_unknown_filter_value_is_a_400_naming_it(client: Any) -> None:
    for url, name in (
        ("/albums/broken?strength=certain", "strength: unknown value"),
        ("/albums/broken?reason=UGLY", "reason: unknown value"),
        ("/albums/broken?source=NAPSTER", "source: unknown value"),
        ("/albums/broken?run=yesterday", "run: 'yesterday' is not a job id"),
        ("/albums/broken?cursor=zzz", "cursor:"),
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert error_message(html(response)).startswith(name), (url, response.text[:300])


async def test_bulk_apply_takes_only_strong_matches_each_with_the_user(
    upstream: Any, worker: Any, client: Any
) -> None:
    broken = await seeded(worker)
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    # "Everything matching this filter": the estimate on the page, the exact list in the preview.
    page = html(client.get("/albums/broken"))
    assert page.one("button[name=all]")["data-estimate"] == str(len(broken))
    response = client.post("/albums/broken/bulk/preview", data={"all": "1", **token})
    assert response.status_code == 200, response.text
    preview = html(response)
    entries = [e["value"] for e in preview.all('tr.bulk-album input[name="entry"]')]
    # Sneakin’ gets its track; Nevermind's strong match has nothing to fill (no cover either).
    assert [entry.split(":")[0] for entry in entries] == [str(broken["Sneakin’"])]
    not_taken = {li["data-album"]: li.text.split(": ", 1)[1] for li in preview.all("details li[data-album]")}
    assert sorted(not_taken) == sorted(str(v) for k, v in broken.items() if k != "Sneakin’")
    assert not_taken[str(broken["Nevermind"])] == "nothing to take: no gap the candidate fills"
    assert not_taken[str(broken["Autobahn (2009 Remaster)"])] == "ask: best 71 is below 78"
    assert preview.texts("tr.bulk-album td.bulk-tracks") == ["1 added"]
    response = client.post(
        "/albums/broken/bulk/apply",
        data={"entry": entries, **token},
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
    run_page = html(client.get(response.headers["location"]))
    assert run_page.text("p.bulk-counts").startswith("1 applied · 0 conflicts skipped · 0 failed")
    assert [li["data-album"] for li in run_page.all("ul.bulk-applied li")] == [str(broken["Sneakin’"])]


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
        markup = client.get(url).text
        seen += [album_id for album_id, _, _ in rows(markup).values()]
        found = html(markup).first('a[rel="next"]')
        url = found["href"] if found else None
        assert "OFFSET" not in (url or "")
    assert sorted(seen) == sorted(str(v) for v in broken.values())
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    picked = [str(broken["Sneakin’"]), str(broken["Yeezus"])]
    preview = html(client.post("/albums/broken/bulk/preview", data={"album": picked, **token}))
    assert [e["value"].split(":")[0] for e in preview.all('input[name="entry"]')] == [picked[0]]
    assert [li["data-album"] for li in preview.all("li[data-album]")] == [picked[1]]
    bad = client.post("/albums/broken/bulk/preview", data={"album": "not-an-id", **token})
    assert bad.status_code == 400
    assert error_message(html(bad)) == "album: 'not-an-id' is not an album id"
