"""The log pages and the chain against the floor, on one generated database.

    DATABASE_URL=… python -m bench.pages --name pages-postgres --rounds 150

Serves the real app (create_app, wrapped only to count statements) and the floor with uvicorn, logs in
with a session made by app.auth.users.login, checks both sides return the same rows, then times every
case interleaved over real HTTP and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
from typing import Any
from urllib.parse import urlencode

from bench.servers import serve
from bench.timing import Client, Sample, interleave, ratio, summary

TARGET_FLOOR = 1.3


async def _setup(depth_fraction: float) -> dict[str, Any]:
    """The dataset's meta, a session token and the cursor of the row `depth` rows deep."""
    from piccolo.querystring import QueryString

    from app.auth.users import login
    from app.db import engine
    from app.llamalog.filters import Cursor

    db = engine()
    meta = json.loads((await db.run_querystring(QueryString("SELECT data FROM bench_meta")))[0]["data"])
    depth = int(meta["log_rows"] * depth_fraction)
    at = await db.run_querystring(
        QueryString(
            "SELECT created_at, id FROM llama_log ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET {}",
            depth - 1,
        )
    )
    created_at = at[0]["created_at"]
    if isinstance(created_at, str):
        created_at = dt.datetime.fromisoformat(created_at)
    token = await login(meta["admin"]["username"], meta["admin"]["password"], "bench")
    return {
        "meta": meta,
        "depth": depth,
        "deep_cursor": Cursor(created_at, at[0]["id"]).encode(),
        "token": token,
    }


def _ids(body: bytes) -> list[int]:
    return [row["id"] for row in json.loads(body)["rows"]]


def _paths(setup: dict[str, Any]) -> dict[str, str]:
    end = dt.datetime.fromisoformat(setup["meta"]["end"])
    since, until = (end - dt.timedelta(days=30)).date(), (end - dt.timedelta(days=20)).date()
    return {
        "page1": "",
        "filtered": "?" + urlencode({"category": "ENRICHED", "since": since, "until": until}),
        "deep": "?" + urlencode({"cursor": setup["deep_cursor"]}),
    }


def run(name: str, rounds: int, warmup: int, depth_fraction: float) -> dict[str, Any]:
    setup = asyncio.run(_setup(depth_fraction))
    meta = setup["meta"]
    env = {"SCHEDULER_ENABLED": "0", "LLAMALOG_CONSOLE": "0"}
    cold_env = {**env, "SESSION_CACHE_SECONDS": "0"}
    # The app as configured (a session is read once per SESSION_CACHE_SECONDS), and the app reading
    # the session on every request: a person's page views are often further apart than the window.
    with (
        serve("app", "bench.served:app_with_counter", env) as app_server,
        serve("app-cold", "bench.served:app_with_counter", cold_env) as cold_server,
        serve("floor", "bench.served:floor_with_counter", env) as floor_server,
    ):
        app = Client(app_server.port, {"cookie": f"id={setup['token']}"})
        cold = Client(cold_server.port, {"cookie": f"id={setup['token']}"})
        floor = Client(floor_server.port)
        probe, _ = app.get("/api/logs")
        assert probe.status == 200, f"the bench session was refused ({probe.status})"
        has_logs_page = app.get("/logs")[0].status == 200
        paths = _paths(setup)
        chain_app = f"/api/chain/ALBUM/{meta['showcase_album']}?limit=500"
        chain_floor = f"/chain/{meta['showcase_album']}?limit=500"
        checks: dict[str, Any] = {}
        for key, query in paths.items():  # the same rows on both sides, or the comparison means nothing
            app_ids, floor_ids = (
                _ids(app.get("/api/logs" + query)[1]),
                _ids(floor.get("/logs.json" + query)[1]),
            )
            assert app_ids == floor_ids and len(app_ids) == 50, f"{key}: app and floor rows differ"
            checks[key] = {"rows": len(app_ids), "first_id": app_ids[0], "last_id": app_ids[-1]}
        chain_ids = _ids(app.get(chain_app)[1])
        assert chain_ids == _ids(floor.get(chain_floor)[1]) and len(chain_ids) == meta["chain_rows"]
        checks["chain"] = {"rows": len(chain_ids)}

        def case(client: Client, path: str) -> Any:
            def timed() -> Sample:
                sample, _ = client.get(path)
                assert sample.status == 200, f"{path} answered {sample.status}"
                return sample

            return timed

        cases = {}
        for key, query in paths.items():
            cases[f"app_api_{key}"] = case(app, "/api/logs" + query)
            cases[f"floor_json_{key}"] = case(floor, "/logs.json" + query)
            if has_logs_page:
                cases[f"app_html_{key}"] = case(app, "/logs" + query)
                cases[f"cold_html_{key}"] = case(cold, "/logs" + query)
                cases[f"floor_html_{key}"] = case(floor, "/logs" + query)
        cases["app_chain"] = case(app, chain_app)
        cases["cold_chain"] = case(cold, chain_app)
        cases["floor_chain"] = case(floor, chain_floor)
        samples = interleave(cases, rounds=rounds, warmup=warmup)
        app.close()
        cold.close()
        floor.close()
    return report(name, setup, checks, samples, has_logs_page)


def report(
    name: str, setup: dict[str, Any], checks: dict[str, Any], samples: dict[str, list[Sample]], html: bool
) -> dict[str, Any]:
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    deep_target = 1.1 if postgres else 1.2
    comparisons: list[dict[str, Any]] = []

    def compare(what: str, a: str, b: str, target: float | None) -> None:
        figures = ratio(samples[a], samples[b])
        met = None if target is None else figures["ratio"] <= target
        comparisons.append({"what": what, "a": a, "b": b, **figures, "target": target, "met": met})

    kinds = [("api", "json", "/api/logs")] + ([("html", "html", "/logs")] if html else [])
    for kind, floor_kind, label in kinds:
        for key in ("page1", "filtered", "deep"):
            # The target is for the page; the JSON API is context (the stand-in until /logs existed).
            target = TARGET_FLOOR if postgres and (kind == "html" or not html) else None
            compare(f"{label} {key} vs floor", f"app_{kind}_{key}", f"floor_{floor_kind}_{key}", target)
        if kind == "html":
            for key in ("page1", "filtered", "deep"):
                compare(
                    f"{label} {key} vs floor, session read on every request",
                    f"cold_html_{key}",
                    f"floor_html_{key}",
                    None,
                )
        compare(f"{label} deep vs page 1", f"app_{kind}_deep", f"app_{kind}_page1", deep_target)
        compare(
            f"floor deep vs page 1 ({floor_kind})",
            f"floor_{floor_kind}_deep",
            f"floor_{floor_kind}_page1",
            None,
        )
    compare(
        f"/api/chain {setup['meta']['chain_rows']} rows vs floor",
        "app_chain",
        "floor_chain",
        TARGET_FLOOR if postgres else None,
    )
    compare(
        f"/api/chain {setup['meta']['chain_rows']} rows vs floor, session read on every request",
        "cold_chain",
        "floor_chain",
        None,
    )
    cases = {k: summary(v) for k, v in samples.items()}
    # Statements are counted where the session is read on every request, so each count is exact:
    # the session lookup plus the page's own statements (the warm app sends one fewer most times).
    queries = {k.replace("cold_", "app_"): cases[k]["queries"] for k in cases if k.startswith("cold_")}
    page_counts = {tuple(v) for k, v in queries.items() if k != "app_chain"}
    meta = {k: v for k, v in setup["meta"].items() if k != "admin"}
    return {
        "name": name,
        "database": "postgres" if postgres else "sqlite",
        "dataset": meta,
        "deep_depth": setup["depth"],
        "logs_page": "measured" if html else "not built yet: /api/logs measured instead",
        "same_rows": checks,
        "cases": cases,
        "comparisons": comparisons,
        "queries_per_request": queries,
        "queries_constant": len(page_counts) == 1 and all(len(v) == 1 for v in queries.values()),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": _table(comparisons, cases, queries, postgres, meta),
    }


def _table(
    comparisons: list[dict[str, Any]],
    cases: dict[str, Any],
    queries: dict[str, Any],
    postgres: bool,
    meta: Any,
) -> list[dict[str, Any]]:
    where = f"{'Postgres' if postgres else 'SQLite'}, {meta['log_rows']:,} rows"
    rows = []
    for c in comparisons:
        a, b = cases[c["a"]]["median_ms"], cases[c["b"]]["median_ms"]
        target = f"≤ {c['target']}x" if c["target"] else "(context)"
        rows.append({
            "benchmark": f"{c['what']} ({where})",
            "measured": f"{c['ratio']}x ({a:.1f} ms vs {b:.1f} ms; paired {c['paired_ratio']}x)",
            "target": target,
            "met": c["met"],
        })  # fmt: skip
    per_page = sorted({q for k, v in queries.items() if k != "app_chain" for q in v})
    rows.append({
        "benchmark": f"Statements per log page with the session read, page 1 / filtered / deep ({where})",
        "measured": " / ".join(str(v) for v in per_page) + f"; chain: {queries['app_chain']}",
        "target": "constant",
        "met": len(per_page) == 1 and len(queries["app_chain"]) == 1,
    })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--depth", type=float, default=0.9, help="deep page: this fraction of all rows")
    args = parser.parse_args()
    print(json.dumps(run(args.name, args.rounds, args.warmup, args.depth)))


if __name__ == "__main__":
    main()
