"""The summary a job's root row carries: fields changed, tracks added/changed/removed, quality.

A correction or an enrichment writes its track changes as child rows and its field changes on the
album's row; the root row's `metadata.summary` tells the whole story at a glance, so the log table,
the timeline and /api show it without walking the children.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TRACK_ACTIONS = ("added", "changed", "removed")
# Titles kept per action: enough to read, small enough for a 300-track box set.
MAX_TITLES = 25


def summarize(
    *,
    fields: Mapping[str, Mapping[str, object]] | None = None,
    tracks: Mapping[str, Iterable[str]] | None = None,
    quality_before: str | None = None,
    quality_after: str | None = None,
) -> dict[str, object]:
    """`fields`: name → {before, after}; `tracks`: action → the titles of the tracks it touched."""
    changed = {
        name: {"before": c.get("before"), "after": c.get("after")} for name, c in (fields or {}).items()
    }
    track_parts: dict[str, dict[str, object]] = {}
    for action in TRACK_ACTIONS:
        titles = [str(t) for t in (tracks or {}).get(action, ())]
        track_parts[action] = {"count": len(titles), "titles": titles[:MAX_TITLES]}
    summary: dict[str, object] = {
        "fields": changed,
        "tracks": track_parts,
        "quality": {"before": quality_before, "after": quality_after},
    }
    summary["text"] = summary_text(summary)
    return summary


def summary_text(summary: Mapping[str, Any]) -> str:
    """One line: `2 fields changed (title, release_date); 3 tracks added; quality LOW → MEDIUM`."""
    parts: list[str] = []
    fields = list(summary.get("fields") or {})
    if fields:
        parts.append(f"{_count(len(fields), 'field')} changed ({', '.join(sorted(fields))})")
    for action in TRACK_ACTIONS:
        count = ((summary.get("tracks") or {}).get(action) or {}).get("count") or 0
        if count:
            parts.append(f"{_count(count, 'track')} {action}")
    quality = summary.get("quality") or {}
    if quality.get("before") != quality.get("after"):
        parts.append(f"quality {quality.get('before') or '—'} → {quality.get('after') or '—'}")
    return "; ".join(parts) or "nothing changed"


def is_empty(summary: Mapping[str, Any]) -> bool:
    """No field and no track changed."""
    tracks = summary.get("tracks") or {}
    return not summary.get("fields") and not any((tracks.get(a) or {}).get("count") for a in TRACK_ACTIONS)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
