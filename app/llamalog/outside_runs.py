"""Work done outside any Dramatiq job still goes on the Job table: the job a script's log rows open
for themselves, and `llama import-log`. The log sits below the jobs package and never imports it: it
describes the run (`OutsideRun`) and hands it to the writer that app.jobs.script_jobs registers when
the jobs package is imported (with the app's tables, so before any row can be written)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OutsideRun:
    """A finished run, as its Job row says it (status succeeded)."""

    job_id: uuid.UUID
    kind: str
    started: dt.datetime
    finished: dt.datetime
    triggered_by: str = "system"
    actor: str | None = None
    args: list[object] = field(default_factory=list)
    kwargs: dict[str, object] = field(default_factory=dict)
    username: str | None = None
    progress: int = 0
    summary: dict[str, object] | None = None


OutsideRunWriter = Callable[[OutsideRun], Awaitable[None]]
_writer: OutsideRunWriter | None = None


def on_outside_run(writer: OutsideRunWriter) -> None:
    """Say how an outside run's Job row is written (app.jobs.script_jobs, on import)."""
    global _writer
    _writer = writer


async def record_outside_run(run: OutsideRun) -> None:
    """Its Job row, once: a no-op when the row is there already (in the caller's transaction)."""
    if _writer is None:
        raise RuntimeError("no writer for an outside run's Job row: import app.jobs (the app's tables) first")
    await _writer(run)
