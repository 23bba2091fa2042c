"""The MusicBrainz limiter across 3 worker processes against the local fake upstream.

    python -m bench.limiter --rate 1 --seconds 45

Starts a private redis-server (no persistence) and the fake upstream, then 3 processes that each
look up releases through the app's MusicBrainz client (so through its shared Redis gap limiter) as
fast as it lets them, all for the same window. The fake's request log (arrival times, one clock)
gives the achieved rate and the smallest gap between two requests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.servers import ROOT, free_port

WORKERS = 3
RELEASE = "e47d04a4-7460-427d-a731-cc82386d85f1"  # a recorded release the fake serves


@contextmanager
def private_redis() -> Iterator[str]:
    """A throwaway redis-server on a free port (never the shared one)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _worker(until: float) -> int:
    from app.sources import clients

    mb = clients.musicbrainz()
    done = 0
    while time.time() < until:
        await mb.release(RELEASE)
        done += 1
    return done


def worker_main(start_at: float, seconds: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    print(json.dumps({"requests": asyncio.run(_worker(start_at + seconds))}))


def measure(rate: float, seconds: float) -> dict[str, Any]:
    from app.demo.fake_process import FakeUpstreamProcess

    with private_redis() as redis_url, FakeUpstreamProcess() as fake:
        env = {
            **os.environ,
            **fake.env(),
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": redis_url,
            "REDIS_NAMESPACE": f"bench-limiter-{os.getpid()}",
            "MUSICBRAINZ_RATE": str(rate),
            "HTTP_TIMEOUT": "10",
        }
        start_at = time.time() + 3.0  # every worker imports and connects first, then all start together
        args = [sys.executable, "-m", "bench.limiter", "--worker", "--start-at", str(start_at)]
        procs = [
            subprocess.Popen(
                [*args, "--seconds", str(seconds)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
            )
            for _ in range(WORKERS)
        ]
        per_worker = []
        for proc in procs:
            out, _ = proc.communicate(timeout=seconds + 60)
            assert proc.returncode == 0, f"a limiter worker failed ({proc.returncode})"
            per_worker.append(json.loads(out.strip().splitlines()[-1])["requests"])
        arrivals = sorted(r.monotonic for r in fake.requests("musicbrainz"))
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    smallest = gaps.index(min(gaps))
    achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    return {
        "rate": rate,
        "seconds": seconds,
        "workers": WORKERS,
        "requests": len(arrivals),
        "per_worker": per_worker,
        "achieved_rate": round(achieved, 4),
        "achieved_fraction": round(achieved / rate, 4),
        "min_gap_s": round(min(gaps), 4),
        "median_gap_s": round(sorted(gaps)[len(gaps) // 2], 4),
        # A short gap right after a long one is a request that took its slot on time but left late.
        "gap_before_min_s": round(gaps[smallest - 1], 4) if smallest else None,
        "gaps_s": [round(g, 4) for g in gaps],
        "rate_met": achieved >= 0.95 * rate,
        "gap_met": min(gaps) >= 1.0 / rate,
    }


def run(runs: list[tuple[float, float]]) -> dict[str, Any]:
    results = [measure(rate, seconds) for rate, seconds in runs]
    table = []
    for r in results:
        where = f"{r['rate']:g}/s, {r['workers']} processes, {r['requests']} requests in {r['seconds']:g} s"
        table.append({
            "benchmark": f"MusicBrainz limiter: achieved rate / limit ({where})",
            "measured": f"{r['achieved_fraction']} ({r['achieved_rate']}/s; per process {r['per_worker']})",
            "target": "≥ 0.95",
            "met": r["rate_met"],
        })  # fmt: skip
        table.append({
            "benchmark": f"MusicBrainz limiter: smallest gap between two requests ({where})",
            "measured": f"{r['min_gap_s']} s (median {r['median_gap_s']} s)",
            "target": f"≥ {1 / r['rate']:g} s",
            "met": r["gap_met"],
        })  # fmt: skip
    return {
        "name": "limiter",
        "runs": results,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": table,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, action="append", help="req/s (repeat for several runs)")
    parser.add_argument("--seconds", type=float, action="append", help="length of each run")
    args = parser.parse_args()
    if args.worker:
        worker_main(args.start_at, args.seconds[0])
        return
    rates, seconds = args.rate or [1.0], args.seconds or [45.0]
    print(json.dumps(run(list(zip(rates, seconds, strict=True)))))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
