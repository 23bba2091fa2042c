"""The fake's answers: recorded payloads indexed by id, searches computed over them.

Lookups serve the stored bytes exactly. Searches and derived listings (MusicBrainz search hits,
artist lookups, Spotify track pages, Discogs search hits) are built from those payloads in the
shape the real service uses, so a payload added to upstream/ is findable without more wiring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent / "upstream"
JSON = "application/json; charset=utf-8"


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def as_json(data: object, status: int = 200) -> Answer:
    return Answer(status, json.dumps(data, ensure_ascii=False).encode())


def _read(path: Path) -> tuple[bytes, Any]:
    raw = path.read_bytes()
    return raw, json.loads(raw)


class Payloads:
    """Everything under one upstream/ folder, indexed once."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.routes: list[dict[str, Any]] = []
        routes_file = root / "routes.json"
        if routes_file.exists():
            self.routes = json.loads(routes_file.read_text())["routes"]
        self.mb_releases: dict[str, tuple[bytes, Any]] = {}
        self.mb_hits: dict[str, Any] = {}
        self.mb_artists: dict[str, tuple[bytes, Any]] = {}
        self.caa: dict[str, tuple[bytes, Any]] = {}
        self.spotify_albums: dict[str, tuple[bytes, Any]] = {}
        self.spotify_listed: dict[str, Any] = {}
        self.discogs_releases: dict[int, tuple[bytes, Any]] = {}
        self.discogs_masters: dict[int, tuple[bytes, Any]] = {}
        self.discogs_hits: dict[tuple[str, int], Any] = {}
        self.token: tuple[bytes, Any] | None = None
        self._load()

    def _load(self) -> None:
        for path in sorted((self.root / "musicbrainz").glob("*.json")):
            raw, data = _read(path)
            if "releases" in data:
                for hit in data["releases"]:
                    self.mb_hits.setdefault(hit["id"], hit)
            elif "media" in data:
                self.mb_releases[data["id"]] = (raw, data)
            elif path.name.startswith("artist-"):
                self.mb_artists[data["id"]] = (raw, data)
        for path in sorted((self.root / "coverartarchive").glob("*.json")):
            raw, data = _read(path)
            self.caa[data["release"].rstrip("/").rsplit("/", 1)[-1]] = (raw, data)
        for path in sorted((self.root / "spotify").glob("*.json")):
            raw, data = _read(path)
            if "access_token" in data:
                self.token = (raw, data)
            elif "albums" in data:
                for item in data["albums"]["items"]:
                    self.spotify_listed.setdefault(item["id"], item)
            elif data.get("type") == "album":
                self.spotify_albums[data["id"]] = (raw, data)
        for path in sorted((self.root / "discogs").glob("*.json")):
            raw, data = _read(path)
            if "results" in data:
                for hit in data["results"]:
                    self.discogs_hits.setdefault((hit["type"], int(hit["id"])), hit)
            elif path.name.startswith("master-"):
                self.discogs_masters[int(data["id"])] = (raw, data)
            elif path.name.startswith("release-"):
                self.discogs_releases[int(data["id"])] = (raw, data)

    def route(self, path: str, query: dict[str, str]) -> Answer | None:
        """An explicit route from routes.json: first entry whose path matches and query is a subset."""
        for route in self.routes:
            if route["path"] == path and all(query.get(k) == v for k, v in route.get("query", {}).items()):
                return Answer(route.get("status", 200), (self.root / route["file"]).read_bytes())
        return None
