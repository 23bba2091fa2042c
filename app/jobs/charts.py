"""The numbers behind the /jobs charts, from the job and upstream_call rows.

Per job kind and day: runs by outcome, duration p50/p95 (finished_at - started_at, nearest rank).
Days older than SETTLE_DAYS are settled (a run rarely finishes days after it was created): they are
computed once into `job_day` and read from there; the recent days are computed from `job` each time.
Per source and day: requests, latency p50/p95, 429 and 503 answers, limiter wait (from
`upstream_call`; settled days kept in `source_day` the same way).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.jobs.tables import Job, JobDay, SourceDay, UpstreamCall

SETTLE_DAYS = 2
OUTCOMES = ("succeeded", "failed", "cancelled", "other")
SOURCE_FIELDS = ("requests", "p50_ms", "p95_ms", "status_429", "status_503", "wait_ms")


def percentile(values: list[int], p: float) -> int | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


@dataclass
class KindDay:
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    other: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None

    @property
    def runs(self) -> int:
        return self.succeeded + self.failed + self.cancelled + self.other


@dataclass
class SourceStats:
    requests: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None
    status_429: int = 0
    status_503: int = 0
    wait_ms: int = 0


@dataclass(frozen=True)
class ChartData:
    days: list[dt.date]
    kinds: dict[str, dict[dt.date, KindDay]] = field(default_factory=dict)
    sources: dict[str, dict[dt.date, SourceStats]] = field(default_factory=dict)


def _outcome(status: str) -> str:
    return status if status in OUTCOMES else "other"


def _duration_ms(row: dict[str, object]) -> int | None:
    started, finished = row.get("started_at"), row.get("finished_at")
    if isinstance(started, dt.datetime) and isinstance(finished, dt.datetime):
        return max(0, round((finished - started).total_seconds() * 1000))
    return None


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def summarize_runs(rows: Iterable[dict[str, object]]) -> dict[tuple[dt.date, str], KindDay]:
    """Job rows (kind, status, created_at, started_at, finished_at) → one KindDay per (day, kind)."""
    cells: dict[tuple[dt.date, str], KindDay] = defaultdict(KindDay)
    durations: dict[tuple[dt.date, str], list[int]] = defaultdict(list)
    for row in rows:
        created = row["created_at"]
        assert isinstance(created, dt.datetime)
        key = (created.astimezone(dt.UTC).date(), str(row["kind"]))
        cell = cells[key]
        outcome = _outcome(str(row["status"]))
        setattr(cell, outcome, getattr(cell, outcome) + 1)
        took = _duration_ms(row)
        if took is not None and outcome in ("succeeded", "failed"):
            durations[key].append(took)
    for key, values in durations.items():
        cells[key].p50_ms, cells[key].p95_ms = percentile(values, 0.5), percentile(values, 0.95)
    return dict(cells)


async def _runs_between(since: dt.date, until: dt.date) -> dict[tuple[dt.date, str], KindDay]:
    rows = await Job.select(Job.kind, Job.status, Job.created_at, Job.started_at, Job.finished_at).where(
        (Job.created_at >= _start(since)) & (Job.created_at < _start(until))
    )
    return summarize_runs(rows)


async def settle_days(days: int = 90, today: dt.date | None = None) -> int:
    """Keep the settled days of the last `days` that have no job_day rows yet (a day without runs
    keeps a row of kind '' so it is not computed again); the scheduler calls this every pass.
    Returns the days added."""
    today = today or dt.datetime.now(dt.UTC).date()
    settled_before = today - dt.timedelta(days=SETTLE_DAYS - 1)
    old = [settled_before - dt.timedelta(days=i) for i in range(days - SETTLE_DAYS + 1, 0, -1)]
    if not old:
        return 0
    have = {r["day"] for r in await JobDay.select(JobDay.day).where(JobDay.day >= old[0])}
    missing = sorted(d for d in old if d not in have)
    if not missing:
        return 0
    cells = await _runs_between(missing[0], missing[-1] + dt.timedelta(days=1))
    rows = [
        JobDay(day=day, kind=kind, **{k: getattr(c, k) for k in (*OUTCOMES, "p50_ms", "p95_ms")})
        for (day, kind), c in cells.items()
        if day in missing
    ]
    with_runs = {day for day, _ in cells}
    rows += [JobDay(day=day, kind="") for day in missing if day not in with_runs]
    for start in range(0, len(rows), 500):
        await JobDay.insert(*rows[start : start + 500]).on_conflict(action="DO NOTHING")
    return len(missing)


async def settle_source_days(days: int = 90, today: dt.date | None = None) -> int:
    """As settle_days, for upstream calls per source (marker rows have source '')."""
    old = _settled_window(days, today)
    if not old:
        return 0
    have = {r["day"] for r in await SourceDay.select(SourceDay.day).where(SourceDay.day >= old[0])}
    missing = sorted(d for d in old if d not in have)
    if not missing:
        return 0
    cells = await _calls_between(missing[0], missing[-1] + dt.timedelta(days=1))
    rows = [
        SourceDay(day=day, source=source, **{k: getattr(c, k) for k in SOURCE_FIELDS})
        for (day, source), c in cells.items()
        if day in missing
    ]
    with_calls = {day for day, _ in cells}
    rows += [SourceDay(day=day, source="") for day in missing if day not in with_calls]
    for start in range(0, len(rows), 500):
        await SourceDay.insert(*rows[start : start + 500]).on_conflict(action="DO NOTHING")
    return len(missing)


def _settled_window(days: int, today: dt.date | None) -> list[dt.date]:
    today = today or dt.datetime.now(dt.UTC).date()
    settled_before = today - dt.timedelta(days=SETTLE_DAYS - 1)
    return [settled_before - dt.timedelta(days=i) for i in range(days - SETTLE_DAYS + 1, 0, -1)]


async def kind_days(days: list[dt.date], today: dt.date) -> dict[str, dict[dt.date, KindDay]]:
    """Per kind, per day: outcomes and duration percentiles, in two statements: the settled days
    from job_day, the rest (recent, or not settled yet) from the job table."""
    settled_before = today - dt.timedelta(days=SETTLE_DAYS - 1)
    out: dict[str, dict[dt.date, KindDay]] = defaultdict(dict)
    have: set[dt.date] = set()
    for r in await JobDay.select().where((JobDay.day >= days[0]) & (JobDay.day < settled_before)):
        have.add(r["day"])
        if r["kind"]:
            out[r["kind"]][r["day"]] = KindDay(**{k: r[k] for k in (*OUTCOMES, "p50_ms", "p95_ms")})
    live = [d for d in days if d not in have]
    if live:
        wanted = set(live)
        for (day, kind), cell in (await _runs_between(live[0], days[-1] + dt.timedelta(days=1))).items():
            if day in wanted:
                out[kind][day] = cell
    return dict(sorted(out.items()))


def summarize_calls(rows: Iterable[dict[str, object]]) -> dict[tuple[dt.date, str], SourceStats]:
    """upstream_call rows → one SourceStats per (day, source)."""
    cells: dict[tuple[dt.date, str], SourceStats] = defaultdict(SourceStats)
    latencies: dict[tuple[dt.date, str], list[int]] = defaultdict(list)
    for row in rows:
        created = row["created_at"]
        assert isinstance(created, dt.datetime)
        key = (created.astimezone(dt.UTC).date(), str(row["source"]))
        cell = cells[key]
        cell.requests += 1
        cell.status_429 += row["status"] == 429
        cell.status_503 += row["status"] == 503
        cell.wait_ms += int(row["wait_ms"] or 0)  # type: ignore[call-overload]
        latencies[key].append(int(row["latency_ms"] or 0))  # type: ignore[call-overload]
    for key, values in latencies.items():
        cells[key].p50_ms, cells[key].p95_ms = percentile(values, 0.5), percentile(values, 0.95)
    return dict(cells)


async def _calls_between(since: dt.date, until: dt.date) -> dict[tuple[dt.date, str], SourceStats]:
    rows = await UpstreamCall.select(
        UpstreamCall.source,
        UpstreamCall.status,
        UpstreamCall.latency_ms,
        UpstreamCall.wait_ms,
        UpstreamCall.created_at,
    ).where((UpstreamCall.created_at >= _start(since)) & (UpstreamCall.created_at < _start(until)))
    return summarize_calls(rows)


async def source_days(days: list[dt.date], today: dt.date) -> dict[str, dict[dt.date, SourceStats]]:
    """Per source, per day: requests, latency percentiles, 429/503, wait (two statements, as kind_days)."""
    settled_before = today - dt.timedelta(days=SETTLE_DAYS - 1)
    out: dict[str, dict[dt.date, SourceStats]] = defaultdict(dict)
    have: set[dt.date] = set()
    for r in await SourceDay.select().where((SourceDay.day >= days[0]) & (SourceDay.day < settled_before)):
        have.add(r["day"])
        if r["source"]:
            out[r["source"]][r["day"]] = SourceStats(**{k: r[k] for k in SOURCE_FIELDS})
    live = [d for d in days if d not in have]
    if live:
        wanted = set(live)
        for (day, source), cell in (await _calls_between(live[0], days[-1] + dt.timedelta(days=1))).items():
            if day in wanted:
                out[source][day] = cell
    return dict(sorted(out.items()))


async def chart_data(days: int = 90, today: dt.date | None = None) -> ChartData:
    """The last `days` days up to `today` (UTC) for every job kind and source that has any."""
    today = today or dt.datetime.now(dt.UTC).date()
    window = [today - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    return ChartData(
        days=window, kinds=await kind_days(window, today), sources=await source_days(window, today)
    )
