"""The `llama` command: serve, worker, scheduler, migrate, createadmin, sync, enrich, demo, import-log,
prune."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from app.json_types import JSONValue
from app.migrate import use_piccolo_conf


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.migrate import migrate

    asyncio.run(migrate())
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    from app.auth.users import create_admin

    password = sys.stdin.readline().rstrip("\n") if args.password == "-" else args.password
    try:
        user_id = asyncio.run(create_admin(args.username, password))
    except ValueError as exc:
        print(f"createadmin: {exc}", file=sys.stderr)
        return 2
    print(f"admin {args.username!r} created (id {user_id})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings
    from app.web.http_protocol import NoDelayH11Protocol

    settings = get_settings()
    workers = args.workers
    if workers < 1:
        print("llama serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1 and settings.embedded:
        print(
            "llama serve: --workers > 1 needs REDIS_URL: without it jobs, the scheduler and the login "
            "throttle live inside one process (embedded mode), and several processes would each run "
            "their own. Set REDIS_URL and run `llama worker` and `llama scheduler` beside the server.",
            file=sys.stderr,
        )
        return 2
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        http=NoDelayH11Protocol,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers if workers > 1 else None,
        log_level="info",
        proxy_headers=False,
    )
    return 0


def _redis_required(command: str) -> int | None:
    from app.config import get_settings

    if get_settings().embedded:
        print(
            f"llama {command}: no REDIS_URL, so this runs inside `llama serve` (embedded mode); "
            "set REDIS_URL to run it as a process of its own",
            file=sys.stderr,
        )
        return 2
    return None


def cmd_worker(args: argparse.Namespace) -> int:
    from tasks.worker import run_worker

    refused = _redis_required("worker")
    if refused is not None:
        return refused
    return run_worker(
        threads=args.threads,
        modules=args.modules,
        heartbeat_timeout_ms=args.heartbeat_timeout,
        maintenance_chance=args.maintenance_chance,
    )


def cmd_scheduler(args: argparse.Namespace) -> int:
    from app.config import get_settings
    from tasks.scheduler import run_scheduler

    refused = _redis_required("scheduler")
    if refused is not None:
        return refused
    if not get_settings().scheduler_enabled:
        print("llama scheduler: SCHEDULER_ENABLED is off; nothing to do")
        return 0
    return run_scheduler(args.modules)


SYNC_ACTORS = {"spotify": "sync_spotify", "musicbrainz": "sync_musicbrainz"}
ENRICH_ACTOR = "enrich_album"


def _run_manual(actor: str, actor_args: list[JSONValue], wait: bool) -> int:
    from tasks.manual import run_manual

    return asyncio.run(run_manual(actor, actor_args, wait=wait, out=sys.stdout, err=sys.stderr))


def cmd_sync(args: argparse.Namespace) -> int:
    return _run_manual(SYNC_ACTORS[args.source], [], args.wait)


def cmd_enrich(args: argparse.Namespace) -> int:
    import uuid

    try:
        album_id = str(uuid.UUID(args.album_id))
    except ValueError:
        print(f"llama enrich: {args.album_id!r} is not an album id (a UUID)", file=sys.stderr)
        return 2
    if not asyncio.run(_album_exists(album_id)):
        print(f"llama enrich: no album {album_id}", file=sys.stderr)
        return 2
    return _run_manual(ENRICH_ACTOR, [album_id], args.wait)


async def _album_exists(album_id: str) -> bool:
    from app.catalog.tables import Album

    return bool(await Album.exists().where(Album.id == album_id))


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo.command import run_demo

    return run_demo(args.host, args.port, serve=not args.no_serve)


def cmd_import_log(args: argparse.Namespace) -> int:
    from app.llamalog.legacy_cli import run_import_log

    return run_import_log(args, sys.stdout, sys.stderr)


def cmd_prune(args: argparse.Namespace) -> int:
    from app.jobs.log_maintenance import maintain_log
    from app.llamalog.retention import RetentionError

    try:
        report = asyncio.run(maintain_log(dry_run=args.dry_run, triggered_by="manual"))
    except RetentionError as exc:
        print(f"llama prune: {exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    if report.job_id:
        print(f"on the record as job {report.job_id}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    import json

    from app.llamalog.audit import audit, report_lines

    report = asyncio.run(audit())
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print("\n".join(report_lines(report)))
    return 1 if report.problems else 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "migrate": cmd_migrate,
    "createadmin": cmd_createadmin,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "scheduler": cmd_scheduler,
    "sync": cmd_sync,
    "enrich": cmd_enrich,
    "import-log": cmd_import_log,
    "prune": cmd_prune,
    "audit": cmd_audit,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llama", description="🦙 LlamaLog: music catalog admin")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    admin = sub.add_parser("createadmin", help="create an admin user (non-interactive)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True, help="the password, or - to read it from stdin")
    serve = sub.add_parser("serve", help="serve the admin site (embedded workers without REDIS_URL)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (more than 1 needs REDIS_URL; see the README)",
    )
    worker = sub.add_parser("worker", help="run a Dramatiq worker (needs REDIS_URL)")
    worker.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    worker.add_argument(
        "--heartbeat-timeout",
        type=int,
        default=None,
        help="ms before a dead worker's messages are requeued",
    )
    worker.add_argument(
        "--maintenance-chance", type=int, default=None, help="requeue checks per million Redis commands"
    )
    worker.add_argument("modules", nargs="*", help="extra modules declaring actors (tasks.actors always)")
    scheduler = sub.add_parser(
        "scheduler", help="send scheduled syncs on their cron ticks, watch for stalled jobs (needs REDIS_URL)"
    )
    scheduler.add_argument("modules", nargs="*", help="extra modules declaring actors (tasks.actors always)")
    sync = sub.add_parser("sync", help="start a sync now (a manual job)")
    sync.add_argument("source", choices=sorted(SYNC_ACTORS))
    sync.add_argument("--wait", action="store_true", help="wait for the job and show its progress")
    enrich = sub.add_parser("enrich", help="enrich one album now (a manual job)")
    enrich.add_argument("album_id")
    enrich.add_argument("--wait", action="store_true", help="wait for the job and show its progress")
    demo = sub.add_parser(
        "demo", help="fill the catalog from recorded upstream data with the real jobs, then serve"
    )
    demo.add_argument("--host", default=None)
    demo.add_argument("--port", type=int, default=None)
    demo.add_argument("--no-serve", action="store_true", help="fill the catalog, print the login, exit")
    imports = sub.add_parser(
        "import-log",
        help="import a legacy EnrichmentLog export (.csv or .jsonl) or table (postgres://… --table)",
    )
    imports.add_argument("path", help="a .csv / .jsonl file, or a postgres:// DSN with --table")
    imports.add_argument("--table", default=None, help="the legacy log table, when PATH is a postgres:// DSN")
    imports.add_argument("--dry-run", action="store_true", help="report what it would do; write nothing")
    imports.add_argument("--strict", action="store_true", help="refuse the file if any row is unreadable")
    imports.add_argument("--entity-map", default=None, help="JSON file: legacy entity id -> catalog UUID")
    prune = sub.add_parser(
        "prune", help="remove log rows past their category's retention (LOG_RETENTION_*), as a job"
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    audit = sub.add_parser("audit", help="provenance coverage: named checks; exit 1 when any finds a problem")
    audit.add_argument("--json", action="store_true", help="the report as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    use_piccolo_conf()
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
