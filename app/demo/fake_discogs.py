"""The fake Discogs: releases and masters as stored, database search over them and the recorded hits."""

from __future__ import annotations

import re
from typing import Any

from app.demo.lucene import phrase_in, words
from app.demo.payloads import Answer, Payloads, as_json


def discogs(p: Payloads, path: str, query: dict[str, str]) -> Answer:
    if routed := p.route(path, query):
        return routed
    if match := re.fullmatch(r"/releases/(\d+)/?", path):
        found = p.discogs_releases.get(int(match[1]))
        return Answer(200, found[0]) if found else as_json({"message": "Release not found."}, 404)
    if match := re.fullmatch(r"/masters/(\d+)/?", path):
        found = p.discogs_masters.get(int(match[1]))
        return Answer(200, found[0]) if found else as_json({"message": "Master Release not found."}, 404)
    if path.rstrip("/") == "/database/search":
        return as_json(search(p, query))
    return as_json({"message": "The requested resource was not found."}, 404)


def _artist_names(artists: list[dict[str, Any]]) -> str:
    parts = []
    for artist in artists:
        join = (artist.get("join") or "").strip()
        glue = ", " if join == "," else f" {join} " if join else ""
        parts.append((artist.get("anv") or artist["name"]) + glue)
    return "".join(parts)


def release_hit(release: dict[str, Any]) -> dict[str, Any]:
    labels = release.get("labels", [])
    return {
        "id": release["id"],
        "type": "release",
        "master_id": release.get("master_id"),
        "title": f"{_artist_names(release.get('artists', []))} - {release['title']}",
        "country": release.get("country"),
        "year": str(release["year"]) if release.get("year") else None,
        "format": [f["name"] for f in release.get("formats", [])],
        "label": [label["name"] for label in labels],
        "catno": labels[0].get("catno") if labels else None,
        "genre": release.get("genres", []),
        "style": release.get("styles", []),
        "thumb": release.get("thumb"),
        "resource_url": release.get("resource_url"),
        "uri": release.get("uri"),
    }


def master_hit(master: dict[str, Any]) -> dict[str, Any]:
    images = master.get("images") or [{}]
    return {
        "id": master["id"],
        "type": "master",
        "main_release": master.get("main_release"),
        "title": f"{_artist_names(master.get('artists', []))} - {master['title']}",
        "year": str(master["year"]) if master.get("year") else None,
        "genre": master.get("genres", []),
        "style": master.get("styles", []),
        "thumb": images[0].get("uri150"),
        "resource_url": master.get("resource_url"),
        "uri": master.get("uri"),
    }


def search(p: Payloads, query: dict[str, str]) -> dict[str, Any]:
    entries = dict(p.discogs_hits)
    for release_id, (_, release) in p.discogs_releases.items():
        entries.setdefault(("release", release_id), release_hit(release))
    for master_id, (_, master) in p.discogs_masters.items():
        entries.setdefault(("master", master_id), master_hit(master))
    wanted_type = query.get("type")
    hits = []
    for (kind, _), hit in entries.items():
        if wanted_type and kind != wanted_type:
            continue
        # Hits are titled "Artist - Title"; matching ignores case, accents and punctuation.
        artist_part, _, title_part = hit.get("title", "").partition(" - ")
        artist_words, title_words = words(artist_part), words(title_part or artist_part)
        if any(w not in artist_words + title_words for w in words(query.get("q", ""))):
            continue
        if query.get("artist") and not phrase_in(words(query["artist"]), artist_words):
            continue
        if query.get("release_title") and not phrase_in(words(query["release_title"]), title_words):
            continue
        hits.append(hit)
    per_page, page = int(query.get("per_page", 50)), max(1, int(query.get("page", 1)))
    pages = max(1, -(-len(hits) // per_page))
    return {
        "pagination": {"per_page": per_page, "pages": pages, "page": page, "urls": {}, "items": len(hits)},
        "results": hits[(page - 1) * per_page : page * per_page],
    }
