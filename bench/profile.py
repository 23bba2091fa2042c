"""Where a page's time goes: the server under cProfile, one URL requested many times.

    DATABASE_URL=postgres://…/llama_bench python -m bench.profile --path /logs --requests 400

Runs `uvicorn <factory>` under cProfile in a subprocess, logs in with a session from app.auth.users,
requests the path over loopback, stops the server (cProfile writes its stats on the way out) and
prints the functions that take the most time, grouped by who owns them (app, Litestar, Jinja,
Piccolo, asyncpg, …) so the gap to the floor has names on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.generate import ADMIN_PASSWORD
from bench.servers import ROOT, free_port
from bench.timing import Client

OWNERS = (
    ("/templates/", "templates"),
    ("/app/", "app"),
    ("/bench/", "bench"),
    ("litestar", "litestar"),
    ("jinja2", "jinja2"),
    ("markupsafe", "jinja2"),
    ("piccolo", "piccolo"),
    ("asyncpg", "asyncpg"),
    ("aiosqlite", "sqlite"),
    ("sqlite3", "sqlite"),
    ("uvicorn", "uvicorn"),
    ("httptools", "uvicorn"),
    ("msgspec", "litestar"),
    ("json", "json"),
    ("asyncio", "asyncio"),
)


def owner(filename: str) -> str:
    for needle, name in OWNERS:
        if needle in filename:
            return name
    return "other"


def profile(factory: str, path: str, requests: int, cookie: str | None) -> pstats.Stats:
    port = free_port()
    out = Path(tempfile.mkdtemp(prefix="llama-profile-")) / "server.prof"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(out),
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SCHEDULER_ENABLED": "0", "LLAMALOG_CONSOLE": "0"},
    )
    try:
        client = None
        deadline = time.monotonic() + 60
        while client is None:
            try:
                client = Client(port, {"cookie": cookie} if cookie else {})
                sample, _ = client.get(path)
                assert sample.status == 200, f"{path}: {sample.status}"
            except ConnectionError:
                client = None
                assert time.monotonic() < deadline, "the profiled server did not start"
                time.sleep(0.2)
        for _ in range(requests):
            client.get(path)
        client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    return pstats.Stats(str(out))


def report(stats: pstats.Stats, requests: int, top: int) -> dict[str, object]:
    """Own time per owner and the functions with the most cumulative time, per request."""
    by_owner: dict[str, float] = defaultdict(float)
    rows = []
    for (filename, line, name), (_cc, _nc, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_owner[owner(filename)] += own
        rows.append((cumulative, own, f"{Path(filename).name}:{line}({name})", owner(filename)))
    rows.sort(reverse=True)
    per = 1000 / requests
    return {
        "own_ms_per_request_by_owner": {
            k: round(v * per, 3) for k, v in sorted(by_owner.items(), key=lambda i: -i[1])
        },
        "top_cumulative_ms_per_request": [
            {"function": f, "owner": o, "cumulative_ms": round(c * per, 3), "own_ms": round(s * per, 3)}
            for c, s, f, o in rows
            if o in ("app", "bench", "templates", "litestar", "jinja2", "piccolo", "asyncpg", "sqlite")
        ][:top],
    }


async def _cookie() -> str:
    from app.auth.users import login

    return f"id={await login('admin', ADMIN_PASSWORD, 'bench-profile')}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True)
    parser.add_argument("--factory", default="app.main:create_app")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    cookie = None if args.factory.startswith("bench.") else asyncio.run(_cookie())
    stats = profile(args.factory, args.path, args.requests, cookie)
    print(json.dumps({"path": args.path, "factory": args.factory, **report(stats, args.requests, args.top)}))


if __name__ == "__main__":
    main()
