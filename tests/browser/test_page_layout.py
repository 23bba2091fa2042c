"""Pages hold up at 1280 px and on a 390 px phone: nothing wider than the screen, every column and
link in sight, log rows as cards on a phone, errors as styled pages with the nav."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.jobs.tables import Job
from app.llamalog.logger import record
from tests.browser.conftest import log_in_page
from tests.factories import job_album, tracklist

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LONG_TITLE = "Sgt. Pepper's Lonely Hearts Club Band (Super Deluxe Edition, 2017 Remix and Outtakes)"
LONG_URL = "https://coverartarchive.org/release/" + "0123456789abcdef" * 6 + "/front-1200.jpg"


async def seed_pages() -> str:
    """An album with tracks, log rows with long values in every column, and finished jobs."""
    created, ctx = await job_album(title=LONG_TITLE, artist="The Beatles", tracks=tracklist(12))
    await record(
        entity_type="ALBUM",
        entity_id=created.id,
        operation="album:enriched:musicbrainz-enrichment",
        status="PARTIAL_SUCCESS",
        sources=["MUSICBRAINZ", "COVERARTARCHIVE", "DISCOGS"],
        entity_label=LONG_TITLE,
        fields_enriched=["musicbrainz_id", "cover_art_url", "label", "catalog_number", "barcode"],
        changes={
            "cover_art_url": {"before": None, "after": LONG_URL},
            "label": {"before": "", "after": "EMI"},
        },
        duration_ms=12_345,
        context=ctx,
    )
    await record(
        entity_type="ALBUM",
        entity_id=created.id,
        operation="album:cached:cover-art",
        status="NO_DATA_AVAILABLE",
        sources=["COVERARTARCHIVE"],
        entity_label=LONG_TITLE,
        error_message="the Cover Art Archive has no front image for this release",
    )
    t0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    for n, status in enumerate(("succeeded", "failed", "succeeded")):
        job_id = uuid.uuid4()
        await Job(
            job_id=job_id,
            root_job_id=job_id,
            kind="sync_musicbrainz",
            actor="sync_musicbrainz",
            status=status,
            progress_done=7,
            progress_total=7,
            albums_created=5,
            artists_linked=3,
            tracks_created=60,
            failures=1 if status == "failed" else 0,
            error_code="UPSTREAM_TIMEOUT" if status == "failed" else None,
            created_at=t0 + dt.timedelta(minutes=n),
        ).save()
    return str(created.id)


@pytest.fixture
async def open_page(chromium: Any, live_server: str, admin_user: int) -> AsyncIterator[Any]:
    """open_page(viewport) → a logged-in page of that size (contexts closed at the end)."""
    contexts: list[Any] = []

    async def opener(viewport: dict[str, int]) -> Any:
        context = await chromium.new_context(base_url=live_server, viewport=viewport)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = await context.new_page()
        await log_in_page(page)
        return page

    yield opener
    for context in contexts:
        await context.close()


async def page_width(page: Any) -> int:
    return int(await page.evaluate("() => document.documentElement.scrollWidth"))


async def box(locator: Any) -> dict[str, float]:
    """The element's box in viewport pixels, after the page scrolled it into view."""
    await locator.scroll_into_view_if_needed()
    rect: dict[str, float] = await locator.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; }"
    )
    return rect


async def inside_viewport(page: Any, locator: Any) -> bool:
    rect = await box(locator)
    width = page.viewport_size["width"]
    return await locator.is_visible() and rect["width"] > 0 and rect["left"] >= 0 and rect["right"] <= width


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "phone"])
async def test_logs_jobs_and_album_are_no_wider_than_the_screen(open_page: Any, viewport: dict) -> None:
    album_id = await seed_pages()
    page = await open_page(viewport)
    for path in ("/logs", "/jobs", f"/albums/{album_id}"):
        await page.goto(path)
        await page.locator("main h1").wait_for()
        assert await page_width(page) <= viewport["width"], f"{path} is wider than {viewport['width']} px"


async def test_every_log_column_header_is_in_sight_at_1280(open_page: Any) -> None:
    await seed_pages()
    page = await open_page(DESKTOP)
    await page.goto("/logs")
    headers = page.locator("table.log-table thead th")
    assert await headers.count() == 10
    for i in range(10):
        header = headers.nth(i)
        assert await inside_viewport(page, header), f"column {await header.inner_text()} is out of sight"
    wrap_fits = "e => e.scrollWidth <= e.clientWidth"
    assert await page.locator(".table-wrap:has(table.log-table)").evaluate(wrap_fits)


async def test_log_rows_are_cards_on_a_phone_and_the_diff_is_not_cut(open_page: Any) -> None:
    await seed_pages()
    page = await open_page(PHONE)
    await page.goto("/logs")
    rows = page.locator("#log-rows tr.log-row")
    assert await rows.count() >= 5
    for i in range(await rows.count()):
        row = rows.nth(i)
        for part in ("td.time time", "td:nth-child(2) .badge", "td.entity", "td.op", "td:nth-child(5) .pill"):
            assert await inside_viewport(page, row.locator(part)), f"row {i}: {part} is out of sight"
        assert await row.locator("td.fields").is_hidden()  # the rest waits behind a tap

    enriched = rows.filter(has_text="album:enriched:musicbrainz-enrichment")
    await enriched.locator("td.entity .etype").click()  # a tap on the card opens it
    detail = page.locator("#log-rows tr.log-detail")
    await detail.wait_for()
    for part in ("table.diff", "table.diff td.after", "dl.facts"):
        assert await inside_viewport(page, detail.locator(part).first), f"{part} is cut"
    after = detail.locator("table.diff td.after", has_text="coverartarchive.org")
    assert await after.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert await page_width(page) <= PHONE["width"]


async def test_jobs_run_now_buttons_are_in_reach_on_a_phone(open_page: Any) -> None:
    await seed_pages()
    page = await open_page(PHONE)
    await page.goto("/jobs")
    buttons = page.locator("table.schedule button[type=submit]")
    assert await buttons.count() >= 2
    for i in range(await buttons.count()):
        assert await inside_viewport(page, buttons.nth(i))
    retry = page.locator(".jobs-table button", has_text="Retry")
    assert await retry.count() == 1 and await inside_viewport(page, retry)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "phone"])
async def test_every_nav_link_is_in_sight(open_page: Any, viewport: dict) -> None:
    page = await open_page(viewport)
    await page.goto("/logs")
    links = page.locator("header.top nav a")
    assert await links.count() == 7
    for i in range(7):
        assert await inside_viewport(page, links.nth(i)), f"{await links.nth(i).inner_text()} is hidden"
    assert await page.locator("header.top nav").evaluate("e => e.scrollWidth <= e.clientWidth")


async def test_marks_are_svgs_not_emoji(open_page: Any) -> None:
    """Without an emoji font 🦙 and 🔒 are empty boxes: pages draw the llama and the lock as SVGs."""
    album_id = await seed_pages()
    page = await open_page(DESKTOP)
    await page.goto("/logs")
    mark = page.locator("main h1 img.mark")
    assert await mark.get_attribute("src") == "/static/llama.svg"
    assert await mark.evaluate("e => e.complete && e.naturalWidth > 0")
    await page.goto(f"/albums/{album_id}")
    lock = page.locator("main img.lock-icon").first
    assert await lock.evaluate("e => e.complete && e.naturalWidth > 0")
    for path in ("/", "/logs", "/jobs", f"/albums/{album_id}", "/albums/broken", "/nope"):
        await page.goto(path)
        visible_text = await page.locator("body").inner_text() + await page.title()
        assert "🦙" not in visible_text and "🔒" not in visible_text, path


@pytest.mark.parametrize("path", ["/nope", "/albums/not-a-uuid"])
async def test_unknown_paths_are_a_styled_page_with_the_nav(open_page: Any, path: str) -> None:
    page = await open_page(PHONE)
    response = await page.goto(path)
    assert response.status == 404
    assert await page.locator("main .error-page h1").inner_text() == "Not found"
    assert await page.locator("header.top nav a").count() == 7
    assert await page.locator("header.top nav a", has_text="Dashboard").is_visible()
    background = await page.locator("header.top").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(59, 42, 28)"  # app.css applied, not a bare body

    api = await page.request.get("/api/nope")
    assert api.status == 404 and api.headers["content-type"].startswith("application/json")
    assert (await api.json())["status_code"] == 404
