"""Fixtures of the llama log tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.llamalog.legacy_files import LEGACY, LEGACY_TABLE, LEGACY_TABLE_DDL


@pytest.fixture
async def legacy_table_loaded() -> AsyncIterator[str]:
    """The legacy sample in a table of the test database (Postgres); its DSN."""
    dsn = os.environ["DATABASE_URL"]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")
        await connection.execute(LEGACY_TABLE_DDL)
        await connection.copy_to_table(
            LEGACY_TABLE, source=LEGACY / "enrichment_log.csv", format="csv", header=True
        )
        yield dsn
    finally:
        await connection.execute(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")
        await connection.close()
