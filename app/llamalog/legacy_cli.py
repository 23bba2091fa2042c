"""What `llama import-log` prints: the import report, in lines a person reads."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TextIO

import asyncpg

from app.llamalog.legacy_import import ImportReport, LegacySource, StrictRefusal, import_log, load_entity_map
from app.llamalog.legacy_records import FileSource
from app.llamalog.legacy_table import TableSource, is_dsn, quoted_table

MAX_LISTED = 20  # unreadable rows listed one by one; the rest are counted


def report_lines(report: ImportReport, dry_run: bool) -> list[str]:
    lines = [f"rows read: {report.rows}"]
    lines += [f"  {category:<10} {n}" for category, n in sorted(report.categories.items())]
    lines.append(
        f"root rows: {report.root_rows} ({report.distinct_roots} distinct roots, "
        f"{report.distinct_job_ids} distinct job ids)"
    )
    lines.append(f"orphans (root unknown, not guessed): {report.rows_whose_root_is_unknown}")
    lines.append(f"  no job id at all       {report.rows_without_any_job_id}")
    lines.append(f"  in a parent loop       {report.rows_in_a_parent_loop}")
    lines.append(f"  deeper than 10 levels  {report.rows_deeper_than_10_levels}")
    lines.append(f"unreadable rows: {len(report.unreadable)}")
    lines += [f"  line {line}: {reason}" for line, reason in report.unreadable[:MAX_LISTED]]
    if len(report.unreadable) > MAX_LISTED:
        lines.append(f"  … and {len(report.unreadable) - MAX_LISTED} more")
    if dry_run:
        lines.append("dry run: nothing written")
        return lines
    for name, n in sorted(report.kept_in_metadata.items()):
        lines.append(f"  {name}: {n} values the schema cannot hold as is, kept whole in metadata.legacy")
    lines.append(f"added: {report.added}, already imported: {report.already_there} (job {report.job_id})")
    return lines


def _source(args: argparse.Namespace, err: TextIO) -> LegacySource | None:
    table = getattr(args, "table", None)
    if is_dsn(args.path):
        if not table:
            print("llama import-log: a Postgres DSN needs --table NAME (the legacy log table)", file=err)
            return None
        try:
            quoted_table(table)
        except ValueError as exc:
            print(f"llama import-log: {exc}", file=err)
            return None
        return TableSource(args.path, table)
    if table:
        print("llama import-log: --table goes with a postgres:// DSN, not a file", file=err)
        return None
    path = Path(args.path)
    if not path.is_file():
        print(f"llama import-log: no file {path}", file=err)
        return None
    return FileSource(path)


def run_import_log(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = _source(args, err)
    if source is None:
        return 2
    try:
        entity_map = load_entity_map(Path(args.entity_map)) if args.entity_map else None
        report = asyncio.run(
            import_log(source, dry_run=args.dry_run, strict=args.strict, entity_map=entity_map)
        )
    except StrictRefusal as refused:
        for line in report_lines(refused.report, dry_run=True)[:-1]:
            print(line, file=err)
        print(f"llama import-log: {refused}", file=err)
        return 1
    except (ValueError, OSError, asyncpg.PostgresError) as exc:  # a bad file, no database, no table
        print(f"llama import-log: {exc}", file=err)
        return 2
    for line in report_lines(report, args.dry_run):
        print(line, file=out)
    return 0
