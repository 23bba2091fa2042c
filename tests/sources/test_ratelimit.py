"""The MusicBrainz limiter: never two requests closer than 1/rate, across threads and processes."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from app.config import ROOT, get_settings
from app.demo.fake_upstream import FakeUpstream
from app.sources.musicbrainz import MusicBrainzClient
from app.sources.ratelimit import (
    MARGIN_MAX,
    MARGIN_MIN,
    LocalGapLimiter,
    NoLimit,
    RedisGapLimiter,
    build_limiter,
    margin_for,
    musicbrainz_limiter,
)

PLUS = "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032"
REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="Redis is set only in the LLAMA_TEST_DB=postgres run")


def gaps(fake: FakeUpstream) -> list[float]:
    times = sorted(r.monotonic for r in fake.requests("musicbrainz"))
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def lookups_in_threads(settings, threads: int, each: int) -> None:
    def work() -> None:
        async def run() -> None:
            client = MusicBrainzClient(settings)  # its own client and loop; the limiter is the process's
            for _ in range(each):
                await client.release(PLUS)

        asyncio.run(run())

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)


def test_choice_of_limiter(fake: FakeUpstream) -> None:
    assert isinstance(build_limiter(0), NoLimit)
    assert isinstance(build_limiter(1.0), LocalGapLimiter)
    assert isinstance(build_limiter(1.0, "redis://127.0.0.1:6379/15"), RedisGapLimiter)
    local = fake.settings(musicbrainz_rate=3.0, redis_url="")
    assert musicbrainz_limiter(local) is musicbrainz_limiter(local)  # one per process
    assert musicbrainz_limiter(local).gap == pytest.approx(1 / 3)
    assert get_settings().musicbrainz_rate == 1.0  # the default
    shared = fake.settings(musicbrainz_rate=1.0, redis_url="redis://x", redis_namespace="ns")
    redis = musicbrainz_limiter(shared)
    assert isinstance(redis, RedisGapLimiter) and redis.key == "ns:mb-gap"


def test_margin_is_a_share_of_the_gap_within_bounds() -> None:
    assert margin_for(1.0) == pytest.approx(0.01)  # 1/s: slots 1.01 s apart
    assert margin_for(0.2) == pytest.approx(0.002)  # 5/s: 0.202 s, room left for >= 0.95 of the limit
    assert margin_for(0.05) == MARGIN_MIN
    assert margin_for(60.0) == MARGIN_MAX


async def test_next_turn_is_one_over_rate_plus_margin_after_the_send() -> None:
    now = [100.0]
    limiter = LocalGapLimiter(5.0, clock=lambda: now[0])
    await limiter.acquire()
    await limiter.sent()
    assert limiter._try() == pytest.approx(0.202)
    now[0] += 0.2
    assert 0 < limiter._try() <= 0.0021  # 1/rate is not enough: the margin is still to wait
    now[0] += 0.0021
    assert limiter._try() == 0.0


def test_threads_in_one_process_never_closer_than_one_over_rate(fake: FakeUpstream) -> None:
    rate = 20.0
    settings = fake.settings(musicbrainz_rate=rate, redis_url="", http_backoff=0.01)
    lookups_in_threads(settings, threads=3, each=4)

    assert len(fake.requests("musicbrainz")) == 12
    assert min(gaps(fake)) >= 1 / rate, gaps(fake)


def test_rate_zero_switches_it_off(fake: FakeUpstream) -> None:
    settings = fake.settings(musicbrainz_rate=0, redis_url="")
    started = time.monotonic()
    lookups_in_threads(settings, threads=2, each=3)

    assert len(fake.requests("musicbrainz")) == 6
    assert time.monotonic() - started < 2.0


@needs_redis
def test_redis_limiter_across_threads(fake: FakeUpstream) -> None:
    rate = 20.0
    namespace = f"{get_settings().redis_namespace}-{uuid.uuid4().hex[:8]}"
    settings = fake.settings(musicbrainz_rate=rate, redis_url=REDIS_URL, redis_namespace=namespace)
    assert isinstance(musicbrainz_limiter(settings), RedisGapLimiter)
    lookups_in_threads(settings, threads=3, each=3)

    assert len(fake.requests("musicbrainz")) == 9
    assert min(gaps(fake)) >= 1 / rate, gaps(fake)


@needs_redis
@pytest.mark.slow
def test_three_worker_processes_share_one_limiter(fake: FakeUpstream, tmp_path: Path) -> None:
    rate, each = 5.0, 4
    env = {
        **os.environ,
        **fake.env(),
        "MUSICBRAINZ_RATE": str(rate),
        "REDIS_URL": REDIS_URL,
        "REDIS_NAMESPACE": f"{get_settings().redis_namespace}-{uuid.uuid4().hex[:8]}",
        "HTTP_BACKOFF": "0.01",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.sources.mb_worker", f"--count={each}", f"--barrier={tmp_path}"],
            cwd=ROOT,
            env={**env, "MUSICBRAINZ_CONTACT": f"worker-{n}@example.org"},
        )
        for n in range(3)
    ]
    try:
        # Release all three at once, so they compete for every turn.
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("ready-*"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        (tmp_path / "go").touch()
        codes = [proc.wait(timeout=60) for proc in procs]
        assert codes == [0, 0, 0], fake.requests("musicbrainz")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()

    log = fake.requests("musicbrainz")
    t0 = min(r.monotonic for r in log)
    timeline = [(round(r.monotonic - t0, 3), r.user_agent.split("( ")[1], r.status) for r in log]
    assert len(log) == 3 * each, timeline
    workers = {r.user_agent.split("( ")[1].rstrip(" )") for r in log}
    assert workers == {f"worker-{n}@example.org" for n in range(3)}
    assert min(gaps(fake)) >= 1 / rate, timeline
    # The workers competed: their requests interleave rather than run one worker after another.
    spans = [[r.monotonic for r in log if worker in r.user_agent] for worker in workers]
    assert any(min(a) < max(b) and min(b) < max(a) for a, b in itertools.combinations(spans, 2)), timeline
