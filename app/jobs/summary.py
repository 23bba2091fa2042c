"""What a sync run looked at and found, kept on its Job row and said in words on its pages.

The sync writes `{"window": …, "seen": n, "failed": k}`; new and unchanged come from the run's
`albums_created` / `albums_skipped` columns, which the middleware squares with the log for a
redelivered run, so the words never disagree with the counts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.jobs.tables import Job
from app.llamalog.context import get_current_job


async def job_summary(**values: object) -> None:
    """Keep `values` as the running job's summary (outside a worker run: nothing to keep)."""
    ctx = get_current_job()
    if ctx is None:
        return
    await Job.update({Job.summary: json.dumps(values)}).where(Job.job_id == ctx.job_id)


def _albums(n: int) -> str:
    return f"{n} album{'' if n == 1 else 's'}"


def _window(window: dict[str, Any]) -> str:
    if window.get("since"):
        return f"Looked at releases from {window['since']} to {window['until']}."
    country = window.get("country") or "every market"
    return f"Looked at {window.get('listing', 'the listing')} for {country}, up to {_albums(window['max'])}."


def describe(job: Mapping[str, object]) -> dict[str, str] | None:
    """The summary of a finished or running sync in words: saw, window, and why nothing was logged."""
    summary = job.get("summary")
    if isinstance(summary, str):
        summary = json.loads(summary)
    if not isinstance(summary, dict) or "seen" not in summary:
        return None
    seen, failed = int(summary["seen"]), int(summary.get("failed") or 0)
    new, unchanged = job.get("albums_created") or 0, job.get("albums_skipped") or 0
    words = {
        "saw": f"Saw {_albums(seen)}: {new} new, {unchanged} already on file, {failed} failed.",
        "window": _window(summary.get("window") or {}),
    }
    if job.get("status") == "succeeded" and not new and not failed:
        words["why_empty"] = (
            "Nothing logged: the window held no releases."
            if seen == 0
            else "Nothing logged: nothing new, every album it saw is already on file."
        )
    return words
