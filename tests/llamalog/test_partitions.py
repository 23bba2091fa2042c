"""Monthly partitions of llama_log (Postgres): the conversion keeps every row, strays land in the
default partition, partitions are kept ahead once, and the log's queries still use their indexes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards

from app.db import engine, transaction
from app.llamalog import partitions
from app.llamalog.filters import Cursor, LogFilter
from app.llamalog.queries import list_logs
from app.llamalog.tables import LlamaLog
from tests.conftest import TEST_DB
from tests.factories import manual_album
from tests.html_query import html

CONVERSION = "2026-12-07T12:00:00:000000"
postgres_only = pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite keeps one llama_log table")


async def fingerprint() -> tuple[int, str]:
    """Row count and a SHA-256 over every column of every row, in id order."""
    rows = await engine().run_ddl("SELECT * FROM llama_log ORDER BY id")
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(sorted(row.items())).encode())
    return len(rows), digest.hexdigest()


def _raw_row(at: dt.datetime, n: int, key: str) -> str:
    sources = "ARRAY['MUSICBRAINZ']::varchar[]" if TEST_DB == "postgres" else "'[\"MUSICBRAINZ\"]'"
    stamp = at.strftime("%Y-%m-%d %H:%M:%S+00:00")
    return (
        f"('{stamp}', 'ALBUM', '{uuid.uuid4()}', 'ENRICHED', 'album:enriched:musicbrainz', {sources}, "
        f'\'SUCCESS\', \'{{"n": {n}, "text": "é ☃ \\"q\\""}}\', \'{key}:{n}\')'
    )


async def insert_spread(count: int, *, start: dt.datetime, days: int, key: str = "legacy") -> None:
    values = ", ".join(
        _raw_row(start + dt.timedelta(days=days * i / count, seconds=i), i, key) for i in range(count)
    )
    await engine().run_ddl(
        "INSERT INTO llama_log (created_at, entity_type, entity_id, category, operation, sources, status, "
        f"metadata, import_key) VALUES {values}"
    )


async def _migrate(direction: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        if direction == "back":
            result = await run_backwards(app_name="llamalog", migration_id=CONVERSION, auto_agree=True)
        else:
            result = await run_forwards(app_name="llamalog", migration_id="all")
    assert result.success, result.message


async def test_conversion_of_a_populated_log_keeps_every_row() -> None:
    await manual_album(title="Logged before the conversion", artist="Someone")
    await _migrate("back")
    assert not await partitions.is_partitioned()
    # Rows over three years, and two strays: one in 1990, one in 2090.
    await insert_spread(1500, start=dt.datetime(2024, 1, 15, tzinfo=dt.UTC), days=3 * 365)
    for stray in (dt.datetime(1990, 5, 1, tzinfo=dt.UTC), dt.datetime(2090, 5, 1, tzinfo=dt.UTC)):
        await insert_spread(1, start=stray, days=1, key=f"stray:{stray.year}")
    before = await fingerprint()
    assert before[0] > 1500
    await _migrate("forward")
    assert await fingerprint() == before
    if TEST_DB != "postgres":
        assert await partitions.default_partition_rows() == 0
        return
    assert await partitions.is_partitioned()
    months = await partitions.monthly_partitions()
    assert len(months) >= 36
    assert await partitions.default_partition_rows() == 2
    strays = await partitions.default_partition_strays()
    assert strays.oldest is not None and strays.oldest.year == 1990
    assert strays.newest is not None and strays.newest.year == 2090
    # Every partition carries every index of the parent (primary key, 9 indexes, import_key).
    rows = await engine().run_ddl(
        "SELECT c.relname AS name, COUNT(x.indexrelid) AS n FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid LEFT JOIN pg_index x ON x.indrelid = c.oid "
        "WHERE i.inhparent = 'llama_log'::regclass GROUP BY c.relname"
    )
    assert {row["n"] for row in rows} == {11}, rows
    # The planner has statistics for every month from the start (reltuples -1: never analyzed).
    unanalyzed = await engine().run_ddl(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'llama_log'::regclass AND c.reltuples < 0"
    )
    assert unanalyzed == []
    # New rows keep numbering after the copied ones, and land in their month.
    created = await manual_album(title="Logged after the conversion", artist="Someone else")
    newest = await LlamaLog.select(LlamaLog.id).where(LlamaLog.album_id == created.id).first()
    assert newest is not None and newest["id"] > before[0]


async def test_legacy_import_keys_stay_unique_after_the_conversion() -> None:
    at = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    await insert_spread(3, start=at, days=1)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await insert_spread(1, start=at, days=1)  # legacy:0 at the same instant again
    assert await LlamaLog.count() == 3


@postgres_only
async def test_a_stray_row_lands_in_the_default_partition_and_moves_when_its_month_is_made() -> None:
    far = dt.datetime(2091, 2, 3, tzinfo=dt.UTC)
    await insert_spread(2, start=far, days=1)
    assert await partitions.default_partition_rows() == 2
    async with transaction():
        await partitions.lock()
        assert await partitions.create_partition(partitions.partition_for(far))
    assert await partitions.default_partition_rows() == 0
    assert await LlamaLog.count() == 2
    rows = await engine().run_ddl("SELECT COUNT(*) AS n FROM llama_log_p209102")
    assert rows[0]["n"] == 2
    await engine().run_ddl("DROP TABLE llama_log_p209102")


@postgres_only
async def test_partitions_are_kept_ahead_once_by_concurrent_schedulers() -> None:
    later = dt.datetime(2093, 6, 10, tzinfo=dt.UTC)
    try:
        first, second = await asyncio.gather(
            partitions.ensure_partitions(3, now=later), partitions.ensure_partitions(3, now=later)
        )
        expected = {f"llama_log_p2093{m:02d}" for m in range(5, 10)}
        assert set(first) | set(second) == expected
        assert not set(first) & set(second)
        assert await partitions.ensure_partitions(3, now=later) == []
    finally:
        for name in ("llama_log_p209305", "llama_log_p209306", "llama_log_p209307", "llama_log_p209308"):
            await engine().run_ddl(f"DROP TABLE IF EXISTS {name}")
        await engine().run_ddl("DROP TABLE IF EXISTS llama_log_p209309")


async def _plan(sql: str) -> str:
    async with transaction():  # one connection: the SET holds for the EXPLAIN
        await engine().run_ddl("SET LOCAL enable_seqscan = off")  # tiny tables: CAN an index serve?
        rows = await engine().run_ddl("EXPLAIN " + sql)
    return "\n".join(row["QUERY PLAN"] for row in rows)


@postgres_only
async def test_lookups_by_id_and_keyset_pages_use_indexes_and_prune() -> None:
    # 2025's months made here, not left over from the conversion test run before this one
    await partitions.ensure_partitions(months_ahead=12, now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    await insert_spread(600, start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), days=365)
    await engine().run_ddl("ANALYZE llama_log")
    by_id = await _plan("SELECT * FROM llama_log WHERE id = 42")
    assert "Seq Scan" not in by_id, by_id
    page = await list_logs(LogFilter(limit=50))
    assert len(page.rows) == 50 and page.next_cursor is not None
    deep = Cursor(dt.datetime(2025, 3, 1, tzinfo=dt.UTC), 1)
    deeper = await list_logs(LogFilter(limit=50, cursor=deep))
    assert all(row["created_at"] < deep.created_at for row in deeper.rows)
    plan = await _plan(
        "SELECT id FROM llama_log WHERE (created_at, id) < ('2025-03-01+00', 1) "
        "AND created_at <= '2025-03-01+00' ORDER BY created_at DESC, id DESC LIMIT 51"
    )
    assert "llama_log_p202506" not in plan and "llama_log_p202502" in plan, plan


@postgres_only
async def test_the_dashboard_reports_strays_and_estimates_the_partitioned_log(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.catalog import dashboard

    assert html(client.get("/")).count("#log-strays") == 0
    await insert_spread(3, start=dt.datetime(1995, 1, 1, tzinfo=dt.UTC), days=1)
    strays = html(client.get("/")).one('p.flash#log-strays[role="status"]')
    assert strays.text.startswith("3 log rows dated outside every monthly partition (1995-01-01 to 1995-01-")
    assert strays.text_of("code") == "llama_log_default"
    await insert_spread(40, start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), days=200, key="more")
    await engine().run_ddl("ANALYZE llama_log")
    monkeypatch.setattr(dashboard, "EXACT_BELOW", 10)
    assert await dashboard.estimated_count("llama_log") == dashboard.TableCount(43, True)


@postgres_only
async def test_newest_first_pages_read_the_recent_months_first_in_one_statement(
    query_counter: dict[str, int],
) -> None:
    """Page 1 and a cursor page look in the last two months first and reach older months (or a stray
    dated in the future) in the same statement when those leave the page short: the pages walk every
    row once, in the plain (created_at, id) order."""
    await insert_spread(300, start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), days=365)
    now = dt.datetime.now(dt.UTC)
    await insert_spread(7, start=now - dt.timedelta(days=3), days=2, key="recent")
    await insert_spread(1, start=dt.datetime(2090, 5, 1, tzinfo=dt.UTC), days=1, key="future")
    expected = [
        r["id"] for r in await engine().run_ddl("SELECT id FROM llama_log ORDER BY created_at DESC, id DESC")
    ]
    seen: list[int] = []
    cursor: Cursor | None = None
    while True:
        query_counter["n"] = 0
        page = await list_logs(LogFilter(limit=40, cursor=cursor))
        assert query_counter["n"] == 1
        seen.extend(r["id"] for r in page.rows)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    plan = await _plan(
        "SELECT id FROM ((SELECT id, created_at FROM llama_log WHERE created_at >= '2026-11-01+00' "
        "ORDER BY created_at DESC, id DESC LIMIT 51) UNION ALL (SELECT id, created_at FROM llama_log "
        "WHERE created_at < '2026-11-01+00' ORDER BY created_at DESC, id DESC LIMIT 51)) AS page LIMIT 51"
    )
    assert "llama_log_p202510" not in plan.split("Append")[1], plan  # the recent branch: 2 months + default


async def test_llama_audit_reports_rows_in_the_default_partition() -> None:
    from app.llamalog.audit import audit

    names = [c.name for c in (await audit()).checks]
    if TEST_DB != "postgres":  # one table on SQLite: no default partition to report
        assert "default_partition" not in names
        return
    report = await audit()
    strays = next(c for c in report.checks if c.name == "default_partition")
    assert strays.count == 0 and strays.problem
    await insert_spread(1, start=dt.datetime(2090, 5, 1, tzinfo=dt.UTC), days=1, key="stray:audit")
    report = await audit()
    strays = next(c for c in report.checks if c.name == "default_partition")
    assert strays.count == 1 and len(strays.samples) == 1 and report.problems >= 1


async def test_imported_history_gets_month_partitions_and_far_strays_stay_reported(tmp_path: Path) -> None:
    """An imported legacy log (2025) lands in months of its own, not the default partition; a row in
    1990 or 2090 stays in the default one, reported."""
    from app.llamalog.legacy_import import import_log

    legacy = Path(__file__).resolve().parents[1] / "fixtures" / "legacy" / "enrichment_log.csv"
    report = await import_log(legacy)
    assert report.added > 4000
    if TEST_DB != "postgres":
        return
    assert await partitions.default_partition_rows() == 0
    await insert_spread(1, start=dt.datetime(1990, 5, 1, tzinfo=dt.UTC), days=1, key="stray:1990")
    await insert_spread(1, start=dt.datetime(2090, 5, 1, tzinfo=dt.UTC), days=1, key="stray:2090")
    await partitions.ensure_partitions()
    assert await partitions.default_partition_rows() == 2


@postgres_only
async def test_a_cursor_page_is_one_statement_text_per_month_and_prunes_to_two_months() -> None:
    """Deep pages in the same month share one SQL text (a prepared plan is reused, not planned afresh
    for each cursor value), and the recent branch reads only the cursor's month and the one before."""
    from app.llamalog.queries import page_query

    await partitions.ensure_partitions(months_ahead=12, now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    await insert_spread(300, start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), days=365)
    await engine().run_ddl("ANALYZE llama_log")
    early, late = (Cursor(dt.datetime(2025, 6, day, tzinfo=dt.UTC), 10) for day in (3, 27))
    texts = [
        (await page_query(LogFilter(cursor=c), newest_first=True, limit=51)).compile_string(
            engine_type="postgres"
        )
        for c in (early, late)
    ]
    assert texts[0][0] == texts[1][0] and texts[0][1] != texts[1][1]
    # The only values bound are the row comparison's, once per branch: none that prunes partitions
    # (a plan that depends on the value is planned afresh on every deep page).
    assert texts[1][1] == [late.created_at, late.id] * 2
    sql, args = texts[1]
    for n in range(len(args), 0, -1):  # $2 before $1: written in as literals for the EXPLAIN
        value = args[n - 1]
        sql = sql.replace(f"${n}", f"'{value.isoformat()}'" if isinstance(value, dt.datetime) else str(value))
    plan = await _plan(sql)
    recent = plan.split("Append")[2].split("Limit")[0]
    assert "llama_log_p202506" in recent and "llama_log_p202505" in recent, plan
    assert "llama_log_p202507" not in recent and "llama_log_p202504" not in recent, plan


@postgres_only
async def test_an_import_fills_new_months_in_bulk_and_a_month_with_strays_through_the_log() -> None:
    """The import writes the months the log has no partition for into new tables it then attaches
    (every index there); a month whose rows already wait in the default partition goes the usual
    way (through the log, then moved out by ensure_partitions). Same rows and report either way."""
    from app.llamalog.legacy_import import import_log

    legacy = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
    expected = json.loads((legacy / "expected.json").read_text())
    times = [
        dt.datetime.fromisoformat(json.loads(line)["createdAt"])
        for line in (legacy / "enrichment_log.jsonl").read_text().splitlines()
        if line.strip()
    ]
    month, last = partitions.month_start(min(times)), partitions.month_start(max(times))
    while month <= last:  # an earlier test's import made them: this one's finds none
        await engine().run_ddl(f"DROP TABLE IF EXISTS {partitions.partition_for(month).name}")
        month = partitions.add_months(month, 1)
    waiting = partitions.partition_for(min(times))
    await insert_spread(1, start=waiting.start + dt.timedelta(days=2), days=1, key="stray:waiting")
    assert await partitions.default_partition_rows() == 1
    report = await import_log(legacy / "enrichment_log.csv")
    assert report.counts() == expected and report.added == expected["rows"]
    assert await partitions.default_partition_rows() == 0  # moved out after the import
    parent = await engine().run_ddl(
        "SELECT COUNT(*) AS n FROM pg_partitioned_table p JOIN pg_index i ON i.indrelid = p.partrelid "
        "WHERE p.partrelid = 'llama_log'::regclass"
    )
    months = {p.name for p in await partitions.monthly_partitions()}
    assert waiting.name in months
    imported = await engine().run_ddl(
        "SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') AS month FROM llama_log "
        "WHERE import_key IS NOT NULL"
    )
    for row in imported:
        name = partitions.partition_for(row["month"].replace(tzinfo=dt.UTC)).name
        assert name in months
        indexes = await engine().run_ddl(f"SELECT COUNT(*) AS n FROM pg_indexes WHERE tablename = '{name}'")
        assert indexes[0]["n"] == parent[0]["n"], name
    assert (await import_log(legacy / "enrichment_log.jsonl")).added == 0


@postgres_only
async def test_a_row_twice_in_one_file_is_written_once_into_a_new_month(tmp_path: Path) -> None:
    """The new months' tables have no unique index while they fill: the import keeps the first of
    a key's rows at one time itself, as ON CONFLICT DO NOTHING does through the log."""
    import csv

    from app.llamalog.legacy_import import import_log

    legacy = Path(__file__).resolve().parents[1] / "fixtures" / "legacy" / "enrichment_log.csv"
    with legacy.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    for name in {partitions.partition_for(dt.datetime.fromisoformat(r[-1])).name for r in rows}:
        await engine().run_ddl(f"DROP TABLE IF EXISTS {name}")  # every month new to the log
    doubled = tmp_path / "doubled.csv"
    with doubled.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows, *rows[:5]])
    report = await import_log(doubled)
    assert (report.rows, report.added, report.already_there) == (len(rows) + 5, len(rows), 5)
    assert await partitions.default_partition_rows() == 0
    keys = await engine().run_ddl(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT import_key) AS keys FROM llama_log WHERE import_key IS NOT NULL"
    )
    assert keys[0]["n"] == keys[0]["keys"] == len(rows)
