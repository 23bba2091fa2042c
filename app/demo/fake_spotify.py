"""The fake Spotify: token endpoint, new releases, albums (as stored), album track pages and search."""

from __future__ import annotations

import re
from typing import Any

from app.demo.lucene import fold, parse_query
from app.demo.payloads import Answer, Payloads, as_json

API = "https://api.spotify.com"
_SIMPLIFIED_DROP = ("tracks", "copyrights", "external_ids", "genres", "label", "popularity")


def _error(status: int, message: str) -> Answer:
    return as_json({"error": {"status": status, "message": message}}, status)


def accounts(p: Payloads, method: str, path: str, headers: dict[str, str]) -> Answer:
    if path.rstrip("/") != "/api/token" or p.token is None:
        return as_json({"error": "not_found"}, 404)
    if method != "POST":
        return as_json({"error": "method_not_allowed"}, 405)
    if not headers.get("authorization", "").startswith("Basic "):
        return as_json({"error": "invalid_client", "error_description": "Invalid client"}, 400)
    return Answer(200, p.token[0])


def api(p: Payloads, path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
    token = p.token[1]["access_token"] if p.token else None
    if not token or headers.get("authorization") != f"Bearer {token}":
        return _error(401, "Invalid access token")
    if routed := p.route(path, query):
        return routed
    limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
    if path.rstrip("/") == "/v1/browse/new-releases":
        listed = list(p.spotify_listed.values())
        return as_json({"albums": _page("/v1/browse/new-releases", listed, limit, offset)})
    if match := re.fullmatch(r"/v1/albums/([0-9A-Za-z]{22})/?", path):
        found = p.spotify_albums.get(match[1])
        return Answer(200, found[0]) if found else _error(404, "Resource not found")
    if match := re.fullmatch(r"/v1/albums/([0-9A-Za-z]{22})/tracks/?", path):
        found = p.spotify_albums.get(match[1])
        if not found:
            return _error(404, "Resource not found")
        tracks = found[1].get("tracks") or {}
        if offset == 0:
            return as_json(tracks)
        return as_json(_page(f"/v1/albums/{match[1]}/tracks", [], limit, offset))
    if path.rstrip("/") == "/v1/search":
        return as_json({"albums": _page("/v1/search", search(p, query.get("q", "")), limit, offset)})
    return _error(404, "Service not found")


def _page(path: str, items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    chunk = items[offset : offset + limit]
    more = offset + limit < len(items)
    return {
        "href": f"{API}{path}?offset={offset}&limit={limit}",
        "items": chunk,
        "limit": limit,
        "next": f"{API}{path}?offset={offset + limit}&limit={limit}" if more else None,
        "offset": offset,
        "previous": f"{API}{path}?offset={max(0, offset - limit)}&limit={limit}" if offset else None,
        "total": len(items),
    }


def simplified(album: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in album.items() if k not in _SIMPLIFIED_DROP}


def search(p: Payloads, text: str) -> list[dict[str, Any]]:
    q = parse_query(text)
    entries = dict(p.spotify_listed)
    for album_id, (_, album) in p.spotify_albums.items():
        entries[album_id] = simplified(album)
    found = []
    for album in entries.values():
        title = fold(album["name"])
        artists = fold(" ".join(a["name"] for a in album.get("artists", [])))
        fields = {"album": title, "artist": artists, "year": (album.get("release_date") or "")[:4]}
        if all(fold(v) in fields.get(k, "") for k, v in q.fields.items()) and all(
            fold(w) in f"{title} {artists}" for w in q.words
        ):
            found.append(album)
    return found
