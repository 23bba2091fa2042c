"""Legacy exports made from the shared sample, for the tests that need more rows or a process to kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
SAMPLE_ROWS = 4052
LEGACY_TABLE = "legacy_enrichment_log"
# The legacy table as the old app (Prisma) declared it; the sample CSV is its \copy output.
LEGACY_TABLE_DDL = f"""
CREATE TABLE {LEGACY_TABLE} (
  "id" text PRIMARY KEY, "entityType" text NOT NULL, "entityId" text, "albumId" text, "artistId" text,
  "trackId" text, "operation" text NOT NULL, "sources" text[], "status" text, "fieldsEnriched" text[],
  "dataQualityBefore" text, "dataQualityAfter" text, "errorMessage" text, "errorCode" text,
  "retryCount" integer, "durationMs" integer, "apiCallCount" integer, "metadata" jsonb, "jobId" text,
  "parentJobId" text, "isRootJob" boolean, "triggeredBy" text, "userId" text,
  "createdAt" timestamptz NOT NULL
)"""


def copies_of_the_sample(path: Path, copies: int) -> int:
    """The JSON Lines sample `copies` times, fresh row ids per copy (so each copy is new rows); the
    number of rows written."""
    sample = (LEGACY / "enrichment_log.jsonl").read_text()
    with path.open("w") as out:
        for copy in range(copies):
            for line in sample.splitlines():
                row = json.loads(line)
                out.write(json.dumps({**row, "id": f"{row['id']}~{copy}"}) + "\n")
    return copies * SAMPLE_ROWS


def import_in_a_process(path: Path) -> subprocess.Popen[bytes]:
    """`llama import-log PATH` in a process of its own (to be killed)."""
    command = [sys.executable, "-m", "app.cli", "import-log", str(path)]
    env = {**os.environ, "LLAMALOG_CONSOLE": "0"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def kill_then_import_again(proc: subprocess.Popen[bytes], path: Path, rows: int) -> None:
    """kill -9 the import, check it left all or nothing, import again: every row once."""
    from app.llamalog.legacy_import import import_log
    from app.llamalog.tables import LlamaLog

    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert await LlamaLog.count() in (0, rows)  # all or nothing, never a part
    report = await import_log(path)
    assert report.rows == rows
    assert await LlamaLog.count() == rows
    assert await LlamaLog.count().where(LlamaLog.import_key.is_null()) == 0
