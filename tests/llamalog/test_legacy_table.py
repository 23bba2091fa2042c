"""`llama import-log postgres://… --table NAME`: the sample loaded into a scratch table imports exactly
as the file does (expected.json), through a server-side cursor; a second import adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.llamalog import legacy_table
from app.llamalog.legacy_import import import_log
from app.llamalog.legacy_table import TableSource, without_password
from app.llamalog.tables import LlamaLog
from tests.conftest import TEST_DB
from tests.llamalog.legacy_files import LEGACY_TABLE as TABLE

pytestmark = pytest.mark.skipif(TEST_DB != "postgres", reason="reads a Postgres table")

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"


async def test_a_table_imports_as_the_file_does(
    legacy_table_loaded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(legacy_table, "BATCH", 500)  # several cursor fetches
    expected = json.loads((LEGACY / "expected.json").read_text())
    source = TableSource(legacy_table_loaded, TABLE)
    dry = await import_log(source, dry_run=True)
    assert dry.counts() == expected and not dry.unreadable
    assert await LlamaLog.count() == 0
    report = await import_log(source, username="tester")
    assert report.counts() == expected and report.added == expected["rows"]
    again = await import_log(source)
    assert again.added == 0 and again.already_there == expected["rows"]
    # The same rows the file gives: its second import adds nothing either.
    from_file = await import_log(LEGACY / "enrichment_log.csv")
    assert from_file.added == 0


def test_the_command_takes_a_dsn_and_a_table(
    legacy_table_loaded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-log", legacy_table_loaded, "--table", TABLE, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "rows read: 4052" in out and "dry run: nothing written" in out
    assert main(["import-log", legacy_table_loaded]) == 2
    assert "--table" in capsys.readouterr().err
    assert main(["import-log", legacy_table_loaded, "--table", "x; DROP TABLE job"]) == 2
    assert main(["import-log", legacy_table_loaded, "--table", "no_such_table"]) == 2
    assert "no_such_table" in capsys.readouterr().err


def test_a_password_never_reaches_the_record() -> None:
    assert without_password("postgres://u:secret@db:5432/x") == "postgres://u:***@db:5432/x"
