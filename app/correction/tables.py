"""Correction tables: candidates found ahead, each album's match, the matching settings, bulk batches."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class MatchStrength(StrEnum):
    """How sure the stored candidates make us: bulk apply takes `strong` only."""

    strong = "strong"  # the top candidate scores at least the strong-match threshold, clear of #2
    ask = "ask"  # a person decides: #1 and #2 too close, or #1 below the threshold
    none = "none"  # searched, nothing found
    failed = "failed"  # the search failed upstream: no candidate yet, tried again on the next round


MATCH_STRENGTHS = tuple(s.value for s in MatchStrength)


class FixMatch(Table, tablename="fix_match"):
    """One row per album in the fix queue: its match strength under the current weights."""

    album_id = UUID(primary_key=True)
    strength = Varchar(length=10, index=True, choices=MatchStrength)
    top_score = Integer(null=True, default=None)
    second_score = Integer(null=True, default=None)
    top_source = Varchar(length=20, null=True, default=None, index=True)
    candidates = Integer(default=0)
    # What the row was computed from: a newer album version or settings version makes it stale.
    album_version = Integer(default=0)
    settings_version = Integer(default=0)
    error_code = Varchar(length=50, null=True, default=None)
    error_message = Text(null=True, default=None)
    job_id = UUID(null=True, default=None)
    searched_at = Timestamptz(default=TimestamptzNow())
    scored_at = Timestamptz(default=TimestamptzNow())


class FixCandidate(Table, tablename="fix_candidate"):
    """A candidate found ahead for an album, in full (its tracks), with its score breakdown."""

    id = Serial(primary_key=True)
    album_id = UUID(index=True)
    position = Integer(default=1)  # 1 = the top candidate under the current weights
    candidate_key = Varchar(length=100)
    source = Varchar(length=20)
    title = Text(default="")
    score = Integer(default=0)
    breakdown = JSON(default="{}")
    candidate = JSON(default="{}")


class MatchingSettings(Table, tablename="matching_settings"):
    """The one row of tunable matching: component weights and the strong/ask thresholds."""

    id = Integer(primary_key=True)
    weights = JSON(default="{}")
    strong_threshold = Integer(default=78)
    ask_gap = Integer(default=3)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Varchar(length=100, null=True, default=None)


class MatchingChange(Table, tablename="matching_change"):
    """Who changed the matching settings, and from what to what."""

    id = Serial(primary_key=True)
    changed_at = Timestamptz(default=TimestamptzNow())
    user_id = Integer(null=True, default=None)
    username = Varchar(length=100, null=True, default=None)
    before = JSON(default="{}")
    after = JSON(default="{}")
    rescored = Integer(default=0)


class BulkItemStatus(StrEnum):
    pending = "pending"
    applied = "applied"
    conflict = "conflict"  # the album changed since the preview: skipped
    unchanged = "unchanged"  # nothing left to take
    failed = "failed"


class BulkItem(Table, tablename="bulk_item"):
    """One album of a bulk apply: what the preview showed, and what became of it (once)."""

    id = Serial(primary_key=True)
    batch_id = UUID(index=True)
    album_id = UUID()
    album_version = Integer()
    candidate_key = Varchar(length=100)
    take_fields = JSON(default="[]")
    take_tracks = JSON(default="[]")
    status = Varchar(length=10, default=BulkItemStatus.pending, choices=BulkItemStatus)
    message = Text(null=True, default=None)
    job_id = UUID(null=True, default=None)
    log_id = Integer(null=True, default=None)
