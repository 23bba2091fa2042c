"""The `llama` command: serve, worker, scheduler, migrate, createadmin, sync, enrich, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

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

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
        proxy_headers=False,
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "migrate": cmd_migrate,
    "createadmin": cmd_createadmin,
    "serve": cmd_serve,
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
    return parser


def main(argv: list[str] | None = None) -> int:
    use_piccolo_conf()
    args: Any = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
