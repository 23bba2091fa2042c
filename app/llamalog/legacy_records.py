"""Legacy EnrichmentLog rows read from a file (CSV as Postgres \\copy writes it, or JSON Lines), streamed."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from app.json_types import JSONValue

_DECODE = msgspec.json.Decoder().decode


def parse_json(text: str) -> Any:
    """json.loads(text), the same value, by msgspec's faster decoder where it can (a large import
    parses a legacy metadata object per row); json.JSONDecodeError when it is not JSON. What msgspec
    refuses (NaN, a number out of a float's range, a lone surrogate) goes to json.loads as before."""
    try:
        return _DECODE(text)
    except msgspec.DecodeError:
        return json.loads(text)


class LegacyRow(NamedTuple):
    """A legacy row, typed (a named tuple: a large import makes a million, and a frozen dataclass
    costs a checked attribute write per field)."""

    line: int
    id: str
    entity_type: str
    entity_id: str | None
    album_id: str | None
    artist_id: str | None
    track_id: str | None
    operation: str
    sources: tuple[str, ...]
    status: str
    fields_enriched: tuple[str, ...]
    data_quality_before: str | None
    data_quality_after: str | None
    error_message: str | None
    error_code: str | None
    retry_count: int
    duration_ms: int | None
    api_call_count: int
    metadata: JSONValue
    job_id: str | None
    parent_job_id: str | None
    is_root_job: bool | None
    triggered_by: str | None
    user_id: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class Unreadable:
    line: int
    reason: str


class RowError(ValueError):
    pass


def _pg_array(text: str) -> list[str]:
    """`{A,"b c",D}` as Postgres writes a text array."""
    if not (text.startswith("{") and text.endswith("}")):
        raise RowError(f"not an array: {text[:40]!r}")
    items: list[str] = []
    body, i, current, quoted = text[1:-1], 0, "", False
    if not body:
        return items
    while i < len(body):
        ch = body[i]
        if quoted and ch == "\\" and i + 1 < len(body):
            current += body[i + 1]
            i += 1
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append(current)
            current = ""
        else:
            current += ch
        i += 1
    items.append(current)
    return items


def _text(value: object) -> str | None:
    if type(value) is str:
        return value or None
    if value is None:
        return None
    return str(value)


def _int(value: object, default: int | None) -> int | None:
    if type(value) is int:  # from a table or JSON
        return value
    if value is None or value == "":
        return default
    try:
        if not isinstance(value, (str, int, float)):
            raise TypeError
        return int(value)
    except (TypeError, ValueError):
        raise RowError(f"not a number: {value!r}") from None


def _bool(value: object) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    if value in ("t", "true"):
        return True
    if value in ("f", "false"):
        return False
    raise RowError(f"not a boolean: {value!r}")


def _time(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime) and value.tzinfo:  # a timestamptz read from a table
        return value
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise RowError(f"not a timestamp: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _list(value: object, from_csv: bool) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if from_csv:
        return tuple(_pg_array(str(value)))
    if not isinstance(value, list):
        raise RowError(f"not a list: {value!r}")
    return tuple(map(str, value))


def to_row(line: int, raw: Mapping[str, JSONValue], from_csv: bool) -> LegacyRow:
    """A typed row, or RowError saying what is wrong with it."""
    for key in ("id", "entityType", "operation", "createdAt"):
        if not _text(raw.get(key)):
            raise RowError(f"no {key}")
    entity_type = str(raw["entityType"]).upper()
    if entity_type not in ("ALBUM", "ARTIST", "TRACK"):  # no column could say what the row is about
        raise RowError(f"entityType {raw['entityType']!r} is not ALBUM, ARTIST or TRACK")
    metadata = raw.get("metadata")
    if from_csv and isinstance(metadata, str) and metadata:
        try:
            metadata = parse_json(metadata)
        except json.JSONDecodeError:
            raise RowError("metadata is not JSON") from None
    return LegacyRow(
        line=line,
        id=str(raw["id"]),
        entity_type=entity_type,
        entity_id=_text(raw.get("entityId")),
        album_id=_text(raw.get("albumId")),
        artist_id=_text(raw.get("artistId")),
        track_id=_text(raw.get("trackId")),
        operation=str(raw["operation"]),
        sources=_list(raw.get("sources"), from_csv),
        status=_text(raw.get("status")) or "SUCCESS",
        fields_enriched=_list(raw.get("fieldsEnriched"), from_csv),
        data_quality_before=_text(raw.get("dataQualityBefore")),
        data_quality_after=_text(raw.get("dataQualityAfter")),
        error_message=_text(raw.get("errorMessage")),
        error_code=_text(raw.get("errorCode")),
        retry_count=_int(raw.get("retryCount"), 0) or 0,
        duration_ms=_int(raw.get("durationMs"), None),
        api_call_count=_int(raw.get("apiCallCount"), 0) or 0,
        metadata=metadata if metadata != "" else None,
        job_id=_text(raw.get("jobId")),
        parent_job_id=_text(raw.get("parentJobId")),
        is_root_job=_bool(raw.get("isRootJob")),
        triggered_by=_text(raw.get("triggeredBy")),
        user_id=_text(raw.get("userId")),
        created_at=_time(raw["createdAt"]),
    )


def _raw_rows(path: Path) -> Iterator[tuple[int, Mapping[str, JSONValue] | str]]:
    """(line number, raw dict or why it cannot be read), one at a time."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None:  # reads the header, so the first row's line is right
                return
            line = reader.line_num + 1
            for raw in reader:
                if None in raw or any(v is None for v in raw.values()):
                    yield line, "wrong number of fields"
                else:
                    yield line, raw
                line = reader.line_num + 1
        return
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                raw = parse_json(text)
            except json.JSONDecodeError:
                yield number, "not JSON"
                continue
            yield number, raw if isinstance(raw, dict) else "not a JSON object"


def read_rows(path: Path, shard: tuple[int, int] | None = None) -> Iterator[LegacyRow | Unreadable]:
    """Every row of the file, typed, or the line it is on and why it cannot be read; with `shard`
    (k, n) only every n-th row from the k-th (the others are parsed, not typed)."""
    if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        raise ValueError(f"{path.name}: use a .csv (Postgres \\copy … CSV HEADER) or a .jsonl file")
    from_csv = path.suffix.lower() == ".csv"
    k, n = shard or (0, 1)
    for index, (line, raw) in enumerate(_raw_rows(path)):
        if index % n != k:
            continue
        if isinstance(raw, str):
            yield Unreadable(line, raw)
            continue
        try:
            yield to_row(line, raw, from_csv)
        except RowError as exc:
            yield Unreadable(line, str(exc))


@dataclass(frozen=True)
class FileSource:
    """A legacy export file (.csv or .jsonl); the format from the extension."""

    path: Path

    @property
    def name(self) -> str:
        return str(self.path)

    async def rows(self, shard: tuple[int, int] | None = None) -> AsyncIterator[LegacyRow | Unreadable]:
        for row in read_rows(self.path, shard):
            yield row

    @contextlib.asynccontextmanager
    async def pinned(self) -> AsyncIterator[FileSource]:
        """A file as its shards read it: each reads it whole and types every n-th row."""
        yield self

    async def rows_hint(self) -> int:
        """About how many rows the file holds (a legacy row takes ~400 bytes in either format)."""
        return self.path.stat().st_size // 400
