"""The importer works roots out in SQL (a staging table and one recursive walk): on chains made to
trip it, every row's stored root and the report's figures equal the rules' own walk (find_root)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.llamalog.legacy_import import SYSTEM, import_log
from app.llamalog.legacy_rules import LOOP, TOO_DEEP, find_root, stable_uuid
from app.llamalog.tables import LlamaLog
from tests.llamalog.legacy_files import (
    LEGACY,
    copies_of_the_sample,
    import_in_a_process,
    kill_then_import_again,
)


def _row(n: int, job: str | None, parent: str | None) -> dict[str, Any]:
    template = json.loads((LEGACY / "enrichment_log.jsonl").read_text().splitlines()[0])
    return {**template, "id": f"row-{n}", "jobId": job, "parentJobId": parent}


def _links() -> list[tuple[str | None, str | None]]:
    links: list[tuple[str | None, str | None]] = []
    links += [(f"d10-{i}", f"d10-{i + 1}") for i in range(10)] + [("d10-10", None)]  # 10 steps: a root
    links += [(f"d11-{i}", f"d11-{i + 1}") for i in range(11)] + [("d11-11", None)]  # 11: too deep
    links += [(f"lp-{i}", f"lp-{(i + 1) % 11}") for i in range(11)]  # a loop found at step 11
    links += [("4711", "14711"), ("14711", "714711"), ("714711", None)]  # ids inside each other's
    links += [("two", "first"), ("two", "second"), ("first", None), ("second", None)]  # first link wins
    links += [(None, "d10-3"), (None, "lp-0"), (None, "nowhere"), (None, None)]  # parent id only, none
    links += [("self", "self")]  # its own parent: a loop
    return links


async def test_the_sql_walk_gives_the_rules_roots(tmp_path: Path) -> None:
    links = _links()
    path = tmp_path / "chains.jsonl"
    path.write_text("".join(json.dumps(_row(n, job, parent)) + "\n" for n, (job, parent) in enumerate(links)))
    parents: dict[str, str] = {}
    for job, parent in links:
        if job and parent:
            parents.setdefault(job, parent)
    expected: dict[str, str | None] = {}
    causes: Counter[str] = Counter()
    for n, (job, parent) in enumerate(links):
        start = job or parent
        root = find_root(start, parents) if start else None
        if root in (LOOP, TOO_DEEP):
            causes[root] += 1
            root = None
        expected[f"{SYSTEM}:row-{n}"] = str(stable_uuid("job", root)) if root else None
    assert causes[LOOP] and causes[TOO_DEEP]  # the chains do trip both

    dry = await import_log(path, dry_run=True)
    report = await import_log(path)
    assert dry.counts() == report.counts()
    assert report.rows_in_a_parent_loop == causes[LOOP]
    assert report.rows_deeper_than_10_levels == causes[TOO_DEEP]
    assert report.rows_without_any_job_id == 1
    own = {job for job, _ in links if job}
    assert report.distinct_job_ids == len(own)
    assert report.distinct_roots == len({r for r in expected.values() if r})
    rows = await LlamaLog.select(
        LlamaLog.import_key, LlamaLog.root_job_id, LlamaLog.is_root_job, LlamaLog.job_id
    )
    stored = {r["import_key"]: str(r["root_job_id"]) if r["root_job_id"] else None for r in rows}
    assert stored == expected
    roots = [r for r in rows if r["is_root_job"]]
    assert len(roots) == report.root_rows
    assert all(r["root_job_id"] == r["job_id"] for r in roots)
    again = await import_log(path)
    assert (again.added, again.already_there) == (0, len(links))


@pytest.mark.slow
async def test_kill_9_during_an_import_then_again_leaves_every_row_once(tmp_path: Path) -> None:
    """One transaction: a killed import leaves nothing half-written, and the next one writes it all."""
    path = tmp_path / "big.jsonl"
    rows = copies_of_the_sample(path, 5)  # fresh ids per copy, so the import runs long enough to be killed
    proc = import_in_a_process(path)
    await asyncio.sleep(3.0)
    await kill_then_import_again(proc, path, rows)


def test_stable_uuids_are_rfc_4122_v5_of_the_legacy_id_or_the_id_itself() -> None:
    from app.llamalog.legacy_rules import LEGACY_NAMESPACE, stable_uuid

    given = "0c6f3a8e-5e2a-4f0e-9a7e-2b8d2c1e4f10"
    for legacy_id in (given, "{" + given + "}", "urn:uuid:" + given, given.replace("-", "")):
        assert stable_uuid("job", legacy_id) == uuid.UUID(given)
    for legacy_id in ("job-17", "é~3", "x" * 31, "y" * 40, given[:-1] + "g"):
        made = stable_uuid("entity", legacy_id)
        expected = uuid.uuid5(LEGACY_NAMESPACE, f"entity:{legacy_id}")
        assert (made, str(made), made.version, hash(made)) == (expected, str(expected), 5, hash(expected))
