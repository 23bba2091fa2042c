"""Apply the Piccolo migrations to the configured database."""

from __future__ import annotations

import contextlib
import io
import os
import sys

from app.config import ROOT, get_settings


def use_piccolo_conf() -> None:
    """Point Piccolo at this project's piccolo_conf.py, wherever the command runs from."""
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


async def migrate(*, quiet: bool = False) -> None:
    use_piccolo_conf()
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import engine

    if not get_settings().is_postgres:
        await engine().run_ddl("PRAGMA journal_mode = WAL")
    out = io.StringIO() if quiet else sys.stdout
    with contextlib.redirect_stdout(out):
        result = await run_forwards(app_name="llamalog", migration_id="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
