"""The fake MusicBrainz: release lookups as stored, search hits and artist lookups derived from them."""

from __future__ import annotations

import re
from typing import Any

from app.demo.lucene import fold, parse_query, phrase_in, within, words
from app.demo.payloads import Answer, Payloads, as_json

MB_NOT_FOUND = {
    "error": "Not Found",
    "help": "For usage, please see: https://musicbrainz.org/development/mmd",
}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def musicbrainz(p: Payloads, path: str, query: dict[str, str]) -> Answer:
    if match := re.fullmatch(rf"/ws/2/release/({UUID})/?", path):
        found = p.mb_releases.get(match[1])
        return Answer(200, found[0]) if found else as_json(MB_NOT_FOUND, 404)
    if path.rstrip("/") == "/ws/2/release":
        limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
        return as_json(mb_search(p, query.get("query", ""), limit, offset))
    if match := re.fullmatch(rf"/ws/2/artist/({UUID})/?", path):
        if match[1] in p.mb_artists:
            return Answer(200, p.mb_artists[match[1]][0])
        artist = _artist_from_credits(p, match[1])
        return as_json(artist) if artist else as_json(MB_NOT_FOUND, 404)
    return as_json(MB_NOT_FOUND, 404)


def _artist_from_credits(p: Payloads, mbid: str) -> dict[str, Any] | None:
    """An artist lookup built from the artist object embedded in a release's credits."""
    for _, release in p.mb_releases.values():
        for credit in release.get("artist-credit", []):
            if credit["artist"]["id"] == mbid:
                artist = dict(credit["artist"])
                artist.setdefault("country", None)
                artist.setdefault("life-span", {"begin": None, "end": None, "ended": False})
                return artist
    return None


_HIT_ARTIST = ("id", "name", "sort-name", "disambiguation")
_HIT_GROUP = ("id", "primary-type-id", "title", "primary-type", "secondary-types")


def mb_hit(release: dict[str, Any]) -> dict[str, Any]:
    """A release lookup reduced to the shape of a search hit (no tracks, a score)."""
    keep = (
        "id", "status-id", "packaging-id", "title", "status", "packaging", "text-representation",
        "date", "country", "release-events", "barcode", "disambiguation",
    )  # fmt: skip
    hit: dict[str, Any] = {"id": release["id"], "score": 100, "count": 1}
    hit.update({k: release[k] for k in keep if k in release})
    hit["artist-credit"] = [
        {
            "name": c["name"],
            **({"joinphrase": c["joinphrase"]} if c.get("joinphrase") else {}),
            "artist": {k: c["artist"][k] for k in _HIT_ARTIST if k in c["artist"]},
        }
        for c in release.get("artist-credit", [])
    ]
    group = release.get("release-group") or {}
    hit["release-group"] = {k: group[k] for k in _HIT_GROUP if k in group}
    hit["label-info"] = [
        {"catalog-number": li.get("catalog-number"), "label": {k: li["label"][k] for k in ("id", "name")}}
        for li in release.get("label-info", [])
        if li.get("label")
    ]
    media = release.get("media", [])
    hit["track-count"] = sum(m.get("track-count", 0) for m in media)
    hit["media"] = [
        {"format": m.get("format"), "disc-count": 0, "track-count": m.get("track-count")} for m in media
    ]
    return hit


# Join words between credited names. The real index drops "&" and "," as punctuation; the fake also
# skips these words, so "A, B", "A & B" and "A and B" find the same credit.
_JOINERS = frozenset({"and", "feat", "ft", "featuring", "vs"})


def _artist_tokens(text: str) -> list[str]:
    return [w for w in words(text) if w not in _JOINERS]


def _artist_matches(entry: dict[str, Any], wanted: str) -> bool:
    """Like the `artist` field: a phrase within the credit as printed, or within one artist's names."""
    want = _artist_tokens(wanted)
    credits = entry.get("artist-credit", [])
    printed = "".join(c["name"] + (c.get("joinphrase") or " ") for c in credits)
    names = [c["artist"].get(k) or "" for c in credits for k in ("name", "sort-name")]
    return any(phrase_in(want, _artist_tokens(text)) for text in (printed, *names))


def _mb_matches(entry: dict[str, Any], q: Any) -> int:
    """0 when the hit does not match, else a score like MusicBrainz's (100 = the whole title).

    Matching works on index tokens as MusicBrainz's does: case, accents and punctuation never
    count, a quoted value is a phrase (its words in order), and every clause must hold.
    """
    score = 100
    title = words(entry.get("title", ""))
    labels = [li for li in entry.get("label-info") or [] if li.get("label")]
    catnos = [words(li.get("catalog-number") or "") for li in labels]
    label_names = [words(li["label"]["name"]) for li in labels]
    for name, value in q.clauses:
        if name in ("release", "releaseaccent", "releasegroup"):
            want = words(value)
            if not want:  # a title of symbols only ("+"): the index keeps it whole
                if fold(value) != fold(entry.get("title", "")):
                    return 0
            elif not phrase_in(want, title):
                return 0
            score = min(score, 100 if want == title else 85)
        elif name in ("artist", "artistname"):
            if not _artist_matches(entry, value):
                return 0
        elif name == "reid" and value != entry["id"]:
            return 0
        elif name == "catno" and words(value) not in catnos:
            return 0
        elif name == "label" and not any(phrase_in(words(value), n) for n in label_names):
            return 0
        elif name in ("barcode", "country", "status") and fold(str(entry.get(name) or "")) != fold(value):
            return 0
    for name, (lo, hi) in q.ranges.items():
        if name == "date" and not within(entry.get("date"), lo, hi):
            return 0
    for word in q.words:
        if not all(w in title or _artist_matches(entry, w) for w in words(word)):
            return 0
    return score


def mb_search(p: Payloads, text: str, limit: int, offset: int) -> dict[str, Any]:
    q = parse_query(text)
    entries = dict(p.mb_hits)
    for mbid, (_, release) in p.mb_releases.items():
        entries.setdefault(mbid, mb_hit(release))
    scored = [(s, e) for e in entries.values() if (s := _mb_matches(e, q))]
    scored.sort(key=lambda se: (-se[0], se[1].get("date") or "9999", se[1]["id"]))
    hits = [{**e, "score": s} for s, e in scored[offset : offset + min(limit, 100)]]
    return {"created": "2026-11-23T09:00:00.000Z", "count": len(scored), "offset": offset, "releases": hits}
