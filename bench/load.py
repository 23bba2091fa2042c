"""Many admins at once: concurrent clients browse the log, album pages and timelines while a sync and
an enrichment run, against `llama serve --workers 1` and `--workers 2` (loopback only, bounded).

    DATABASE_URL=postgres://…/llama_bench_scale python -m bench.load --clients 50 --seconds 60

Each client is one keep-alive connection (a small asyncio HTTP/1.1 client, so the load generator
spends little of the 2 cores) logged in with its own session, picking pages at random: /logs page 1,
filtered (category; category + dates; operation; text), deep (a cursor half-way down the log), an
album page and an album's timeline. Browsing clients pause ~1 s between clicks, and their first
clicks are spread the same way (50 requests sent at one instant, as if 50 people pressed Enter
together, made a 0.4 s queue that every run started with); the saturation phase pauses nowhere.
Meanwhile a process of its own runs the real Spotify sync and the real enrichment against the local
fake upstream, writing the catalog and the log. Reported per page: requests, errors, p50/p95/p99,
and the unloaded median (the same page, one client, before the load); throughput per server count.
Two processes need Redis (serve refuses --workers 2 without it);
without Redis only one process is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import upstream
from bench.servers import ROOT, free_port

REDIS = os.environ.get("LLAMA_BENCH_REDIS", "redis://127.0.0.1:6379/13")
TARGET_P95 = 5.0
TARGET_SCALE = 1.3
# Cores left idle while one server process is saturated, below which a second process has no core to use.
IDLE_LEFT = 0.15
# Mean pause between one admin's clicks while browsing (0.5-1.5x this); the saturation phase has none.
THINK_S = 1.0


async def _targets(clients: int) -> dict[str, Any]:
    """Sessions, album ids and the log pages to visit, from the generated database."""
    from piccolo.querystring import QueryString

    from app.auth.users import login
    from app.db import engine

    db = engine()

    async def q(sql: str, *values: Any) -> list[dict[str, Any]]:
        return list(await db.run_querystring(QueryString(sql, *values)))

    meta = json.loads((await q("SELECT data FROM bench_meta"))[0]["data"])
    start, end = dt.datetime.fromisoformat(meta["start"]), dt.datetime.fromisoformat(meta["end"])
    middle = start + (end - start) / 2
    at = await q(
        "SELECT created_at, id FROM llama_log WHERE created_at < {} "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        middle,
    )
    from app.llamalog.filters import Cursor

    cursor = Cursor(at[0]["created_at"], at[0]["id"]).encode()
    albums = [str(r["id"]) for r in await q("SELECT id FROM album ORDER BY created_at DESC LIMIT 300")]
    albums += [meta["showcase_album"]]
    tokens = [
        await login(meta["admin"]["username"], meta["admin"]["password"], f"load-{i}") for i in range(clients)
    ]
    since, until = (end - dt.timedelta(days=30)).date(), (end - dt.timedelta(days=20)).date()
    pages = {
        "logs_page1": ["/logs"],
        "logs_filtered": [
            "/logs?" + urlencode({"category": "ENRICHED"}),
            "/logs?" + urlencode({"category": "FAILED", "since": since, "until": until}),
            "/logs?" + urlencode({"operation": "track:created:*"}),
            "/logs?" + urlencode({"entity_type": "ARTIST", "status": "SUCCESS"}),
        ],
        "logs_deep": ["/logs?" + urlencode({"cursor": cursor})],
        "album": [f"/albums/{a}" for a in albums],
        "timeline": [f"/timeline/album/{a}" for a in albums],
    }
    return {"meta": meta, "tokens": tokens, "pages": pages}


class Conn:
    """One keep-alive HTTP/1.1 connection: GET, read the status and the whole body."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: id={self.cookie}\r\n\r\n"
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if headers.get("connection") == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _warm(port: int, targets: dict[str, Any], processes: int) -> None:
    """Every kind of page once on each of several connections, so each server process has loaded its
    templates and filled its pool before anything is timed (the kernel hands connections to either
    process)."""
    tokens = targets["tokens"]
    conns = [Conn(port, tokens[i % len(tokens)]) for i in range(4 * processes)]
    for paths in targets["pages"].values():
        await asyncio.gather(*(conn.get(paths[0]) for conn in conns))
    for conn in conns:
        await conn.close()


async def _unloaded(port: int, targets: dict[str, Any], n: int) -> dict[str, float]:
    conn = Conn(port, targets["tokens"][0])
    medians = {}
    for kind, paths in targets["pages"].items():
        times = []
        for i in range(n):
            started = time.perf_counter()
            status = await conn.get(paths[i % len(paths)])
            times.append((time.perf_counter() - started) * 1000)
            assert status == 200, f"{kind}: {status}"
        medians[kind] = statistics.median(times)
    await conn.close()
    return medians


async def _load(
    port: int, targets: dict[str, Any], clients: int, seconds: float, think: float
) -> dict[str, Any]:
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    deadline = time.monotonic() + seconds
    kinds = list(targets["pages"])

    async def client(index: int) -> None:
        rng = random.Random(index)
        conn = Conn(port, targets["tokens"][index])
        if think:  # admins already browsing: first clicks spread over a pause, not all 50 at one instant
            await asyncio.sleep(rng.uniform(0.0, 1.5) * think)
        while time.monotonic() < deadline:
            kind = rng.choice(kinds)
            path = rng.choice(targets["pages"][kind])
            started = time.perf_counter()
            try:
                status = await conn.get(path)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[kind].append(type(exc).__name__)
                await conn.close()
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                errors[kind].append(str(status))
            else:
                samples[kind].append(elapsed)
            if think:  # a person reads the page before the next click
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
        await conn.close()

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return {"samples": samples, "errors": errors, "seconds": time.monotonic() - started}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 1) if ordered else 0.0


@contextmanager
def llama_serve(processes: int, env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """The server's port and its process group (every server process is in it)."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"llama-bench-load-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--workers", str(processes), "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama serve exited:\n{log.read_text()[-3000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama serve did not listen:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        time.sleep(1.0 * processes)  # every worker process up
        yield port, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _background_main(root: str, made: dict[str, Any], stop: Any, out: Any) -> None:
    """The sync and enrichment, in a process of their own (spawned), until `stop` is set: the work a
    `llama worker` does, at the niceness `llama worker` takes (WORKER_NICE)."""
    from app.config import get_settings
    from tasks.worker import lower_cpu_priority

    os.environ["LLAMALOG_CONSOLE"] = "0"
    counts: dict[str, int] = defaultdict(int)
    counts["nice"] = lower_cpu_priority(get_settings().worker_nice)
    error: str | None = None

    async def work() -> None:
        import tasks.actors  # noqa: F401 - the jobs a sync enqueues need the actors wired
        from app.catalog.sync import sync_spotify
        from app.llamalog.context import JobContext, job_scope
        from bench.enrich import _album, _enrich

        with job_scope(JobContext.new_root(triggered_by="scheduled")):
            result = await sync_spotify(max_albums=len(made["albums"]))
        counts["synced_albums"] = len(result.created)
        for index, mbid in enumerate(made["releases"]):
            if stop.is_set():
                break
            album_id = await _album(mbid, index)
            await _enrich(album_id)
            counts["enriched_albums"] += 1

    try:
        asyncio.run(work())
    except Exception as exc:  # noqa: BLE001 - reported in the result, never hidden
        error = repr(exc)
    out.put({**counts, "error": error})


class Background:
    """A Spotify sync, then enrichment of albums one after another, until stopped. In a process of its
    own: as a thread of this process (the first pass) its Python work held the GIL the load clients
    need to read their responses, so the clients' clocks ran on while the server had already answered
    (the measured tail was partly the load generator's own)."""

    def __init__(self, root: Path, made: dict[str, Any]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.stop = ctx.Event()
        self.out: Any = ctx.Queue()
        self.proc = ctx.Process(
            target=_background_main, args=(str(root), made, self.stop, self.out), daemon=True
        )
        self.counts: dict[str, Any] = {}
        self.error: str | None = None

    def start(self) -> None:
        self.proc.start()

    def join(self, timeout: float) -> None:
        try:
            self.counts = dict(self.out.get(timeout=timeout))
        except queue.Empty:
            self.counts = {"error": "the background process did not report"}
        self.error = self.counts.pop("error", None)
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_snapshot(server_group: int, background_pid: int | None) -> dict[str, float]:
    """CPU seconds so far, by who spent them: the server processes (their process group), Postgres,
    this process (the load clients), the sync + enrichment process; and the machine's busy and idle
    seconds (/proc/stat), so what is left over is everything else (the fake upstream, the OS)."""
    spent: dict[str, float] = defaultdict(float)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(text.split(" ", 1)[0])
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        pgid, cpu = int(fields[2]), (int(fields[11]) + int(fields[12])) / _TICKS
        if pgid == server_group:
            spent["server"] += cpu
        elif comm == "postgres":
            spent["postgres"] += cpu
        elif pid == os.getpid():
            spent["load_clients"] += cpu
        elif pid == background_pid:
            spent["sync_enrichment"] += cpu
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    spent["machine_busy"] = (sum(values[:8]) - idle) / _TICKS
    spent["machine_idle"] = idle / _TICKS
    return spent


def _cores_used(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Cores each kind of process kept busy between two snapshots (2.0 = this whole machine)."""
    used = {k: round((after[k] - before.get(k, 0.0)) / seconds, 2) for k in after}
    named = sum(v for k, v in used.items() if not k.startswith("machine_"))
    used["other"] = round(max(0.0, used["machine_busy"] - named), 2)
    return used


def measure(processes: int, targets: dict[str, Any], clients: int, seconds: float, fake_env: dict[str, str],
            root: Path, made: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    env = {"SCHEDULER_ENABLED": "0", "LLAMALOG_CONSOLE": "0", "REDIS_URL": REDIS,
           "REDIS_NAMESPACE": f"llama-bench-load-{os.getpid()}", **fake_env}  # fmt: skip
    with llama_serve(processes, env) as (port, server_group):
        asyncio.run(_warm(port, targets, processes))
        unloaded = asyncio.run(_unloaded(port, targets, 10))
        # The same browsing without the sync and enrichment: what the background work costs the tail.
        quiet = asyncio.run(_load(port, targets, clients, seconds, THINK_S))
        background = Background(root, made)
        background.start()
        browse = asyncio.run(_load(port, targets, clients, seconds, THINK_S))
        before = _cpu_snapshot(server_group, background.proc.pid)
        saturate = asyncio.run(_load(port, targets, clients, seconds, 0.0))
        cores = _cores_used(before, _cpu_snapshot(server_group, background.proc.pid), saturate["seconds"])
        background.stop.set()
        background.join(timeout=120)
    return {
        "processes": processes,
        "clients": clients,
        "browse_quiet": _phase(quiet, unloaded, targets),
        "browse": _phase(browse, unloaded, targets),
        "saturate": {**_phase(saturate, unloaded, targets), "cores": cores},
        "background": {**background.counts, "error": background.error},
    }


def _phase(loaded: dict[str, Any], unloaded: dict[str, float], targets: dict[str, Any]) -> dict[str, Any]:
    pages = {}
    total = 0
    for kind in targets["pages"]:
        values = loaded["samples"].get(kind, [])
        total += len(values)
        pages[kind] = {
            "requests": len(values),
            "errors": len(loaded["errors"].get(kind, [])),
            "error_kinds": sorted(set(loaded["errors"].get(kind, []))),
            "p50_ms": _pct(values, 0.5),
            "p95_ms": _pct(values, 0.95),
            "p99_ms": _pct(values, 0.99),
            "unloaded_median_ms": round(unloaded[kind], 1),
            "p95_over_unloaded": round(_pct(values, 0.95) / unloaded[kind], 1) if unloaded[kind] else None,
        }
    return {
        "seconds": round(loaded["seconds"], 1),
        "requests": total,
        "errors": sum(p["errors"] for p in pages.values()),
        "rps": round(total / loaded["seconds"], 1),
        "pages": pages,
    }


def _redis_up() -> bool:
    host_port = REDIS.split("//", 1)[1].split("/")[0]
    host, _, port = host_port.partition(":")
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port or 6379))) == 0


def one_run(processes: int, clients: int, seconds: float) -> dict[str, Any]:
    """One server count, in a process of its own (settings and upstream clients read once per process)."""
    from app.demo.fake_process import FakeUpstreamProcess

    root = Path(tempfile.mkdtemp(prefix="llama-bench-load-"))
    # Fresh upstream ids each run, so every run's sync creates albums.
    made = upstream.build(root, albums=max(5, int(seconds)), releases=max(5, int(seconds)), tracks=12,
                          seed=processes + int(time.time()))  # fmt: skip
    with FakeUpstreamProcess(root=root) as fake:
        fake_env = {**fake.env(), "MUSICBRAINZ_RATE": "0"}
        os.environ.update(fake_env)
        targets = asyncio.run(_targets(clients))
        result = measure(processes, targets, clients, seconds, fake_env, root, made)
    return {**result, "log_rows": targets["meta"]["log_rows"]}


def _profile(cores: dict[str, float]) -> str:
    names = {"server": "the server process", "postgres": "Postgres", "load_clients": "the 50 load clients",
             "sync_enrichment": "the sync + enrichment", "other": "other (fake upstream, OS)",
             "machine_idle": "idle"}  # fmt: skip
    return ", ".join(f"{label} {cores.get(key, 0.0)}" for key, label in names.items())


def run(clients: int, seconds: float) -> dict[str, Any]:
    runs = []
    for processes in [1, 2] if _redis_up() else [1]:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load", "--clients", str(clients), "--seconds", str(seconds),
             "--processes", str(processes)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
            timeout=seconds * 3 + 600,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"load run with {processes} processes failed:\n{done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = runs[0]["log_rows"]
    base = f"{clients} clients, {seconds:.0f} s, {rows:,}-row log"
    where = f"{base}, sync + enrichment running"
    table = []
    for run_ in runs:
        for phase, words in (
            ("browse_quiet", f"browsing, ~{THINK_S:.0f} s between clicks, no background work"),
            ("browse", f"browsing, ~{THINK_S:.0f} s between clicks"),
            ("saturate", "no pause"),
        ):
            if phase not in run_:
                continue
            r = {**run_[phase], "processes": run_["processes"]}
            logs = [r["pages"][k] for k in ("logs_page1", "logs_filtered", "logs_deep")]
            worst = max(p["p95_over_unloaded"] or 0 for p in logs)
            table.append({
            "benchmark": (f"Load, {words}, {r['processes']} server process{'es' * (r['processes'] > 1)} "
                          f"({base if phase == 'browse_quiet' else where})"),
            "measured": (
                f"{r['rps']} req/s, {r['errors']} errors; /logs p50/p95/p99 "
                + ", ".join(f"{k.removeprefix('logs_')} {p['p50_ms']}/{p['p95_ms']}/{p['p99_ms']} ms"
                            for k, p in r["pages"].items() if k.startswith("logs_"))
                + f"; p95 album {r['pages']['album']['p95_ms']} ms, "
                + f"timeline {r['pages']['timeline']['p95_ms']} ms"
                + f"; worst /logs p95 = {worst}x its unloaded median"
            ),
            "target": f"0 errors, /logs p95 ≤ {TARGET_P95:.0f}x unloaded median" if phase != "saturate"
                      else "0 errors",
            "met": r["errors"] == 0 and (worst <= TARGET_P95 or phase == "saturate"),
        })  # fmt: skip
    if len(runs) == 2:
        one, two = runs[0]["saturate"]["rps"], runs[1]["saturate"]["rps"]
        gain = round(two / one, 2) if one else 0.0
        cores = runs[0]["saturate"].get("cores", {})
        # The other way to meet it: where the second core goes while one process is saturated.
        no_core_left = bool(cores) and cores["machine_idle"] <= IDLE_LEFT
        table.append({
            "benchmark": f"Load, no pause, 2 server processes vs 1 ({where})",
            "measured": f"{gain}x the requests per second ({two} vs {one})"
                        + (f"; the 2 cores, 1 process saturated: {_profile(cores)}" if cores else ""),
            "target": f"≥ {TARGET_SCALE}x, or a profile that shows where the second core goes",
            "met": gain >= TARGET_SCALE or no_core_left,
        })  # fmt: skip
    return {
        "name": "load",
        "database": "postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite",
        "runs": runs,
        "redis": _redis_up(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": table,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=None, help="one run with this many (internal)")
    args = parser.parse_args()
    if args.processes:
        print(json.dumps(one_run(args.processes, args.clients, args.seconds)))
    else:
        print(json.dumps(run(args.clients, args.seconds)))


if __name__ == "__main__":
    main()
