"""Retention per category and `llama prune`: only expired categories go, kept rows stay intact, the
prune is on the record, a killed prune can run again, protected categories need the override."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest

from app.cli import main as llama
from app.db import transaction
from app.jobs.actors import ActorName
from app.jobs.launch import enqueue
from app.jobs.log_maintenance import JOB_KIND, maintain_log
from app.jobs.tables import Job
from app.llamalog import partitions, retention
from app.llamalog.retention import ProtectedRetention, RetentionError, policy_from
from app.llamalog.tables import LlamaLog
from tests.conftest import TEST_DB
from tests.jobs.harness import WorkerControl, job_in, wait_until, worker_fixture

NOW = dt.datetime.now(dt.UTC)
OLD_MONTH = partitions.month_start(NOW - dt.timedelta(days=1000))


def _row(category: str, at: dt.datetime, n: int) -> LlamaLog:
    return LlamaLog(
        created_at=at,
        entity_type="ALBUM",
        entity_id=uuid.uuid4(),
        category=category,
        operation=f"album:{category.lower()}:test",
        sources=["USER"],
        metadata={"n": n},
    )


@pytest.fixture(autouse=True)
def past_rows_stay_in_the_default_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    """These rows are placed by hand: the one old month is a partition of its own, the other past rows
    wait in the default partition (where the prune deletes in batches), so no history month is made
    for them (test_partitions covers that)."""
    monkeypatch.setattr(partitions, "HISTORY_YEARS", 0)


async def populate() -> tuple[set[int], set[int]]:
    """(ids that must stay, ids past retention). One old month holds only expired categories."""
    if TEST_DB == "postgres":
        async with transaction():
            await partitions.lock()
            await partitions.create_partition(partitions.partition_for(OLD_MONTH))
    expired = [
        *(_row("CACHED", NOW - dt.timedelta(days=100 + i), i) for i in range(5)),
        *(_row("FAILED", NOW - dt.timedelta(days=400 + i), i) for i in range(3)),
        *(_row("ENRICHED", NOW - dt.timedelta(days=800), 0),),
        # the whole old month: every row in it is past its category's retention
        *(
            _row(c, OLD_MONTH + dt.timedelta(days=2, hours=i), i)
            for i, c in enumerate(["CACHED", "FAILED"] * 3)
        ),
        _row("ENRICHED", OLD_MONTH + dt.timedelta(days=3), 9),
    ]
    kept = [
        *(_row("CACHED", NOW - dt.timedelta(days=10 + i), i) for i in range(4)),
        _row("FAILED", NOW - dt.timedelta(days=300), 0),
        _row("ENRICHED", NOW - dt.timedelta(days=600), 0),
        *(_row(c, NOW - dt.timedelta(days=3000), 0) for c in ("CREATED", "LINKED", "CORRECTED")),
        *(_row(c, NOW - dt.timedelta(days=5), 0) for c in ("CREATED", "LINKED", "CORRECTED")),
    ]
    expired_ids = {r["id"] for r in await LlamaLog.insert(*expired).returning(LlamaLog.id)}
    kept_ids = {r["id"] for r in await LlamaLog.insert(*kept).returning(LlamaLog.id)}
    return kept_ids, expired_ids


async def snapshot() -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in await LlamaLog.select().output(load_json=True)}


def test_policy_defaults_and_bad_settings() -> None:
    policy = policy_from({})
    assert policy.days == {
        "CREATED": None,
        "ENRICHED": 730,
        "CORRECTED": None,
        "CACHED": 90,
        "FAILED": 365,
        "LINKED": None,
    }
    assert policy_from({"LOG_RETENTION_CACHED": "forever"}).days["CACHED"] is None
    with pytest.raises(RetentionError, match="LOG_RETENTION_FAILED"):
        policy_from({"LOG_RETENTION_FAILED": "a year"})
    with pytest.raises(RetentionError, match="LOG_RETENTION_CACHED"):
        policy_from({"LOG_RETENTION_CACHED": "0"})
    assert policy_from({"LOG_RETENTION_CREATED": "30"}).refused() == ["CREATED"]
    allowed = {"LOG_RETENTION_CREATED": "30", "LOG_RETENTION_ALLOW_PROTECTED": "1"}
    assert policy_from(allowed).refused() == []


async def test_prune_removes_only_expired_categories_and_is_on_the_record() -> None:
    kept_ids, expired_ids = await populate()
    before = await snapshot()

    dry = await maintain_log(dry_run=True)
    assert dry.total == len(expired_ids)
    assert await LlamaLog.count() == len(before)
    assert await Job.count().where(Job.kind == JOB_KIND) == 0

    report = await maintain_log(batch_rows=2)
    after = await snapshot()
    assert set(after) == kept_ids
    assert all(after[i] == before[i] for i in kept_ids)  # kept rows untouched, every column
    assert report.total == len(expired_ids)
    assert report.per_category() == {"CACHED": 8, "FAILED": 6, "ENRICHED": 2}
    assert report.months[OLD_MONTH.strftime("%Y-%m")] == {"CACHED": 3, "FAILED": 3, "ENRICHED": 1}
    if TEST_DB == "postgres":  # the old month went as a whole partition, the rest row by row
        # (other months made by earlier tests may hold only expired rows here too: they go whole)
        assert partitions.partition_for(OLD_MONTH).name in report.dropped_partitions
        assert report.rows_in_dropped_partitions >= 7
        assert report.rows_in_dropped_partitions + report.rows_deleted == 16
        assert dry.dropped_partitions == report.dropped_partitions
    else:
        assert report.rows_deleted == 16 and report.batches >= 8
    job = await Job.select().where(Job.kind == JOB_KIND).first()
    assert job is not None and job["status"] == "succeeded"
    summary = job["summary"] if isinstance(job["summary"], dict) else json.loads(job["summary"])
    assert summary["prune"]["per_category"] == {"CACHED": 8, "FAILED": 6, "ENRICHED": 2}
    assert summary["prune"]["months"][OLD_MONTH.strftime("%Y-%m")]["ENRICHED"] == 1

    again = await maintain_log()
    assert again.total == 0 and set(await snapshot()) == kept_ids


async def test_a_prune_killed_midway_keeps_kept_rows_and_runs_again(monkeypatch: pytest.MonkeyPatch) -> None:
    kept_ids, expired_ids = await populate()
    before = await snapshot()
    real_run = retention._run
    deletes = 0

    async def killed_after_two_deletes(sql: str, *values: Any) -> list[dict[str, Any]]:
        nonlocal deletes
        if sql.startswith("DELETE"):
            deletes += 1
            if deletes > 2:
                raise RuntimeError("killed")
        return await real_run(sql, *values)

    monkeypatch.setattr(retention, "_run", killed_after_two_deletes)
    with pytest.raises(RuntimeError, match="killed"):
        await maintain_log(batch_rows=2)
    halfway = await snapshot()
    assert kept_ids <= set(halfway) and all(halfway[i] == before[i] for i in kept_ids)
    assert set(halfway) - kept_ids, "the kill came before every expired row was gone"
    monkeypatch.setattr(retention, "_run", real_run)
    await maintain_log(batch_rows=2)
    after = await snapshot()
    assert set(after) == kept_ids and all(after[i] == before[i] for i in kept_ids)


async def test_a_retention_that_would_drop_created_rows_needs_the_override(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kept_ids, _ = await populate()
    monkeypatch.setenv("LOG_RETENTION_CREATED", "1000")
    with pytest.raises(ProtectedRetention, match="would delete 1 CREATED rows") as refused:
        await maintain_log()
    assert refused.value.counts == {"CREATED": 1}
    assert kept_ids <= set(await snapshot())
    failed = await Job.select(Job.status, Job.error).where(Job.kind == JOB_KIND).first()
    assert (
        failed is not None
        and failed["status"] == "failed"
        and "LOG_RETENTION_ALLOW_PROTECTED" in failed["error"]
    )

    assert await asyncio.to_thread(llama, ["prune", "--dry-run"]) == 0
    assert "CREATED 1" in capsys.readouterr().out

    monkeypatch.setenv("LOG_RETENTION_ALLOW_PROTECTED", "1")
    report = await maintain_log()
    assert report.per_category()["CREATED"] == 1
    assert await LlamaLog.count().where(LlamaLog.category == "CREATED") == 1


worker = worker_fixture("maintenance")


async def test_the_scheduled_maintain_log_actor_prunes_and_keeps_its_report(worker: WorkerControl) -> None:
    kept_ids, expired_ids = await populate()
    job_id = await enqueue(ActorName.MAINTAIN_LOG, triggered_by="scheduled")
    await worker.drain()
    job = await wait_until(lambda: job_in(job_id, "succeeded"), what="the maintain_log job")
    assert job["triggered_by"] == "scheduled"
    summary = job["summary"] if isinstance(job["summary"], dict) else json.loads(job["summary"])
    assert summary["prune"]["total"] == len(expired_ids)
    assert summary["prune"]["per_category"] == {"CACHED": 8, "FAILED": 6, "ENRICHED": 2}
    assert set(await snapshot()) == kept_ids
    assert await Job.count().where(Job.kind == JOB_KIND) == 0  # the actor's own Job row holds the report


@pytest.mark.skipif(TEST_DB != "postgres", reason="monthly partitions are Postgres only")
async def test_a_kept_row_arriving_after_the_count_keeps_its_month(monkeypatch: pytest.MonkeyPatch) -> None:
    """The month is counted before the parent's lock; a CREATED row landing in it between that count
    and the DETACH rolls the drop back: the month stays, and only its expired rows go, in batches."""
    kept_ids, expired_ids = await populate()
    real_detach = retention.detach_partition
    arrived: list[int] = []

    async def a_row_arrives_first(
        partition: partitions.Partition, cutoffs: dict[str, dt.datetime], counts: dict[str, int]
    ) -> str | None:
        if partition.start == OLD_MONTH and not arrived:
            rows = await LlamaLog.insert(_row("CREATED", OLD_MONTH + dt.timedelta(days=4), 0)).returning(
                LlamaLog.id
            )
            arrived.append(rows[0]["id"])
        return await real_detach(partition, cutoffs, counts)

    monkeypatch.setattr(retention, "detach_partition", a_row_arrives_first)
    report = await maintain_log(batch_rows=3)
    assert arrived and partitions.partition_for(OLD_MONTH).name not in report.dropped_partitions
    assert partitions.partition_for(OLD_MONTH) in await partitions.monthly_partitions()
    assert set(await snapshot()) == kept_ids | set(arrived)
    assert report.months[OLD_MONTH.strftime("%Y-%m")] == {"CACHED": 3, "FAILED": 3, "ENRICHED": 1}


@pytest.mark.skipif(TEST_DB != "postgres", reason="monthly partitions are Postgres only")
async def test_a_prune_killed_between_detach_and_drop_finishes_next_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The DETACH commits first (the parent's lock held for it alone), the DROP after: killed in
    between, the month is out of llama_log under its pruned name, and the next run drops it."""
    kept_ids, _expired = await populate()
    before = await snapshot()

    async def killed(name: str) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(retention, "drop_detached", killed)
    with pytest.raises(RuntimeError, match="killed"):
        await maintain_log(batch_rows=2)
    assert await retention._leftover_detached()
    halfway = await snapshot()
    assert kept_ids <= set(halfway) and all(halfway[i] == before[i] for i in kept_ids)
    monkeypatch.undo()
    await maintain_log(batch_rows=2)
    assert await retention._leftover_detached() == []
    after = await snapshot()
    assert set(after) == kept_ids and all(after[i] == before[i] for i in kept_ids)
