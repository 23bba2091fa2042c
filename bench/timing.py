"""Timed HTTP over loopback (keep-alive, http.client: the thinnest client) and the figures we report."""

from __future__ import annotations

import http.client
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    seconds: float
    status: int
    queries: int | None
    size: int


@dataclass
class Client:
    port: int
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[Sample, bytes]:
        started = time.perf_counter()
        self._conn.request("GET", path, headers={**self.headers, **(headers or {})})
        response = self._conn.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
        queries = response.getheader("x-bench-queries")
        return Sample(seconds, response.status, int(queries) if queries else None, len(body)), body

    def close(self) -> None:
        self._conn.close()


def interleave(
    cases: dict[str, Callable[[], Sample]], *, rounds: int, warmup: int = 10, seed: int = 1
) -> dict[str, list[Sample]]:
    """Run every case once per round, in a fresh random order each round, so load hits all alike."""
    rng = random.Random(seed)
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            samples[name].append(cases[name]())
    return samples


def summary(samples: list[Sample]) -> dict[str, Any]:
    ms = sorted(s.seconds * 1000 for s in samples)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(ms[0], 3),
        "statuses": sorted({s.status for s in samples}),
        "queries": sorted({s.queries for s in samples if s.queries is not None}),
        "bytes": samples[-1].size,
    }


def ratio(a: list[Sample], b: list[Sample]) -> dict[str, float]:
    """a over b: the ratio of medians, and the median of per-round ratios (pairs taken close in time)."""
    paired = [x.seconds / y.seconds for x, y in zip(a, b, strict=True)]
    return {
        "ratio": round(statistics.median(s.seconds for s in a) / statistics.median(s.seconds for s in b), 3),
        "paired_ratio": round(statistics.median(paired), 3),
    }
