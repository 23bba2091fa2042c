"""The fake itself: the copied payloads, routing, control API, and running as a subprocess."""

from __future__ import annotations

import json

import httpx
import pytest

from app.config import ROOT
from app.demo.fake_process import FakeUpstreamProcess
from app.demo.fake_upstream import FakeUpstream, Fault, service_of
from app.demo.payloads import ROOT as UPSTREAM

SHARED = ROOT.parent / "shared" / "fixtures" / "upstream"


def test_every_stored_payload_is_json_and_documented() -> None:
    for service in ("musicbrainz", "coverartarchive", "spotify", "discogs"):
        provenance = (UPSTREAM / service / "PROVENANCE.md").read_text()
        for path in (UPSTREAM / service).glob("*.json"):
            json.loads(path.read_bytes())
            assert f"`{path.name}`" in provenance, f"{path.name} is not in {service}/PROVENANCE.md"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not next to this clone")
def test_recorded_payloads_are_byte_identical_to_the_shared_fixtures() -> None:
    shared = sorted(SHARED.rglob("*.json"))
    assert len(shared) == 12
    for path in shared:
        assert (UPSTREAM / path.relative_to(SHARED)).read_bytes() == path.read_bytes(), path


def test_routing_by_path_prefix() -> None:
    assert [
        service_of(p)
        for p in ("/ws/2/release/x", "/release/x", "/release-group/x", "/v1/albums/x", "/api/token")
    ] == ["musicbrainz", "coverartarchive", "coverartarchive", "spotify", "spotify-accounts"]
    assert [service_of(p) for p in ("/releases/1", "/masters/2", "/database/search")] == ["discogs"] * 3


def test_lookups_serve_the_stored_bytes(fake: FakeUpstream) -> None:
    body = httpx.get(f"{fake.url}/ws/2/release/e47d04a4-7460-427d-a731-cc82386d85f1?fmt=json").content
    assert body == (UPSTREAM / "musicbrainz" / "release-e47d04a4-kat-moda-digital.json").read_bytes()
    assert httpx.get(f"{fake.url}/v1/albums/7D2NdGvBHIavgLhmcwhluK").status_code == 401  # no token


def test_scripted_faults_run_in_order_then_pass(fake: FakeUpstream) -> None:
    fake.script("/masters/", Fault(status=429, retry_after="7"), Fault(body="malformed"))
    first = httpx.get(f"{fake.url}/masters/4242")
    second = httpx.get(f"{fake.url}/masters/4242")
    third = httpx.get(f"{fake.url}/masters/4242")

    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert second.status_code == 200 and second.text.startswith("<html>")
    assert third.json()["title"] == "City Of Islands"
    assert [r.fault for r in fake.requests("discogs")] == ["429 Retry-After 7", "malformed", None]


@pytest.mark.slow
def test_runs_as_a_subprocess_with_the_same_control_api() -> None:
    with FakeUpstreamProcess() as fake:
        fake.script("/ws/2/", Fault(status=503))
        assert httpx.get(f"{fake.url}/ws/2/artist/b8a7c51f-362c-4dcb-a259-bc6e0095f0a6").status_code == 503
        artist = httpx.get(f"{fake.url}/ws/2/artist/b8a7c51f-362c-4dcb-a259-bc6e0095f0a6").json()
        assert artist["name"] == "Ed Sheeran"
        log = fake.requests("musicbrainz")
        assert [(r.status, r.fault) for r in log] == [(503, "503"), (200, None)]
        assert log[0].at <= log[1].at
        assert fake.env()["MUSICBRAINZ_URL"] == fake.url
        fake.reset()
        assert fake.requests() == []


async def test_serving_images_for_an_offline_demo(settings) -> None:
    from app.sources.coverart import CoverArtClient
    from app.sources.spotify import SpotifyClient

    with FakeUpstream(serve_images=True) as demo:
        demo_settings = demo.settings(base=settings)
        cover = await CoverArtClient(demo_settings).front("76df3287-6cda-33eb-8e9a-044b5e15ffdd")
        album = await SpotifyClient(demo_settings).album("7D2NdGvBHIavgLhmcwhluK")
        assert cover is not None and cover.url.startswith(demo.url)
        assert album.image_url is not None and album.image_url.startswith(f"{demo.url}/image/")
        for url in (cover.url, cover.thumbnail_250, album.image_url):
            image = httpx.get(url)
            assert image.headers["content-type"] == "image/png"
            assert image.content.startswith(b"\x89PNG")
