"""Faults from the fake map to typed errors after the right number of attempts (policy: 3 attempts)."""

from __future__ import annotations

import time

import pytest

from app.demo.fake_upstream import FakeUpstream, Fault
from app.sources.errors import (
    MalformedResponse,
    NotFound,
    RateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.sources.http import counting_calls, parse_retry_after
from app.sources.musicbrainz import MusicBrainzClient
from app.sources.spotify import SpotifyClient

PLUS = "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032"
LOOKUP = f"/ws/2/release/{PLUS}"


def attempts(fake: FakeUpstream) -> int:
    return len([r for r in fake.requests("musicbrainz") if r.path == LOOKUP])


async def test_retry_after_is_honoured_then_the_call_succeeds(settings, fake: FakeUpstream) -> None:
    fake.script(LOOKUP, Fault(status=429, retry_after="0.3"), Fault(status=503, retry_after="0.2"))
    started = time.monotonic()
    with counting_calls() as calls:
        release = await MusicBrainzClient(settings).release(PLUS)

    assert release.title == "+"
    assert time.monotonic() - started >= 0.5
    assert attempts(fake) == 3 and calls.total == 3 and calls.by_source == {"MUSICBRAINZ": 3}
    first, second, third = fake.requests("musicbrainz")
    assert second.monotonic - first.monotonic >= 0.3 and third.monotonic - second.monotonic >= 0.2


async def test_429_every_time_is_rate_limited(settings, fake: FakeUpstream) -> None:
    fake.script(LOOKUP, always=Fault(status=429, retry_after="0"))
    with pytest.raises(RateLimited) as caught:
        await MusicBrainzClient(settings).release(PLUS)

    error = caught.value
    assert (error.error_code, error.retryable) == ("RATE_LIMITED", True)
    assert (error.retry_after, error.attempts) == (0.0, 3)
    assert attempts(fake) == 3


async def test_a_long_retry_after_goes_back_to_the_caller_at_once(settings, fake: FakeUpstream) -> None:
    fake.script(LOOKUP, always=Fault(status=429, retry_after="120"))
    with pytest.raises(RateLimited) as caught:
        await MusicBrainzClient(settings).release(PLUS)

    assert caught.value.retry_after == 120.0
    assert attempts(fake) == 1


async def test_503_every_time(settings, fake: FakeUpstream) -> None:
    fake.script(LOOKUP, always=Fault(status=503))
    with counting_calls() as calls, pytest.raises(UpstreamUnavailable) as caught:
        await MusicBrainzClient(settings).release(PLUS)

    error = caught.value
    assert (error.error_code, error.status, error.retryable) == ("UPSTREAM_503", 503, True)
    assert attempts(fake) == 3 and calls.total == 3
    assert "after 3 attempts" in str(caught.value)


async def test_503_once_then_success(settings, fake: FakeUpstream) -> None:
    fake.script(LOOKUP, Fault(status=503))
    release = await MusicBrainzClient(settings).release(PLUS)

    assert release.track_count == 12 and attempts(fake) == 2


async def test_timeout(fake: FakeUpstream) -> None:
    settings = fake.settings(musicbrainz_rate=0, http_attempts=2, http_backoff=0.01, http_timeout=0.2)
    fake.script(LOOKUP, always=Fault(delay=0.6))
    with pytest.raises(UpstreamTimeout) as caught:
        await MusicBrainzClient(settings).release(PLUS)

    assert (caught.value.error_code, caught.value.retryable, caught.value.attempts) == ("TIMEOUT", True, 2)
    assert attempts(fake) == 2


@pytest.mark.parametrize("body", ["truncated", "malformed", "wrong_shape"])
async def test_broken_bodies_are_malformed_and_not_retried(settings, fake: FakeUpstream, body: str) -> None:
    fake.script(LOOKUP, always=Fault(body=body))
    with pytest.raises(MalformedResponse) as caught:
        await MusicBrainzClient(settings).release(PLUS)

    assert (caught.value.error_code, caught.value.retryable) == ("MALFORMED_RESPONSE", False)
    assert attempts(fake) == 1


async def test_404_is_not_found_without_retry(settings, fake: FakeUpstream) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFound) as caught:
        await MusicBrainzClient(settings).release(missing)

    assert (caught.value.error_code, caught.value.retryable, caught.value.status) == ("NOT_FOUND", False, 404)
    assert len(fake.requests("musicbrainz")) == 1
    with pytest.raises(NotFound):
        await MusicBrainzClient(settings).release("not-an-mbid")  # nothing sent
    assert len(fake.requests("musicbrainz")) == 1


async def test_nothing_listening(fake: FakeUpstream) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings = fake.settings(
        musicbrainz_rate=0, http_backoff=0.01, musicbrainz_url=f"http://127.0.0.1:{closed_port}"
    )
    with counting_calls() as calls, pytest.raises(UpstreamUnavailable) as caught:
        await MusicBrainzClient(settings).release(PLUS)

    assert caught.value.error_code == "UPSTREAM_UNREACHABLE" and calls.total == 3


async def test_spotify_faults_map_the_same_way(settings, fake: FakeUpstream) -> None:
    fake.script("/v1/albums/", always=Fault(status=503, retry_after="0"))
    client = SpotifyClient(settings)
    with counting_calls() as calls, pytest.raises(UpstreamUnavailable):
        await client.album("7D2NdGvBHIavgLhmcwhluK")

    assert calls.by_source == {"SPOTIFY": 4}  # the token, then three attempts
    fake.reset()
    fake.script("/v1/albums/", Fault(body="truncated"))
    with pytest.raises(MalformedResponse):
        await client.album("7D2NdGvBHIavgLhmcwhluK")


async def test_counting_nests(settings) -> None:
    client = MusicBrainzClient(settings)
    with counting_calls() as outer:
        await client.release(PLUS)
        with counting_calls() as inner:
            await client.release(PLUS)
    assert (outer.total, inner.total) == (2, 1)


def test_retry_after_header_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
