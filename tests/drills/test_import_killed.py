"""Drill: kill -9 of `llama import-log` in the middle of writing; running it again ends with every
row of the file in the log exactly once, and a third run adds nothing.

The shared legacy sample is copied ten times with per-copy ids (every id, job id and parent link
suffixed, so each copy is the same trees again), so the import is long enough to be killed after
its first batches have committed and before its last.
"""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.db import engine
from app.llamalog.legacy_import import import_log

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "legacy" / "enrichment_log.csv"
SUFFIXED = ("id", "entityId", "albumId", "artistId", "trackId", "jobId", "parentJobId")
COPIES = 10


def replicated(target: Path, copies: int) -> Path:
    with SAMPLE.open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for copy in range(1, copies + 1):
            for row in rows:
                if copy > 1:
                    row = {k: (f"{v}~{copy}" if k in SUFFIXED and v else v) for k, v in row.items()}
                writer.writerow(row)
    return target


async def imported() -> tuple[int, int]:
    """(imported rows, distinct import keys) in the log."""
    rows = await engine().run_ddl(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT import_key) AS k FROM llama_log WHERE import_key IS NOT NULL"
    )
    return int(rows[0]["n"]), int(rows[0]["k"])


def llama_import(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "import-log", str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_an_import_killed_midway_and_run_again_has_every_row_once(tmp_path: Path) -> None:
    legacy = replicated(tmp_path / "legacy.csv", COPIES)
    expected = (await import_log(legacy, dry_run=True)).rows
    assert expected > 30_000 and await imported() == (0, 0)

    first = llama_import(legacy)
    deadline = time.monotonic() + 240
    while (await imported())[0] == 0:  # the scan is done and the first batch has committed
        assert first.poll() is None, f"the import ended before it wrote anything:\n{first.communicate()[0]}"
        assert time.monotonic() < deadline, "no imported row in 240 s"
        await asyncio.sleep(0.02)
    assert first.poll() is None, "the import finished before the kill: make the file larger"
    first.kill()  # SIGKILL: no cleanup, a batch may be cut mid-transaction
    first.wait(timeout=30)
    partial, _ = await imported()
    assert 0 < partial < expected, (partial, expected)

    second = llama_import(legacy)
    output = second.communicate(timeout=360)[0]
    assert second.returncode == 0, output
    assert await imported() == (expected, expected)
    assert f"added: {expected - partial}, already imported: {partial} " in output, output

    third = llama_import(legacy)
    output = third.communicate(timeout=360)[0]
    assert third.returncode == 0 and f"added: 0, already imported: {expected} " in output, output
    assert await imported() == (expected, expected)
