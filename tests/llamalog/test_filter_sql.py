"""The log filters as SQL (queries.filter_clauses) pick exactly the rows their Python twin
(live.matches, which the live log uses) picks, on both databases, wildcards in the input included."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.db import transaction
from app.llamalog.context import JobContext, job_scope
from app.llamalog.filters import parse_filter
from app.llamalog.live import matches
from app.llamalog.logger import record
from app.llamalog.queries import fetch_page, get_row, rows_since

JOB = JobContext.new_root(triggered_by="manual")

# (entity type, operation, sources, status, label, error message)
ROWS: list[tuple[str, str, list[str], str, str | None, str | None]] = [
    ("ALBUM", "album:created:manual", ["USER"], "SUCCESS", "Nevermind", None),
    ("ALBUM", "album:enriched:musicbrainz", ["MUSICBRAINZ"], "SUCCESS", "100% Pure", None),
    ("ALBUM", "album:enriched:musicbrainz", ["MUSICBRAINZ", "DISCOGS"], "PARTIAL_SUCCESS", "100 Pure", None),
    ("TRACK", "track:created:spotify", ["SPOTIFY"], "SUCCESS", "snake_case", None),
    ("TRACK", "track:created:spotify", ["SPOTIFY"], "SUCCESS", "snakeXcase", None),
    ("ALBUM", "album:failed:enrichment", ["MUSICBRAINZ"], "FAILED", "Back\\slash", "HTTP 503 upstream"),
    ("ARTIST", "artist:linked:spotify", ["SPOTIFY"], "SUCCESS", "O'Brien; DROP TABLE llama_log", None),
    ("ALBUM", "album:cached:cover_art", ["COVERARTARCHIVE"], "SUCCESS", "Cover", None),
    ("ALBUM", "album_x:cached:coverXart", [], "SKIPPED", "Ünïcode ÅLBUM", None),
]

QUERIES: list[dict[str, Any]] = [
    {},
    {"category": ["ENRICHED"]},
    {"category": ["ENRICHED", "FAILED"]},
    {"entity_type": "TRACK"},
    {"status": "FAILED"},
    {"operation": "album:enriched:musicbrainz"},
    {"operation": "album:*"},
    {"operation": "album_*"},  # `_` is a literal, not "any character"
    {"operation": "album:cached:cover_*"},
    {"source": "MUSICBRAINZ"},
    {"source": "SPOTIFY", "entity_type": "TRACK"},
    {"q": "100%"},  # `%` is a literal
    {"q": "snake_case"},  # `_` is a literal
    {"q": "pure"},  # case does not matter
    {"q": "back\\slash"},
    {"q": "O'Brien; DROP"},
    {"q": "503"},  # the error message is searched too
    {"q": "nothing like this"},
    {"job": "<job>"},
    {"since": "<since>"},
    {"until": "<since>"},
    {"category": ["CACHED"], "source": "COVERARTARCHIVE", "q": "cover"},
]


async def _write_rows() -> dt.datetime:
    marks: list[dt.datetime] = []
    for n, (entity_type, operation, sources, status, label, error) in enumerate(ROWS):
        ctx = JOB if n % 2 == 0 else JobContext.new_root(triggered_by="scheduled")
        with job_scope(ctx):
            async with transaction():
                row = await record(
                    entity_type=entity_type,
                    entity_id=uuid.uuid4(),
                    operation=operation,
                    status=status,
                    sources=sources,
                    entity_label=label,
                    error_message=error,
                )
        marks.append(row.created_at)
    return marks[len(marks) // 2]


def _params(query: dict[str, Any], since: dt.datetime) -> dict[str, Any]:
    values = {"<job>": str(JOB.job_id), "<since>": since.isoformat()}
    return {k: values.get(v, v) if isinstance(v, str) and v.startswith("<") else v for k, v in query.items()}


async def test_sql_filters_pick_the_rows_their_python_twin_picks() -> None:
    since = await _write_rows()
    everything = await rows_since(parse_filter({"limit": "500"}), 0)
    assert len(everything) == len(ROWS)
    picked_any = 0
    for query in QUERIES:
        params = _params(query, since)
        flt = parse_filter({**params, "limit": "500"})
        expected = [row["id"] for row in everything if matches(flt, row)]
        got = [row["id"] for row in await rows_since(flt, 0)]
        assert got == expected, f"{params}: SQL picked {got}, the Python twin {expected}"
        newest_first = [row["id"] for row in (await fetch_page(flt, newest_first=True)).rows]
        assert newest_first == sorted(expected, key=lambda i: -i), params
        picked_any += 0 < len(expected) < len(ROWS)
    assert picked_any >= 15, "most filters must pick some rows but not all, or the check proves little"


@pytest.mark.parametrize(("query", "labels"), [
    ({"q": "100%"}, ["100% Pure"]),
    ({"q": "snake_case"}, ["snake_case"]),
    ({"operation": "album_*"}, ["Ünïcode ÅLBUM"]),
    ({"source": "DISCOGS"}, ["100 Pure"]),
])  # fmt: skip
async def test_wildcards_in_filters_are_literals(query: dict[str, Any], labels: list[str]) -> None:
    await _write_rows()
    rows = await rows_since(parse_filter({**query, "limit": "500"}), 0)
    assert [row["entity_label"] for row in rows] == labels


async def test_rows_come_back_with_python_values() -> None:
    await _write_rows()
    (row,) = await rows_since(parse_filter({"status": "PARTIAL_SUCCESS"}), 0)
    assert row["sources"] == ["MUSICBRAINZ", "DISCOGS"]
    assert isinstance(row["created_at"], dt.datetime) and row["created_at"].tzinfo is not None
    assert isinstance(row["job_id"], uuid.UUID) and row["is_root_job"] is True
    assert row["changes"] is None and row["retry_count"] == 0
    assert await get_row(row["id"]) == row
    assert await get_row(row["id"] + 10_000) is None
