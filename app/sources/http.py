"""One request path for every source: counted, rate-limited, retried, and mapped to typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeAlias

import httpx

from app.config import Settings
from app.json_types import JSONValue
from app.sources.errors import (
    MalformedResponse,
    NotFound,
    RateLimited,
    SourceError,
    UnsafeUrl,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.sources.ratelimit import Limiter


@dataclass
class CallCount:
    """Outbound HTTP calls made inside a `counting_calls()` block, retries and token requests included."""

    total: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    parent: CallCount | None = field(default=None, repr=False)

    def add(self, source: str) -> None:
        self.total += 1
        self.by_source[source] = self.by_source.get(source, 0) + 1
        if self.parent is not None:
            self.parent.add(source)


_calls: ContextVar[CallCount | None] = ContextVar("llamalog_api_calls", default=None)
# Query parameters of an upstream request.
QueryParams: TypeAlias = Mapping[str, str | int]


@dataclass(frozen=True)
class CallReport:
    """One attempt at one upstream request, as the call observer hears of it."""

    source: str
    status: int | None  # None: no answer (timeout, connection error)
    latency_ms: float  # the request itself
    wait_ms: float  # waiting for a turn from the rate limiter


CallObserver = Callable[[CallReport], Awaitable[None]]
_observer: CallObserver | None = None
log = logging.getLogger("llamalog.sources")


def observe_calls(observer: CallObserver | None) -> None:
    """Hear of every upstream attempt (the jobs package records them per job); None stops it."""
    global _observer
    _observer = observer


async def _report(report: CallReport) -> None:
    observer = _observer
    if observer is None:
        return
    try:
        await observer(report)
    except Exception:  # recording a call must never fail the call
        log.exception("call observer failed for %s", report.source)


@contextmanager
def counting_calls() -> Iterator[CallCount]:
    """Count every outbound call made inside the block (child tasks included); nests."""
    count = CallCount(parent=_calls.get())
    token = _calls.set(count)
    try:
        yield count
    finally:
        _calls.reset(token)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request tries. Tests pass tiny delays; production uses the settings."""

    attempts: int = 3
    backoff: float = 0.5  # first pause; doubles each attempt, with jitter
    max_backoff: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After goes back to the caller as the error

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            attempts=max(1, settings.http_attempts),
            backoff=settings.http_backoff,
            max_retry_after=settings.http_max_retry_after,
        )

    def pause(self, error: SourceError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(base / 2, base)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for(response: httpx.Response, source: str) -> SourceError | None:
    """The typed error a response stands for, or None when it is a success."""
    status, url = response.status_code, str(response.request.url)
    if status < 400:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    where = {"source": source, "url": url, "status": status, "retry_after": retry_after}
    if status == 429:
        return RateLimited(f"rate limited (429) on {url}", **where)  # type: ignore[arg-type]
    if status == 404:
        return NotFound(f"not found (404): {url}", **where)  # type: ignore[arg-type]
    if status >= 500:
        return UpstreamUnavailable(f"upstream error {status} on {url}", **where)  # type: ignore[arg-type]
    return UpstreamRejected(f"request refused ({status}) on {url}", **where)  # type: ignore[arg-type]


def decode_json(response: httpx.Response, source: str) -> JSONValue:
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise MalformedResponse(
            f"truncated or invalid JSON from {response.request.url} ({len(response.content)} bytes): {exc}",
            source=source,
            url=str(response.request.url),
            status=response.status_code,
        ) from None


async def request_json(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    source: str,
    policy: RetryPolicy,
    params: QueryParams | None = None,
    headers: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    limiter: Limiter | None = None,
) -> JSONValue:
    """Send one request (retrying where it can help) and return the decoded JSON body.

    Every attempt takes a turn from `limiter` (MusicBrainz). Raises a SourceError subclass.
    """
    for attempt in range(1, policy.attempts + 1):
        calls = _calls.get()
        if calls is not None:
            calls.add(source)
        error: SourceError | None
        timing = _Timing()
        status: int | None = None
        try:
            response = await _send(http, method, url, params, headers, data, limiter, timing)
        except httpx.TooManyRedirects:
            error = UnsafeUrl(f"too many redirects from {url}", source=source, url=url)
        except httpx.TimeoutException as exc:
            error = UpstreamTimeout(f"timed out ({type(exc).__name__}) on {url}", source=source, url=url)
        except httpx.TransportError as exc:
            error = UpstreamUnavailable(f"{type(exc).__name__} on {url}: {exc}", source=source, url=url)
        else:
            status = response.status_code
            error = error_for(response, source)
        await _report(CallReport(source, status, timing.latency_ms(), timing.wait_ms))
        if error is None:
            return decode_json(response, source)
        error.attempts = attempt
        pause = policy.pause(error, attempt) if error.retryable else None
        if pause is None or attempt == policy.attempts:
            raise error
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class _Timing:
    wait_ms: float = 0.0
    sent_at: float = field(default_factory=time.monotonic)

    def latency_ms(self) -> float:
        return (time.monotonic() - self.sent_at) * 1000


async def _send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    params: QueryParams | None,
    headers: dict[str, str] | None,
    data: dict[str, str] | None,
    limiter: Limiter | None,
    timing: _Timing,
) -> httpx.Response:
    if limiter is None:
        timing.sent_at = time.monotonic()
        return await http.request(method, url, params=params, headers=headers, data=data)

    async def trace(event: str, info: dict[str, object]) -> None:
        # The request line and headers are on the wire: the next turn counts from here.
        if event.endswith("send_request_headers.complete"):
            await limiter.sent()

    waited = time.monotonic()
    await limiter.acquire()
    timing.sent_at = time.monotonic()
    timing.wait_ms = (timing.sent_at - waited) * 1000
    try:
        return await http.request(
            method, url, params=params, headers=headers, data=data, extensions={"trace": trace}
        )
    finally:
        await limiter.sent()  # no-op when the trace already released the turn


class LazyClient:
    """The httpx.AsyncClient of one source object, built on first use (one per event loop)."""

    def __init__(self, factory: Callable[[], httpx.AsyncClient]) -> None:
        self._factory = factory
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        # A client's pool belongs to the loop that opened it; a new loop (a test, a worker restart)
        # gets its own client instead of reusing dead connections.
        if self._client is None or self._loop is not loop:
            self._client, self._loop = self._factory(), loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client, self._loop = None, None
