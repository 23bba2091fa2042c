"""MusicBrainz politeness: never two requests closer than 1/rate, across threads and processes.

A caller takes the turn (`acquire`), sends, and the moment its request has left (`sent`, from
httpcore's trace hook) starts the gap the next caller must wait out. Counting the gap from the send,
not from the turn, keeps the spacing the server sees at 1/rate even when a process stalls between
taking its turn and writing to the socket.

Embedded: a process-wide lock, a "held" flag and the monotonic time of the next free slot.
With Redis: one key, `<namespace>:mb-gap`. `SET key <token> NX PX <hold>` takes the turn; after the
send the holder rewrites it to expire 1/rate later; everyone else waits and retries while it exists.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from app.config import Settings, get_settings

# The server's clock sees a request a little after it leaves; spacing slots by a margin more keeps the
# gap it measures at or above 1/rate. The margin is a share of the gap, so the achieved rate stays as
# close to the limit at 5/s as at 1/s (a fixed 25 ms cost 12.5 % of a 200 ms gap), within bounds.
# Each turn also costs a few ms of Redis round trips and request setup on top: 1 % leaves room for them.
MARGIN_SHARE = 0.01
MARGIN_MIN = 0.002
MARGIN_MAX = 0.025
# A turn whose holder vanished (killed mid-send) frees itself after this long.
HOLD_SECONDS = 30.0
POLL = 0.005


def margin_for(gap: float) -> float:
    """Extra spacing on top of a `gap` (seconds): 1 % of it, at least 2 ms, at most 25 ms."""
    return min(MARGIN_MAX, max(MARGIN_MIN, gap * MARGIN_SHARE))


class Limiter(Protocol):
    gap: float

    async def acquire(self) -> None: ...

    async def sent(self) -> None: ...


class NoLimit:
    """Rate 0: benchmarks and tests that measure something else."""

    gap = 0.0

    async def acquire(self) -> None:
        return None

    async def sent(self) -> None:
        return None


class LocalGapLimiter:
    """Threads (and event loops) of one process share one turn and one next-slot time."""

    def __init__(
        self, rate: float, *, margin: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.gap = 1.0 / rate
        self._spacing = self.gap + (margin_for(self.gap) if margin is None else margin)
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0
        self._held_until: float | None = None

    def _try(self) -> float:
        """Take the turn (returns 0) or say how long to wait before asking again."""
        with self._lock:
            now = self._clock()
            if self._held_until is not None and now < self._held_until:
                return POLL
            if now >= self._next:
                self._held_until = now + HOLD_SECONDS
                return 0.0
            return self._next - now

    async def acquire(self) -> None:
        while (delay := self._try()) > 0:
            await asyncio.sleep(delay)

    async def sent(self) -> None:
        """The request left (or failed before leaving): the next turn is 1/rate from now."""
        with self._lock:
            if self._held_until is not None:
                self._held_until = None
                self._next = self._clock() + self._spacing


# Rewrite the key only if this caller still holds the turn.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('set', KEYS[1], 'gap', 'PX', ARGV[2])
end
return 0
"""


class RedisGapLimiter:
    """Every process pointed at the same Redis and namespace shares one gap key."""

    def __init__(self, rate: float, redis_url: str, key: str, *, margin: float | None = None) -> None:
        self.gap = 1.0 / rate
        self.key = key
        self._gap_ms = math.ceil((self.gap + (margin_for(self.gap) if margin is None else margin)) * 1000)
        self._hold_ms = int(HOLD_SECONDS * 1000)
        self._url = redis_url
        # redis.asyncio connections belong to the loop that opened them; a turn belongs to a task.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._tokens: weakref.WeakKeyDictionary[asyncio.Task[Any], str] = weakref.WeakKeyDictionary()

    def _client(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = redis.asyncio.Redis.from_url(self._url)
        return client

    async def acquire(self) -> None:
        client = self._client()
        token = f"held:{uuid.uuid4().hex}"
        while not await client.set(self.key, token, nx=True, px=self._hold_ms):
            ttl_ms = int(await client.pttl(self.key))
            # A turn in flight has a long TTL that will be cut short: poll it; a gap just runs out.
            await asyncio.sleep(POLL if ttl_ms > self._gap_ms or ttl_ms < 0 else ttl_ms / 1000)
        task = asyncio.current_task()
        if task is not None:
            self._tokens[task] = token

    async def sent(self) -> None:
        task = asyncio.current_task()
        token = self._tokens.pop(task, None) if task is not None else None
        if token is not None:
            await self._client().eval(_RELEASE, 1, self.key, token, self._gap_ms)


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
