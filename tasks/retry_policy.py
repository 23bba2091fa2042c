"""How actors retry: a few times with backoff, never when the error says a retry cannot help."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

MAX_RETRIES = 3
MIN_BACKOFF_MS = 5_000
MAX_BACKOFF_MS = 300_000
# Dramatiq's default time limit is 10 minutes; a sync paced at 1 request/s needs longer.
SYNC_TIME_LIMIT_MS = 6 * 3600 * 1000


class JobOptions(TypedDict):
    retry_when: Callable[[int, BaseException], bool]
    min_backoff: int
    max_backoff: int


def should_retry(retries: int, exc: BaseException) -> bool:
    """`retries` so far; typed upstream errors say `retryable = False` when the same call would fail."""
    return retries < MAX_RETRIES and getattr(exc, "retryable", True)


# Options for @dramatiq.actor(**JOB_OPTIONS): `retry_when` takes the place of max_retries.
JOB_OPTIONS: JobOptions = {
    "retry_when": should_retry,
    "min_backoff": MIN_BACKOFF_MS,
    "max_backoff": MAX_BACKOFF_MS,
}
