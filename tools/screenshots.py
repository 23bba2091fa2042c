"""`make screenshots`: the README's PNGs, at 1280 px and on a 390 px phone, from the demo's data.

Runs `llama demo` (the real jobs against the recorded upstream answers) on a scratch SQLite file and
free ports, drives Debian's Chromium through Playwright and writes docs/screenshots/*.png. The
desktop shots keep their names (logs.png …), the phone shots end in -phone. The fix is shown last
because it changes an album.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("LLAMA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_HEIGHT = 1700  # a README image taller than this is a scroll, not a picture
PASSWORD = "llamalog-demo"
FIXED_ALBUM = "Autobahn"  # the README's third fix: a date filled, five tracks renamed


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_site(scratch: Path) -> Iterator[str]:
    """`llama demo` on a scratch database; yields its URL once the catalog is filled and served."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{scratch / 'llama.sqlite3'}",
        DEMO_UPSTREAM_PORT=str(free_port()),
        DEMO_PASSWORD=PASSWORD,
        SCHEDULER_ENABLED="0",
        LLAMALOG_CONSOLE="0",
    )
    log_path = scratch / "demo.log"
    llama = Path(sys.executable).parent / "llama"
    with log_path.open("wb") as log:
        cmd = [str(llama), "demo", "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"llama demo exited:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"llama demo did not serve in time:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def save(page: Any, name: str, *, full: bool = True) -> None:
    """The page from its top (at most MAX_HEIGHT tall), or only what the viewport shows."""
    path = OUT / f"{name}.png"
    if full:
        height = min(int(page.evaluate("document.documentElement.scrollHeight")), MAX_HEIGHT)
        width = page.viewport_size["width"]
        page.screenshot(
            path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
        )
    else:
        page.screenshot(path=str(path))
    print(f"  {path.relative_to(ROOT)}")


def log_in(page: Any) -> None:
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def album_url(page: Any, title: str) -> str:
    page.goto(f"/albums?q={title}")
    href: str = page.locator("table.albums a[href^='/albums/']").first.get_attribute("href")
    return href


def open_enriched_row(page: Any) -> None:
    """Expand the newest log row that changed fields: the diff is the point of the table."""
    row = page.locator("#log-rows tr.log-row", has=page.locator(".badge.ENRICHED")).first
    row.locator("td.op").click()
    page.locator("#log-rows tr.log-detail").wait_for()


def phone_shots(page: Any) -> None:
    page.goto("/")
    page.locator("svg.chart").wait_for()
    save(page, "dashboard-phone", full=False)
    page.goto("/logs")
    open_enriched_row(page)
    page.locator(".live-bar").evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 8)")
    save(page, "logs-phone", full=False)
    page.goto("/jobs")
    save(page, "jobs-phone", full=False)
    page.goto(album_url(page, "Nevermind"))
    page.locator("#timeline h2").wait_for()
    save(page, "album-phone", full=False)


def desktop_shots(page: Any) -> None:
    page.goto("/")
    page.locator("svg.chart").wait_for()
    save(page, "dashboard")
    page.goto("/logs")
    open_enriched_row(page)
    save(page, "logs")
    page.goto("/jobs")
    save(page, "jobs")
    page.locator(".jobs-table a", has_text="sync_spotify").first.click()
    page.locator("#timeline details.root").first.wait_for()
    save(page, "job")
    url = album_url(page, "Nevermind")
    page.goto(url)
    page.locator("#timeline h2").wait_for()
    page.locator("#timeline details.root").first.wait_for()
    save(page, "album")
    page.goto(f"/timeline/album/{url.rsplit('/', 1)[1]}")
    root = page.locator("details.root").last
    root.locator("summary").click()
    root.locator(".root-body details.tl-row").first.wait_for()
    save(page, "timeline")
    page.goto("/albums/broken")
    save(page, "fix-queue")


def steer_shots(page: Any) -> None:
    """The jobs pages an operator steers with: charts, schedules, a job tree."""
    page.goto("/jobs")
    page.locator("svg.chart").first.wait_for()
    page.locator("section.job-charts").screenshot(path=str(OUT / "jobs-charts.png"))
    print(f"  {(OUT / 'jobs-charts.png').relative_to(ROOT)}")
    page.goto("/jobs/schedules")
    save(page, "schedules")
    page.goto("/jobs?kind=sync_spotify")
    page.locator(".jobs-table a", has_text="sync_spotify").first.click()
    page.wait_for_url("**/jobs/*")
    page.goto(page.url.rstrip("/") + "/tree")
    page.locator("li.tree-node").first.wait_for()
    save(page, "job-tree")


def fix_shots(page: Any) -> None:
    page.goto("/albums/broken")
    page.locator("tr", has_text=FIXED_ALBUM).locator("text=Fix").first.click()
    page.wait_for_url("**/albums/*")
    page.click("#fix >> button:has-text('Find candidates')")
    page.locator(".fix-candidate").first.wait_for()
    page.locator(".fix-candidate").first.locator("a.fix-preview").click()
    form = page.locator("form.fix-preview-form")
    form.wait_for()
    form.scroll_into_view_if_needed()
    save(page, "fix-preview", full=False)
    form.locator("button.fix-apply").click()
    page.locator(".fix-result .flash.ok").wait_for()
    # The head and the timeline catch up by themselves (swapped in: wait on them, not on a timer).
    page.locator("header.album-head", has_text="Nothing missing").wait_for()
    page.locator("#timeline details.root", has_text="album:corrected").first.wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    save(page, "fix-applied")


def many_shots(page: Any) -> None:
    """Fixing many albums: the queue's match strengths, the batch preview, the run, tuning, undo."""
    page.goto("/albums/broken")
    page.locator("td.match-cell").first.wait_for()
    save(page, "fix-queue")
    page.click("button[name='all']")
    page.wait_for_url("**/bulk/preview")
    save(page, "bulk-preview")
    page.click("form.bulk-preview button[type='submit']")
    page.locator(".bulk-run[data-status='succeeded']").wait_for()
    save(page, "bulk-run")
    page.goto("/settings/matching")
    page.fill("#strong_threshold", "70")
    page.click("button:has-text('Preview the ranking')")
    page.locator("#ranking .ranking-summary").wait_for()
    save(page, "matching")
    page.goto("/jobs")
    page.locator(".jobs-table a", has_text="sync_spotify").first.click()
    page.wait_for_url("**/jobs/*")
    page.goto(page.url.rstrip("/") + "/changes")
    page.locator(".run-changes").wait_for()
    save(page, "run-changes", full=False)
    page.click("button:has-text('Revert this whole run')")
    page.wait_for_url("**/changes")
    page.locator("#run-status", has_text="succeeded").wait_for()
    page.locator("#run-status .revert-summary").wait_for()
    save(page, "run-reverted", full=False)
    page.goto("/albums/new")
    page.fill("#album-search-q", "Nirvana - Nevermind")
    page.keyboard.press("Enter")
    page.locator("li.search-result").first.wait_for()
    save(page, "album-new", full=False)


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: make browser-deps", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llama-shots-") as tmp, demo_site(Path(tmp)) as url:
        print(f"demo at {url}; writing {OUT.relative_to(ROOT)}/")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            shots: list[tuple[dict[str, int], Callable[[Any], None]]] = [
                (PHONE, phone_shots),
                (DESKTOP, desktop_shots),
                (DESKTOP, steer_shots),
                (DESKTOP, fix_shots),
                (DESKTOP, many_shots),
            ]
            # `--only steer_shots,...`: retake some pictures and leave the others as they are.
            only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
            shots = [(v, take) for v, take in shots if only is None or take.__name__ in only]
            for viewport, take in shots:
                context = browser.new_context(base_url=url, viewport=viewport)
                context.set_default_timeout(20_000)
                page = context.new_page()
                log_in(page)
                take(page)
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
