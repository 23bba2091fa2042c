"""Upstream strings with a right-to-left override are shown isolated (<bdi>), never leaking the
override onto the text around them, on the album list, the album page and the log table."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from tests.factories import manual_album, tracklist

RLO = "\u202e"
TITLE = f"Evil {RLO}3pm.exe"
ARTIST = f"Artist {RLO}desrever"


class _TextNodes(HTMLParser):
    """Every text node of the page body, with whether a <bdi> encloses it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.nodes: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "title" not in self.stack and data.strip():
            self.nodes.append((data, "bdi" in self.stack))


def _override_nodes(html: str) -> list[tuple[str, bool]]:
    parser = _TextNodes()
    parser.feed(html)
    return [(text, isolated) for text, isolated in parser.nodes if RLO in text]


def _all_isolated(html: str, *expected: str) -> None:
    nodes = _override_nodes(html)
    for text in expected:
        assert any(text in node for node, _ in nodes), f"{text!r} is not on the page"
    assert all(isolated for _, isolated in nodes), [node for node, isolated in nodes if not isolated]


async def test_album_list_isolates_titles_and_artists(client: Any) -> None:
    await manual_album(title=TITLE, artist=ARTIST, tracks=tracklist(1))
    _all_isolated(client.get("/albums").text, TITLE, ARTIST)


async def test_album_page_isolates_the_title_artists_and_tracks(client: Any) -> None:
    created = await manual_album(title=TITLE, artist=ARTIST, tracks=tracklist(1))
    html = client.get(f"/albums/{created.id}").text
    _all_isolated(html, TITLE, ARTIST)


async def test_log_table_isolates_entity_labels(client: Any) -> None:
    await manual_album(title=TITLE, artist=ARTIST, tracks=tracklist(1))
    _all_isolated(client.get("/logs").text, TITLE, ARTIST)
