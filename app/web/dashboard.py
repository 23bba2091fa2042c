"""The dashboard at /: catalog counts, activity chart, failures to retry, running jobs."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.catalog import dashboard as dash
from app.catalog.job_actions import retry_failed_job, retryable_jobs
from app.column_limits import column_problem
from app.llamalog.partitions import default_partition_strays
from app.llamalog.tables import CATEGORIES, LlamaLog
from app.not_found import NotFound
from app.web.activity_chart import build_chart
from app.web.templating import render


@get("/", name="dashboard")
async def dashboard(request: Request, retried: str | None = None) -> Response[str]:
    if request.headers.get("hx-target") == "running-jobs":  # the panel refreshing itself
        jobs = {"jobs": await dash.running_jobs(20)}
        return render(request, "dashboard.html", jobs, block="running_jobs")
    activity = await dash.activity_by_day(14)
    failures = await dash.recent_failures(10)
    reasons, broken_total = await dash.broken_by_reason()
    context = {
        "counts": await dash.catalog_counts(),
        "reasons": reasons,
        "broken_total": broken_total,
        "chart": build_chart(activity["days"], activity["counts"]),
        "categories": CATEGORIES,
        "failures": failures,
        "retryable": await retryable_jobs(failures),
        "jobs": await dash.running_jobs(20),
        "retried": retried,
        # Log rows dated outside every monthly partition (Postgres): shown only when there are some.
        "strays": await default_partition_strays(),
    }
    return render(request, "dashboard.html", context)


@post("/failures/{log_id:int}/retry", name="failure_retry")
async def failure_retry(request: Request, log_id: int) -> Response[str]:
    """Run the failed job behind a FAILED log row again, as the logged-in user."""
    if column_problem(LlamaLog.id, log_id):
        raise NotFound(f"log_id: there is no log row {log_id}")
    try:
        new_job = await retry_failed_job(log_id, request.scope["user"])
    except (LookupError, ValueError) as exc:  # no such row, not a failed run, unknown actor
        return render(request, "error.html", {"status": 400, "message": str(exc)}, status_code=400)
    return Redirect(f"/?retried={new_job}", status_code=303)


ROUTES: list[ControllerRouterHandler] = [dashboard, failure_retry]
