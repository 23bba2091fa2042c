"""The live log: /logs/stream sends new rows as <tr> events, resumes from Last-Event-ID, heartbeats."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.llamalog import live
from app.llamalog.filters import LogFilter
from app.llamalog.tables import LlamaLog
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
from tests.factories import manual_album, tracklist
from tests.html_query import html


@pytest.fixture(autouse=True)
def quick_live(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tick fast and end streams soon, so the TestClient (which reads whole bodies) gets one."""
    monkeypatch.setattr(live, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.3)
    monkeypatch.setattr(live, "STREAM_SECONDS", 1.0)


def events(body: str) -> list[dict[str, str]]:
    out = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("id", "event"):
                fields[name] = value
            elif name == "data":
                fields["data"] = fields.get("data", "") + value + "\n"
        if "data" in fields:
            out.append(fields)
    return out


async def _ids() -> list[int]:
    return [r["id"] for r in await LlamaLog.select(LlamaLog.id).order_by(LlamaLog.id)]


async def test_stream_sends_rows_after_the_page_as_tr_fragments(client: Any) -> None:
    await manual_album(title="Streamed", tracks=tracklist(2))
    ids = await _ids()
    response = client.get(f"/logs/stream?after={ids[0]}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    got = events(response.text)
    assert [int(e["id"]) for e in got] == ids[1:]
    assert all(e["event"] == "row" for e in got)
    first = html(got[0]["data"]).one("tr.log-row")
    assert first["id"] == f"log-{ids[1]}" and first.classes == ["log-row", "fresh"]
    assert "retry: 2000" in response.text


async def test_last_event_id_resumes_where_the_browser_left_off(client: Any) -> None:
    await manual_album(title="Resume", tracks=tracklist(3))
    ids = await _ids()
    response = client.get(f"/logs/stream?after={ids[0]}", headers={"Last-Event-ID": str(ids[2])})
    assert [int(e["id"]) for e in events(response.text)] == ids[3:]


async def test_new_rows_arrive_while_connected_and_filters_apply(client: Any) -> None:
    created = await manual_album(title="Live Album")
    after = (await _ids())[-1]
    url = f"/logs/stream?category=CORRECTED&after={after}"
    pending = asyncio.create_task(asyncio.to_thread(client.get, url))
    await asyncio.sleep(0.3)
    await update_album(created.id, {"title": "Live Album 2"}, expected_version=1)
    await manual_album(title="Not corrected")
    response = await pending
    got = events(response.text)
    assert len(got) == 1
    row = html(got[0]["data"]).one("tr.log-row")
    assert row.text_of("td.op") == "album:corrected:admin" and row.text_of("td.entity a") == "Live Album 2"


async def test_nothing_new_means_only_comment_heartbeats(client: Any) -> None:
    await manual_album(title="Quiet")
    after = (await _ids())[-1]
    body = client.get(f"/logs/stream?after={after}").text
    assert events(body) == []
    assert body.count(": keepalive") >= 2
    assert re.fullmatch(r"(: [^\r\n]*\r\n(retry: \d+\r\n)?\r\n)+", body)


def test_bad_resume_point_is_a_400(client: Any) -> None:
    response = client.get("/logs/stream?after=abc")
    assert response.status_code == 400
    assert "after: 'abc' is not a row number" in html(response).text(".error-page p.error")
    assert client.get("/logs/stream?category=NOPE").status_code == 400


async def test_many_followers_share_one_poll(query_counter: dict[str, int]) -> None:
    """Ten followers in one process: one query per tick in total, not one per follower."""
    live.STREAM_SECONDS = 1.0

    async def drain() -> None:
        async for _ in live.follow(LogFilter(), None):
            pass

    query_counter["n"] = 0
    started = time.monotonic()
    await asyncio.gather(*(drain() for _ in range(10)))
    ticks = (time.monotonic() - started) / live.POLL_SECONDS
    # one max(id) on start, one catch-up per follower, then one poll per tick for all
    assert query_counter["n"] <= 1 + 10 + ticks + 2
    assert query_counter["n"] < 2 * ticks


def following() -> int:
    return sum(len(f.followers) for f in list(live._feeds.values()))


async def test_stream_stops_when_the_client_goes(admin_user: int) -> None:
    """The app sees http.disconnect: the stream ends at once and the follower is gone."""
    from app.auth.users import login
    from app.main import create_app

    live.STREAM_SECONDS = 60.0
    token = await login(ADMIN_USER, ADMIN_PASSWORD, "127.0.0.1")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/logs/stream",
        "raw_path": b"/logs/stream",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", f"id={token}".encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    opened = asyncio.Event()
    sent: list[dict[str, Any]] = []
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"", "more_body": False}
        await opened.wait()
        while not following():  # leave once the follower is listening
            await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            opened.set()

    app = create_app()
    started = time.monotonic()
    await asyncio.wait_for(app(scope, receive, send), timeout=5)  # type: ignore[arg-type]
    assert time.monotonic() - started < 2
    assert sent[0]["status"] == 200
    assert following() == 0


@pytest.mark.parametrize("title", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
async def test_streamed_rows_are_escaped(client: Any, title: str) -> None:
    await manual_album(title=title)
    body = client.get("/logs/stream?after=0").text
    assert "<script>alert(1)" not in body and "<img src=x onerror" not in body
    rows = [html(e["data"]) for e in events(body)]
    assert all(row.count("script") == 0 and row.count('img[src="x"]') == 0 for row in rows)
    assert title in [row.text_of("td.entity a") for row in rows if row.first("td.entity a")]  # as text


async def test_a_streamed_row_is_the_table_row_marked_fresh(client: Any) -> None:
    """One template draws a row for the page and for the stream: the same markup, bar `fresh`."""
    await manual_album(title="Same <Row>", tracks=tracklist(1))
    ids = await _ids()
    page = html(client.get("/logs"))
    streamed = {int(e["id"]): e["data"].strip() for e in events(client.get("/logs/stream?after=0").text)}
    assert sorted(streamed) == ids
    for row_id, data in streamed.items():
        row = page.one(f"#log-rows tr#log-{row_id}")
        assert row.classes == ["log-row"]
        assert data.replace('class="log-row fresh"', 'class="log-row"') == row.html
    assert "Same <Row>" in page.texts("#log-rows td.entity a")
