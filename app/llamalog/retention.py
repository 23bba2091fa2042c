"""Retention of log rows per category, and the prune that applies it (`llama prune`, scheduled).

Defaults: CACHED 90 days, FAILED 1 year, ENRICHED 2 years; CREATED, LINKED and CORRECTED forever.
`LOG_RETENTION_<CATEGORY>` (days, or `forever`) changes one. CREATED and CORRECTED rows are the
provenance of the catalog: a finite setting for them is refused unless
`LOG_RETENTION_ALLOW_PROTECTED=1`, and the refusal says how many rows it would drop.

The prune, on Postgres with monthly partitions: a month whose rows are all past their category's
retention is detached and dropped whole (no row by row DELETE, no bloat, a lock held for
milliseconds); elsewhere, and on SQLite, expired rows go in batches of `BATCH_ROWS`, each its own
short transaction. Every step commits on its own and only ever removes expired rows, so a prune
killed midway leaves every kept row intact and the next run finishes the work.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.querystring import QueryString

from app.db import engine, transaction
from app.llamalog import partitions
from app.llamalog.tables import CATEGORIES

DEFAULT_DAYS: dict[str, int | None] = {
    "CACHED": 90,
    "FAILED": 365,
    "ENRICHED": 730,
    "CREATED": None,
    "LINKED": None,
    "CORRECTED": None,
}
PROTECTED = ("CREATED", "CORRECTED")
OVERRIDE_ENV = "LOG_RETENTION_ALLOW_PROTECTED"
BATCH_ROWS = 5000
FOREVER = ("forever", "never", "keep", "none")


class RetentionError(ValueError):
    """A retention setting that cannot be used as it stands (the message names the setting)."""


def env_name(category: str) -> str:
    return f"LOG_RETENTION_{category}"


@dataclass(frozen=True)
class Policy:
    days: dict[str, int | None]  # category → days kept, None = forever
    allow_protected: bool = False

    def cutoffs(self, now: dt.datetime) -> dict[str, dt.datetime]:
        """category → rows created before this instant are expired (categories kept forever absent)."""
        return {c: now - dt.timedelta(days=d) for c, d in self.days.items() if d is not None}

    def refused(self) -> list[str]:
        """Protected categories this policy would prune without the explicit override."""
        if self.allow_protected:
            return []
        return [c for c in PROTECTED if self.days.get(c) is not None]

    def describe(self) -> dict[str, str]:
        return {c: "forever" if d is None else f"{d} days" for c, d in self.days.items()}


def policy_from(env: Mapping[str, str]) -> Policy:
    """The retention policy from `env` (os.environ by default in `current_policy`)."""
    days: dict[str, int | None] = {}
    for category in CATEGORIES:
        raw = env.get(env_name(category), "").strip().lower()
        if not raw:
            days[category] = DEFAULT_DAYS[category]
        elif raw in FOREVER:
            days[category] = None
        else:
            try:
                value = int(raw)
            except ValueError:
                raise RetentionError(
                    f"{env_name(category)}={raw!r}: give a number of days or 'forever'"
                ) from None
            if value < 1:
                raise RetentionError(f"{env_name(category)}={value}: keep rows at least 1 day, or 'forever'")
            days[category] = value
    allow = env.get(OVERRIDE_ENV, "").strip().lower() in ("1", "true", "yes")
    return Policy(days=days, allow_protected=allow)


def current_policy() -> Policy:
    return policy_from(os.environ)


@dataclass
class PruneReport:
    dry_run: bool
    policy: dict[str, str]
    # month ("YYYY-MM") → category → rows removed (or that would be)
    months: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    dropped_partitions: list[str] = field(default_factory=list)
    rows_in_dropped_partitions: int = 0
    rows_deleted: int = 0
    batches: int = 0
    job_id: str | None = None  # the Job row that keeps this report (llama prune)

    @property
    def total(self) -> int:
        return self.rows_in_dropped_partitions + self.rows_deleted

    def add(self, month: str, category: str, rows: int) -> None:
        self.months[month][category] = self.months[month].get(category, 0) + rows

    def per_category(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for counts in self.months.values():
            for category, rows in counts.items():
                totals[category] = totals.get(category, 0) + rows
        return totals

    def as_summary(self) -> dict[str, object]:
        """The record kept on the prune's Job row (JSON)."""
        return {
            "prune": {
                "dry_run": self.dry_run,
                "policy": self.policy,
                "months": {m: dict(sorted(c.items())) for m, c in sorted(self.months.items())},
                "per_category": self.per_category(),
                "dropped_partitions": self.dropped_partitions,
                "rows_in_dropped_partitions": self.rows_in_dropped_partitions,
                "rows_deleted": self.rows_deleted,
                "batches": self.batches,
                "total": self.total,
            }
        }

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        out = ["retention: " + ", ".join(f"{c} {d}" for c, d in self.policy.items())]
        for month, counts in sorted(self.months.items()):
            out.append(f"  {month}: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())))
        if self.dropped_partitions:
            word = "would drop" if self.dry_run else "dropped"
            out.append(f"partitions {word} whole: {', '.join(self.dropped_partitions)}")
        out.append(
            f"{verb} {self.total} rows ({self.rows_in_dropped_partitions} with whole partitions, "
            f"{self.rows_deleted} in {self.batches} batches)"
        )
        return out


class ProtectedRetention(RetentionError):
    """A finite retention for CREATED or CORRECTED without the override; `counts` is what it would drop."""

    def __init__(self, counts: dict[str, int], policy: Policy) -> None:
        self.counts = counts
        parts = [
            f"{env_name(c)}={policy.days[c]} would delete {counts.get(c, 0)} {c} rows older than "
            f"{policy.days[c]} days"
            for c in policy.refused()
        ]
        super().__init__(
            "; ".join(parts) + f": these rows are the catalog's provenance. Set {OVERRIDE_ENV}=1 to prune "
            "them anyway, or set them to 'forever'."
        )


def _month_sql() -> str:
    if engine().engine_type == "postgres":
        return "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    return "substr(created_at, 1, 7)"


async def _run(sql: str, *values: object) -> list[dict[str, Any]]:
    return list(await engine().run_querystring(QueryString(sql, *values)))


async def _expired_by_month(category: str, cutoff: dt.datetime) -> dict[str, int]:
    rows = await _run(
        f"SELECT {_month_sql()} AS month, COUNT(*) AS n FROM llama_log "
        "WHERE category = {} AND created_at < {} GROUP BY 1",
        category,
        cutoff,
    )
    return {str(r["month"]): int(r["n"]) for r in rows}


async def _category_counts(table: str) -> dict[str, int]:
    rows = await _run(f"SELECT category, COUNT(*) AS n FROM {table} GROUP BY category")  # noqa: S608
    return {str(r["category"]): int(r["n"]) for r in rows}


def _droppable(
    partition: partitions.Partition, counts: dict[str, int], cutoffs: dict[str, dt.datetime]
) -> bool:
    """Every row of the month is past its category's retention (an empty month is left alone)."""
    return bool(counts) and all(c in cutoffs and partition.end <= cutoffs[c] for c in counts)


def _kept_categories(partition: partitions.Partition, cutoffs: dict[str, dt.datetime]) -> list[str]:
    """Categories whose rows in this month must stay (kept forever, or not yet past retention)."""
    return [c for c in CATEGORIES if c not in cutoffs or partition.end > cutoffs[c]]


PRUNED_PREFIX = "llama_log_pruned_"


async def detach_partition(
    partition: partitions.Partition, cutoffs: dict[str, dt.datetime], counts: dict[str, int]
) -> str | None:
    """Detach one month whose rows are all past retention; the name it now has (to drop), or None.

    The month was counted before (`counts`), with no lock on llama_log beyond a plain read, so the
    parent's exclusive lock, which DETACH needs, is held for the DETACH alone: a few ms, whatever the
    month's size. Under that lock one index probe checks that no row of a kept category arrived since
    the count (a row dated months back, say); if one did, nothing changes and the month stays. The
    detached table is renamed `llama_log_pruned_…` in the same transaction: after the commit nothing
    can write to it, so a prune killed before the DROP leaves a table of expired rows only, which the
    next run drops. DETACH ... CONCURRENTLY is refused by Postgres while the parent has a default
    partition (ours catches strays), so it is the plain DETACH, under `lock_timeout`.
    """
    if not _droppable(partition, counts, cutoffs):
        return None
    kept = _kept_categories(partition, cutoffs)
    detached = PRUNED_PREFIX + partition.name.removeprefix(f"{partitions.TABLE}_")
    async with transaction():
        await engine().run_ddl("SET LOCAL lock_timeout = '10s'")
        await partitions.lock()
        await engine().run_ddl(f"LOCK TABLE {partitions.TABLE} IN ACCESS EXCLUSIVE MODE")
        if kept:
            marks = ", ".join("{}" for _ in kept)
            arrived = await _run(
                f"SELECT 1 AS found FROM {partition.name} WHERE category IN ({marks}) LIMIT 1",  # noqa: S608
                *kept,
            )
            if arrived:
                return None
        await engine().run_ddl(f"ALTER TABLE {partitions.TABLE} DETACH PARTITION {partition.name}")
        await engine().run_ddl(f"ALTER TABLE {partition.name} RENAME TO {detached}")
    return detached


async def drop_detached(name: str) -> None:
    """DROP a detached month, in a transaction of its own: its commit unlinks the month's files
    (~0.1 s for 340k rows and their 11 indexes here) while no lock on llama_log is held."""
    if not name.startswith(PRUNED_PREFIX):
        raise ValueError(f"{name}: not a detached month of the prune")
    async with transaction():
        await engine().run_ddl(f"DROP TABLE IF EXISTS {name}")


async def _leftover_detached() -> list[str]:
    rows = await _run(
        "SELECT relname::text AS name FROM pg_class WHERE relkind = 'r' AND relname LIKE {} ORDER BY relname",
        PRUNED_PREFIX.replace("_", "\\_") + "%",
    )
    return [str(r["name"]) for r in rows]


async def drop_partition(
    partition: partitions.Partition, cutoffs: dict[str, dt.datetime], counts: dict[str, int] | None = None
) -> dict[str, int] | None:
    """Detach then drop one month whose rows are all past retention; its rows per category, or None
    if it must stay (counted here when `counts` is not given)."""
    if counts is None:
        counts = await _category_counts(partition.name)
    detached = await detach_partition(partition, cutoffs, counts)
    if detached is None:
        return None
    await drop_detached(detached)
    return counts


async def _drop_partitions(report: PruneReport, cutoffs: dict[str, dt.datetime]) -> None:
    if not report.dry_run:
        for name in await _leftover_detached():  # a prune killed between a DETACH and its DROP
            await drop_detached(name)
    for partition in await partitions.monthly_partitions():
        if not cutoffs or partition.end > max(cutoffs.values()):
            break
        counts: dict[str, int] | None = await _category_counts(partition.name)
        assert counts is not None
        if not _droppable(partition, counts, cutoffs):
            continue
        month = partition.start.strftime("%Y-%m")
        if not report.dry_run:
            counts = await drop_partition(partition, cutoffs, counts)
            if counts is None:  # the month stays; its expired rows go in batches below
                continue
        for category, rows in counts.items():
            report.add(month, category, rows)
        report.dropped_partitions.append(partition.name)
        report.rows_in_dropped_partitions += sum(counts.values())


async def delete_batches(report: PruneReport, category: str, cutoff: dt.datetime, batch_rows: int) -> None:
    """Delete `category`'s rows older than `cutoff`, oldest first, `batch_rows` at a time, each batch
    a transaction of its own (no long lock, a kill loses at most one batch's work, never a kept row)."""
    postgres = engine().engine_type == "postgres"
    while True:
        async with transaction():
            rows = await _run(
                "SELECT id, created_at, " + _month_sql() + " AS month FROM llama_log "
                "WHERE category = {} AND created_at < {} ORDER BY created_at, id LIMIT {}",
                category,
                cutoff,
                batch_rows,
            )
            if not rows:
                return
            ids = [int(r["id"]) for r in rows]
            marks = ", ".join("{}" for _ in ids)
            # Bounded by the batch's own dates too, so Postgres touches only their partitions.
            await _run(
                f"DELETE FROM llama_log WHERE id IN ({marks}) AND category = {{}} AND created_at < {{}}"
                + (" AND created_at >= {}" if postgres else ""),
                *ids,
                category,
                cutoff,
                *([rows[0]["created_at"]] if postgres else []),
            )
        for r in rows:
            report.add(str(r["month"]), category, 1)
        report.rows_deleted += len(rows)
        report.batches += 1
        if len(rows) < batch_rows:
            return


async def prune(
    *,
    dry_run: bool = False,
    policy: Policy | None = None,
    now: dt.datetime | None = None,
    batch_rows: int = BATCH_ROWS,
) -> PruneReport:
    """Remove the log rows past their category's retention (or count them, `dry_run`)."""
    policy = policy or current_policy()
    now = now or dt.datetime.now(dt.UTC)
    cutoffs = policy.cutoffs(now)
    report = PruneReport(dry_run=dry_run, policy=policy.describe())
    refused = policy.refused()
    if refused and not dry_run:
        counts = {c: sum((await _expired_by_month(c, cutoffs[c])).values()) for c in refused}
        raise ProtectedRetention(counts, policy)
    if await partitions.is_partitioned():
        await _drop_partitions(report, cutoffs)
    dropped = {name.removeprefix("llama_log_p") for name in report.dropped_partitions}
    for category, cutoff in cutoffs.items():
        if dry_run:
            for month, rows in (await _expired_by_month(category, cutoff)).items():
                if month.replace("-", "") in dropped:  # counted with its partition above
                    continue
                report.add(month, category, rows)
                report.rows_deleted += rows
        else:
            await delete_batches(report, category, cutoff, batch_rows)
    return report
