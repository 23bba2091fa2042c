"""The live log: 50 browsers following /logs/stream (SSE) while rows are written; server CPU when idle.

    DATABASE_URL=… python -m bench.live --clients 50 --rows 60

Serves the real app with uvicorn, opens `clients` SSE streams with an admin session, then writes
`rows` log rows through record() (each in its own transaction, as a job would) a few per second.
Insert-to-visible is the time from the commit to the moment a client has read the row's event;
then, with every client still connected and nothing written, the server's CPU use over a quiet spell.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import time
import uuid
from typing import Any

import httpx

from bench.generate import ADMIN_PASSWORD, fresh_database
from bench.servers import Server, serve

TARGET_P95_S = 1.0


async def _follow(
    url: str, token: str, seen: dict[int, float], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    async with (
        httpx.AsyncClient(base_url=url, cookies={"id": token}, timeout=None, trust_env=False) as client,
        client.stream("GET", "/logs/stream") as response,
    ):
        assert response.status_code == 200, response.status_code
        ready.set()
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                seen.setdefault(int(line[3:].strip()), time.perf_counter())
            if stop.is_set():
                return


async def _write(rows: int, every: float) -> dict[int, float]:
    from app.db import transaction
    from app.llamalog.context import JobContext, job_scope
    from app.llamalog.logger import record

    committed: dict[int, float] = {}
    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        for n in range(rows):
            async with transaction():
                row = await record(
                    entity_type="ALBUM",
                    entity_id=uuid.uuid4(),
                    operation="album:enriched:musicbrainz",
                    category="ENRICHED",
                    sources=["MUSICBRAINZ"],
                    entity_label=f"Live {n}",
                )
            committed[row.id] = time.perf_counter()
            await asyncio.sleep(every)
    return committed


async def measure(server: Server, clients: int, rows: int, idle_s: float) -> dict[str, Any]:
    from app.auth.users import login

    url = f"http://127.0.0.1:{server.port}"
    token = await login("admin", ADMIN_PASSWORD, "bench-live")
    cpu_before = server.cpu_seconds()
    await asyncio.sleep(idle_s)
    cpu_no_clients = server.cpu_seconds() - cpu_before
    seen: list[dict[int, float]] = [{} for _ in range(clients)]
    readies = [asyncio.Event() for _ in range(clients)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_follow(url, token, seen[i], readies[i], stop)) for i in range(clients)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)
    await asyncio.sleep(1.5)  # every stream past its first tick
    committed = await _write(rows, every=0.25)
    await asyncio.sleep(3)  # the last rows' tick
    cpu_before = server.cpu_seconds()
    await asyncio.sleep(idle_s)
    cpu_idle = server.cpu_seconds() - cpu_before
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delays = sorted(s[i] - t for s in seen for i, t in committed.items() if i in s)
    missing = sum(1 for s in seen for i in committed if i not in s)
    if not delays:
        raise RuntimeError(
            f"no client saw any of the {len(committed)} rows written (ids {sorted(committed)}); "
            f"ids the clients saw: {[sorted(s) for s in seen]}\n"
            f"server log:\n{server.log.read_text()[-3000:]}"
        )
    return {
        "clients": clients,
        "rows": rows,
        "deliveries": len(delays),
        "missing": missing,
        "p50_s": round(statistics.median(delays), 3),
        "p95_s": round(delays[int(len(delays) * 0.95)], 3),
        "max_s": round(delays[-1], 3),
        "idle_cpu_percent_with_clients": round(100 * cpu_idle / idle_s, 2),
        "idle_cpu_percent_no_clients": round(100 * cpu_no_clients / idle_s, 2),
        "idle_seconds": idle_s,
    }


def run(clients: int, rows: int, idle_s: float) -> dict[str, Any]:
    os.environ["LLAMALOG_CONSOLE"] = "0"
    asyncio.run(fresh_database(os.environ["DATABASE_URL"]))
    with serve("live", "app.main:create_app", {"SCHEDULER_ENABLED": "0", "LLAMALOG_CONSOLE": "0"}) as server:
        figures = asyncio.run(measure(server, clients, rows, idle_s))
    database = "Postgres" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    met = figures["p95_s"] < TARGET_P95_S and figures["missing"] == 0
    where = f"{database}, {clients} SSE clients, {rows} rows written 4/s"
    return {
        "name": "live",
        "database": database.lower(),
        **figures,
        "target_p95_s": TARGET_P95_S,
        "met": met,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": [
            {
                "benchmark": f"Live log: insert to visible on every client ({where})",
                "measured": (
                    f"p95 {figures['p95_s']} s (p50 {figures['p50_s']} s, max {figures['max_s']} s); "
                    f"{figures['deliveries']} deliveries, {figures['missing']} missing"
                ),
                "target": f"p95 < {TARGET_P95_S:g} s",
                "met": met,
            },
            {
                "benchmark": f"Live log: server CPU while idle ({database}, {figures['idle_seconds']:g} s)",
                "measured": (
                    f"{figures['idle_cpu_percent_with_clients']}% of a core with {clients} clients "
                    f"connected; {figures['idle_cpu_percent_no_clients']}% with none"
                ),
                "target": "(reported)",
                "met": None,
            },
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--idle", type=float, default=15.0)
    args = parser.parse_args()
    print(json.dumps(run(args.clients, args.rows, args.idle)))


if __name__ == "__main__":
    main()
