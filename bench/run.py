"""`make bench` / `make bench-smoke`: generate the datasets, run every benchmark, write the results.

    python -m bench.run --full     # 1M log rows on Postgres, 200k on SQLite; results in bench/results/
    python -m bench.run --smoke    # tiny datasets, few rounds: proves the harness works (CI), in var/bench/

Each benchmark runs in its own process with DATABASE_URL pointing at its database (settings are read
once per process) and prints one JSON object; this writes it to <results>/<name>.json and the table to
<results>/README.md. A crash or a wrong answer fails the run; a missed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.generate import drop_database
from bench.report import load, markdown, table, update_readme

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("LLAMA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _postgres_up() -> bool:
    host_port = PG_BASE.rsplit("@", 1)[-1].split("/")[0]
    host, _, port = host_port.partition(":")
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port or 5432))) == 0


def _run(module: str, args: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """`python -m <module> <args>`; its last stdout line is the JSON result."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LLAMALOG_CONSOLE": "0", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"   {module} {' '.join(args)}: {time.monotonic() - started:.0f} s", flush=True)
    return result


Step = tuple[str, str, list[str], dict[str, str], float]


def plan(smoke: bool) -> tuple[list[Step], set[str]]:
    """(result name, module, args, env, timeout) for every benchmark of this mode, and the databases
    the run makes for itself (dropped at the end)."""
    var = ROOT / "var" / "bench"
    pg = _postgres_up()
    if not pg and os.environ.get("CI") == "true":
        raise SystemExit(f"CI=true and Postgres is not reachable at {PG_BASE}")
    # A smoke run's databases and every run's scratch database are its own (named after the process),
    # so a smoke run in CI and a `make bench` here never drop each other's tables; they go at the end.
    # The full datasets keep fixed names so `--reuse` finds them.
    run_id = f"{os.getpid()}"
    pg_db = f"{PG_BASE}/{f'llama_bench_smoke_{run_id}' if smoke else 'llama_bench'}"
    sqlite_db = f"sqlite:///{var / (f'smoke-{run_id}.sqlite3' if smoke else 'llama_bench.sqlite3')}"
    work_db = f"{PG_BASE}/llama_bench_work_{run_id}" if pg else f"sqlite:///{var / f'work-{run_id}.sqlite3'}"
    rounds = ["--rounds", "8", "--warmup", "2"] if smoke else ["--rounds", "150", "--warmup", "15"]
    steps: list[Step] = []
    if pg:
        size = "smoke" if smoke else "full"
        steps.append(
            ("generate-postgres", "bench.generate", ["--size", size, "--database-url", pg_db], {}, 900)
        )
        steps.append(
            (
                "pages-postgres",
                "bench.pages",
                ["--name", "pages-postgres", *rounds],
                {"DATABASE_URL": pg_db},
                900,
            )
        )
    size = "smoke" if smoke else "sqlite"
    steps.append(
        ("generate-sqlite", "bench.generate", ["--size", size, "--database-url", sqlite_db], {}, 600)
    )
    steps.append(
        ("pages-sqlite", "bench.pages", ["--name", "pages-sqlite", *rounds], {"DATABASE_URL": sqlite_db}, 900)
    )
    enrich = ["--rounds", "3", "--warmup", "1"] if smoke else ["--rounds", "40", "--warmup", "3"]
    steps.append(("enrich", "bench.enrich", enrich, {"DATABASE_URL": work_db}, 600))
    limiter = (
        ["--rate", "5", "--seconds", "3"]
        if smoke
        else ["--rate", "1", "--seconds", "40", "--rate", "5", "--seconds", "12"]
    )
    steps.append(("limiter", "bench.limiter", limiter, {}, 300))
    steps.append(
        ("sync", "bench.sync", ["--albums", "5" if smoke else "200"], {"DATABASE_URL": work_db}, 600)
    )
    fix_many = ["--albums", "30" if smoke else "1000"]
    steps.append(("fix-many", "bench.fix_many", fix_many, {"DATABASE_URL": work_db}, 900))
    live = ["--clients", "5", "--rows", "6", "--idle", "1"] if smoke else ["--clients", "50", "--rows", "60"]
    steps.append(("live", "bench.live", live, {"DATABASE_URL": work_db}, 600))
    # /jobs with many job rows (1M on Postgres, else SQLite) against a bare handler; 90-day charts.
    jobs_db = f"{PG_BASE}/llama_bench_jobs_{run_id}" if pg else f"sqlite:///{var / f'jobs-{run_id}.sqlite3'}"
    jobs_rows = "5000" if smoke else ("1000000" if pg else "200000")
    jobs_rounds = ["--rounds", "6", "--warmup", "1"] if smoke else ["--rounds", "40", "--warmup", "5"]
    steps.append(
        (
            "jobs",
            "bench.jobs",
            ["--rows", jobs_rows, "--database-url", jobs_db, *jobs_rounds],
            {"DATABASE_URL": jobs_db},
            1800,
        )
    )
    scale_db = f"{PG_BASE}/llama_bench_scale_smoke_{run_id}"
    if pg and smoke:  # the partitioned-log bench (`make bench-scale`) at a tiny size: the harness works
        steps.append(
            (
                "generate-scale",
                "bench.generate",
                ["--size", "scale-fast-smoke", "--database-url", scale_db],
                {},
                300,
            )
        )
        steps.append(
            (
                "scale",
                "bench.scale",
                ["--name", "scale", "--rounds", "5", "--warmup", "1"],
                {"DATABASE_URL": scale_db},
                300,
            )
        )
        steps.append(
            ("load", "bench.load", ["--clients", "5", "--seconds", "2"], {"DATABASE_URL": scale_db}, 300)
        )
    if pg:  # history in and out: import of legacy rows, their export, the audit (Postgres only)
        history_db = f"{PG_BASE}/llama_bench_history_{run_id}"
        history_args = ["--rows", "8000", "--imports", "1", "--rest", "0"] if smoke else ["--rows", "1000000"]
        steps.append(
            ("history", "bench.history", history_args, {"DATABASE_URL": history_db}, 300 if smoke else 3600)
        )
    scratch = {work_db, jobs_db} | ({scale_db} if pg and smoke else set())
    scratch |= (
        {f"{PG_BASE}/llama_bench_history_{run_id}", f"{PG_BASE}/llama_bench_history_{run_id}_legacy"}
        if pg
        else set()
    )
    if smoke:
        scratch |= {sqlite_db, pg_db} if pg else {sqlite_db}
    return steps, scratch


def scale_plan() -> tuple[list[Step], set[str]]:
    """`make bench-scale`: generate SCALE_SIZE (default `scale-fast`: 10M rows, 9M of them made by
    set-based SQL in the database), then the scale bench and the
    load test on it. The database keeps its name (`--reuse` skips the generation); the scale bench
    drops one month and converts the table twice, so a second run measures one month fewer."""
    if not _postgres_up():
        raise SystemExit(f"bench-scale needs Postgres at {PG_BASE}")
    size = os.environ.get("SCALE_SIZE", "scale-fast")
    db = f"{PG_BASE}/llama_bench_scale"
    clients, seconds = os.environ.get("LOAD_CLIENTS", "50"), os.environ.get("LOAD_SECONDS", "60")
    steps: list[Step] = [
        ("generate-scale", "bench.generate", ["--size", size, "--database-url", db], {}, 6 * 3600),
        ("load", "bench.load", ["--clients", clients, "--seconds", seconds], {"DATABASE_URL": db}, 1800),
        (
            "scale",
            "bench.scale",
            ["--name", "scale", "--rounds", "60", "--warmup", "5"],
            {"DATABASE_URL": db},
            6 * 3600,
        ),
    ]
    return steps, set()


def drop_databases(urls: set[str]) -> None:
    """Drop the run's scratch databases; one that will not go is reported, not raised, so it never
    hides the run's own result."""
    for url in urls:
        try:
            asyncio.run(drop_database(url))
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"   could not drop {url}: {exc}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true")
    mode.add_argument("--smoke", action="store_true")
    mode.add_argument(
        "--scale", action="store_true", help="the partitioned log at SCALE_SIZE (default 10M rows; Postgres)"
    )
    parser.add_argument("--only", help="comma-separated result names to run (others keep their files)")
    parser.add_argument("--reuse", action="store_true", help="skip generation (the databases exist)")
    args = parser.parse_args()
    results_dir = ROOT / "var" / "bench" / "smoke" if args.smoke else ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    started = time.monotonic()
    timings: dict[str, Any] = {}
    failures: list[str] = []
    steps, scratch = scale_plan() if args.scale else plan(args.smoke)
    try:
        for name, module, margs, env, timeout in steps:
            if name.startswith("generate"):
                if args.reuse:
                    continue
            elif only and name not in only:
                continue
            print(f"== {name}", flush=True)
            result = _run(module, margs, env, timeout)
            if name.startswith("generate"):
                timings[name] = result["seconds"]
                continue
            (results_dir / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
            if result.get("queries_constant") is False:
                counts = result["queries_per_request"]
                failures.append(f"{name}: statements per page are not constant: {counts}")
    finally:
        drop_databases(scratch)
    results = load(results_dir)
    (results_dir / "README.md").write_text(markdown(results, results_dir / "ANALYSIS.md"))
    if not args.smoke:
        update_readme(ROOT / "README.md", results)
    print(table(results))
    print(f"\nbench {'smoke' if args.smoke else 'full'}: {time.monotonic() - started:.0f} s "
          f"(generation: {timings}); results in {results_dir.relative_to(ROOT)}/")  # fmt: skip
    if failures:
        raise SystemExit("\n".join(failures))


if __name__ == "__main__":
    main()
