"""/jobs with many job rows: first, filtered and deep pages against a bare handler running the same
SQL (bench/jobs_floor.py), statements per page, and the 90-day charts' data.

    python -m bench.jobs --rows 1000000 --database-url postgres://…/llama_bench_jobs --rounds 40
    python -m bench.jobs --rows 5000 --database-url sqlite:///var/bench/jobs.sqlite3 --rounds 5   # smoke

Rows spread over 90 days: five kinds, mostly succeeded, some failed/cancelled/queued/running, each
enrichment about an album id (the `arg` filter), one upstream call per 20 runs. The settled chart
days are computed once (as the scheduler does) before timing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from bench.generate import ADMIN_PASSWORD, fresh_database
from bench.servers import serve
from bench.timing import Client, Sample, interleave, ratio, summary

TARGET_FLOOR = 1.3
TARGET_CHARTS_MS = 300.0
KINDS = ("sync_spotify", "sync_musicbrainz", "enrich_album", "enrich_artist", "cache_cover")
STATUSES = ("succeeded",) * 12 + ("failed", "failed", "cancelled", "queued", "running")
JOB_COLUMNS = (
    "job_id", "kind", "actor", "args", "arg", "status", "root_job_id", "triggered_by", "user_id",
    "username", "created_at", "started_at", "finished_at",
)  # fmt: skip
CALL_COLUMNS = ("job_id", "source", "status", "latency_ms", "wait_ms", "created_at")


def rows(n: int, days: int, seed: int = 42) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    end = dt.datetime.now(dt.UTC)
    span = days * 86_400
    jobs, calls = [], []
    for i in range(n):
        job_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        kind = KINDS[i % len(KINDS)]
        status = rng.choice(STATUSES)
        created = end - dt.timedelta(seconds=span * (i + 0.5) / n)
        started = None if status == "queued" else created + dt.timedelta(seconds=1)
        finished = (
            started + dt.timedelta(milliseconds=rng.randrange(20, 120_000))
            if started and status in ("succeeded", "failed", "cancelled")
            else None
        )
        arg = (
            str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if kind.startswith(("enrich", "cache"))
            else None
        )
        user = i % 10 == 0
        jobs.append(
            (job_id, kind, kind, json.dumps([arg] if arg else []), arg, status, job_id,
             "user" if user else "scheduled", 1 if user else None, "admin" if user else None,
             created, started, finished)
        )  # fmt: skip
        if i % 20 == 0:
            source = "musicbrainz" if i % 40 else "spotify"
            code = rng.choice((200,) * 30 + (429, 503, 404))
            calls.append((job_id, source, code, rng.randrange(30, 1500), rng.randrange(0, 1000), created))
    return jobs, calls


async def load(database_url: str, n: int, days: int) -> dict[str, Any]:
    await fresh_database(database_url)
    started = time.perf_counter()
    jobs, calls = rows(n, days)
    if database_url.startswith(("postgres://", "postgresql://")):
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            await conn.copy_records_to_table("job", columns=list(JOB_COLUMNS), records=jobs)
            await conn.copy_records_to_table("upstream_call", columns=list(CALL_COLUMNS), records=calls)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
    else:
        import piccolo.engine.sqlite  # noqa: F401 - registers the adapters Piccolo reads back

        conn3 = sqlite3.connect(Path(database_url.removeprefix("sqlite:///")))
        try:
            for table, columns, data in (("job", JOB_COLUMNS, jobs), ("upstream_call", CALL_COLUMNS, calls)):
                marks = ",".join("?" * len(columns))
                conn3.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data)
            conn3.commit()
            conn3.execute("ANALYZE")
        finally:
            conn3.close()
    # The deep page starts half-way down; the filtered one is about one album (a run of it failed).
    half = sorted(jobs, key=lambda r: (r[10], r[0]), reverse=True)[n // 2]
    album = next(r[4] for r in jobs if r[1] == "enrich_album" and r[5] == "failed")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "half": half,
        "album": album,
        "calls": len(calls),
    }


async def prepare(loaded: dict[str, Any]) -> dict[str, Any]:
    from app.auth.users import login
    from app.jobs.charts import chart_data, settle_days, settle_source_days
    from app.jobs.queries import JobCursor

    started = time.perf_counter()
    await settle_days(90)
    await settle_source_days(90)
    settle_s = time.perf_counter() - started
    times = []
    for _ in range(7):
        started = time.perf_counter()
        data = await chart_data(90)
        times.append((time.perf_counter() - started) * 1000)
    half = loaded["half"]
    return {
        "token": await login("admin", ADMIN_PASSWORD, "bench"),
        "deep_cursor": JobCursor(half[10], half[0]).encode(),
        "charts": {
            "settle_seconds": round(settle_s, 2),
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "kinds": len(data.kinds),
            "sources": len(data.sources),
            "target_ms": TARGET_CHARTS_MS,
            "met": statistics.median(times) <= TARGET_CHARTS_MS,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = args.database_url
    loaded = asyncio.run(load(args.database_url, args.rows, 90))
    setup = asyncio.run(prepare(loaded))
    paths = {
        "page1": "/jobs",
        "filtered": f"/jobs?kind=enrich_album&arg={loaded['album']}",
        "status": "/jobs?status=failed&source=musicbrainz",
        "deep": f"/jobs?cursor={setup['deep_cursor']}",
    }
    env = {"SCHEDULER_ENABLED": "0", "LLAMALOG_CONSOLE": "0", "DATABASE_URL": args.database_url}
    with (
        serve(
            "jobs-app", "bench.served:app_with_counter", {**env, "SESSION_CACHE_SECONDS": "0"}
        ) as app_server,
        serve("jobs-floor", "bench.jobs_floor:floor_with_counter", env) as floor_server,
    ):
        app = Client(app_server.port, {"cookie": f"id={setup['token']}"})
        floor = Client(floor_server.port)
        for key, path in paths.items():
            sample, body = app.get(path)
            assert sample.status == 200, f"{path}: {sample.status} {body[:300]!r}"
            assert body.count(b'<tr id="job-') == floor.get(path)[1].count(b'<tr id="job-'), key

        def case(client: Client, path: str) -> Any:
            def timed() -> Sample:
                sample, _ = client.get(path)
                assert sample.status == 200
                return sample

            return timed

        cases = {}
        for key, path in paths.items():
            cases[f"app_{key}"] = case(app, path)
            cases[f"floor_{key}"] = case(floor, path)
        samples = interleave(cases, rounds=args.rounds, warmup=args.warmup)
        app.close()
        floor.close()
    comparisons = []
    for key in paths:
        figures = ratio(samples[f"app_{key}"], samples[f"floor_{key}"])
        met = figures["ratio"] <= TARGET_FLOOR
        comparisons.append({"what": f"/jobs {key} vs floor", **figures, "target": TARGET_FLOOR, "met": met})
    results = {k: summary(v) for k, v in samples.items()}
    queries = {k: v["queries"] for k, v in results.items()}
    database = "postgres" if args.database_url.startswith("postgres") else "sqlite"
    rows_table = [
        {
            "benchmark": f"{c['what']} ({database}, {args.rows:,} jobs; {queries['app_' + key]} statements)",
            "measured": f"{c['ratio']}× (paired {c['paired_ratio']}×)",
            "target": f"≤ {TARGET_FLOOR}×",
            "met": c["met"],
        }
        for key, c in zip(paths, comparisons, strict=True)
    ]
    charts = setup["charts"]
    rows_table.append(
        {
            "benchmark": f"/jobs charts data, 90 days ({database}, {args.rows:,} jobs)",
            "measured": f"{charts['median_ms']} ms",
            "target": f"≤ {TARGET_CHARTS_MS:.0f} ms",
            "met": charts["met"],
        }
    )
    return {
        "name": args.name,
        "database": database,
        "dataset": {
            "job_rows": args.rows,
            "upstream_calls": loaded["calls"],
            "days": 90,
            "load_seconds": loaded["seconds"],
        },  # fmt: skip
        "cases": results,
        "comparisons": comparisons,
        "charts_90_days": setup["charts"],
        "queries_per_request": queries,
        "queries_constant": all(len(v) == 1 for v in queries.values()),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": rows_table,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="jobs")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    print(json.dumps(run(parser.parse_args()), default=str))


if __name__ == "__main__":
    main()
