"""MusicBrainz politeness: never two requests closer than 1/rate, across threads and processes.

Embedded: a process-wide lock and the monotonic time of the next free slot. With Redis: a gap key
(`SET <namespace>:mb-gap NX PX <gap>`) that every worker process must win before it sends.
A caller takes its slot at the moment it may send, so spacing holds even when a sleeper wakes late.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from app.config import Settings, get_settings

# Time between passing the limiter and the request leaving the socket varies by a few ms;
# spacing slots by this much more keeps the gap the server sees at or above 1/rate.
MARGIN = 0.01


class Limiter(Protocol):
    gap: float

    async def wait(self) -> None: ...


class NoLimit:
    """Rate 0: benchmarks and tests that measure something else."""

    gap = 0.0

    async def wait(self) -> None:
        return None


class LocalGapLimiter:
    """Threads (and event loops) of one process share one next-slot time."""

    def __init__(self, rate: float, *, margin: float = MARGIN, clock: Callable[[], float] = time.monotonic):
        self.gap = 1.0 / rate
        self._spacing = self.gap + margin
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def _try(self) -> float:
        """Take the slot if it is free (returns 0) or say how long until it is."""
        with self._lock:
            now = self._clock()
            if now >= self._next:
                self._next = now + self._spacing
                return 0.0
            return self._next - now

    async def wait(self) -> None:
        while (delay := self._try()) > 0:
            await asyncio.sleep(delay)

    def wait_blocking(self) -> None:
        while (delay := self._try()) > 0:
            time.sleep(delay)


class RedisGapLimiter:
    """Every process pointed at the same Redis and namespace shares one gap key."""

    def __init__(self, rate: float, redis_url: str, key: str, *, margin: float = MARGIN) -> None:
        self.gap = 1.0 / rate
        self.key = key
        self._px = math.ceil((self.gap + margin) * 1000)
        self._url = redis_url
        # redis.asyncio connections belong to the loop that opened them.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._sync: Any = None

    def _client(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = redis.asyncio.Redis.from_url(self._url)
        return client

    async def wait(self) -> None:
        client = self._client()
        while not await client.set(self.key, b"1", nx=True, px=self._px):
            ttl_ms = await client.pttl(self.key)
            await asyncio.sleep(max(int(ttl_ms), 1) / 1000)

    def wait_blocking(self) -> None:
        import redis

        if self._sync is None:
            self._sync = redis.Redis.from_url(self._url)
        while not self._sync.set(self.key, b"1", nx=True, px=self._px):
            time.sleep(max(int(self._sync.pttl(self.key)), 1) / 1000)


_lock = threading.Lock()
_limiters: dict[tuple[float, str, str], Limiter] = {}


def musicbrainz_limiter(settings: Settings | None = None) -> Limiter:
    """The process-wide MusicBrainz limiter for these settings (MUSICBRAINZ_RATE, REDIS_URL)."""
    settings = settings or get_settings()
    rate, url, namespace = settings.musicbrainz_rate, settings.redis_url, settings.redis_namespace
    with _lock:
        limiter = _limiters.get((rate, url, namespace))
        if limiter is None:
            limiter = _limiters[(rate, url, namespace)] = build_limiter(rate, url, f"{namespace}:mb-gap")
        return limiter


def build_limiter(rate: float, redis_url: str = "", key: str = "llamalog:mb-gap") -> Limiter:
    if rate <= 0:
        return NoLimit()
    if redis_url:
        return RedisGapLimiter(rate, redis_url, key)
    return LocalGapLimiter(rate)
