"""Source tests talk to the fake upstream over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.demo.fake_upstream import FakeUpstream
from app.demo.payloads import ROOT as UPSTREAM


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeUpstream) -> Iterator[FakeUpstream]:
    """The shared fake with no scripted faults and an empty request log."""
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture
def settings(fake: FakeUpstream) -> Settings:
    """Every source pointed at the fake; no rate limit; quick retries."""
    return fake.settings(musicbrainz_rate=0, http_attempts=3, http_backoff=0.01, http_timeout=2.0)


def payload(relative: str) -> bytes:
    return (UPSTREAM / relative).read_bytes()


def serving(files: dict[str, str]) -> httpx.MockTransport:
    """A transport answering each path with one stored payload (pure parsing, no server)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token":
            return httpx.Response(200, content=payload("spotify/token-client-credentials.json"))
        for path, relative in files.items():
            if request.url.path == path:
                return httpx.Response(200, content=payload(relative))
        return httpx.Response(404, json={"error": "Not Found"})

    return httpx.MockTransport(handler)


def upstream_files(service: str) -> list[Path]:
    return sorted((UPSTREAM / service).glob("*.json"))


def by_path(fake: FakeUpstream, prefix: str) -> list[Any]:
    return [r for r in fake.requests() if r.path.startswith(prefix)]
