"""The rules a legacy EnrichmentLog row follows into llama_log: its category, its root job, its ids."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping

# Fixed for good: the same legacy id always becomes the same UUID, on every machine and every run.
LEGACY_NAMESPACE = uuid.UUID("6f1c2b0e-3d4a-5b7c-8e9f-0a1b2c3d4e5f")
MAX_PARENT_STEPS = 10

# The old activity logger's operation names (rule 2 of fixtures/legacy/README.md).
_ACTIVITY_NAMES = {
    "MANUAL_CREATE": "CREATED",
    "MANUAL_UPDATE": "CORRECTED",
    "MUSICBRAINZ_FETCH": "ENRICHED",
    "DISCOGS_FETCH": "ENRICHED",
    "SPOTIFY_FETCH": "ENRICHED",
    "COVER_CACHE": "CACHED",
}
# Verb fragments of `<entity>:<verb>:<path>`, checked in this order (rule 4).
_VERB_FRAGMENTS = (
    ("cache", "CACHED"),
    ("correct", "CORRECTED"),
    ("revert", "CORRECTED"),
    ("enrich", "ENRICHED"),
    ("link", "LINKED"),
    ("fail", "FAILED"),
    ("creat", "CREATED"),
)


def legacy_category(operation: str, status: str) -> str:
    """The category of a legacy row: the first rule that matches."""
    if status == "FAILED":
        return "FAILED"
    if operation in _ACTIVITY_NAMES:
        return _ACTIVITY_NAMES[operation]
    if operation.startswith("cache:"):
        return "CACHED"
    if operation == "admin_correction":
        return "CORRECTED"
    if operation.startswith("enrichment:"):
        return "ENRICHED"
    parts = operation.split(":")
    if len(parts) == 3:
        verb = parts[1].lower()
        for fragment, category in _VERB_FRAGMENTS:
            if fragment in verb:
                return category
    return "CREATED"


LOOP = "loop"
TOO_DEEP = "deeper_than_10"


def find_root(start: str, parents: Mapping[str, str]) -> str:
    """The root job of `start` by its parent links, or LOOP / TOO_DEEP when there is none to trust."""
    seen = {start}
    current = start
    steps = 0
    while (parent := parents.get(current)) is not None:
        if parent in seen:
            return LOOP
        steps += 1
        if steps > MAX_PARENT_STEPS:
            return TOO_DEEP
        seen.add(parent)
        current = parent
    return current


def stable_uuid(kind: str, legacy_id: str, mapped: Mapping[str, str] | None = None) -> uuid.UUID:
    """A UUID for a legacy id: the mapped one, the id itself if it is a UUID, else uuid5 of kind + id."""
    if mapped and legacy_id in mapped:
        return uuid.UUID(mapped[legacy_id])
    return _stable_uuid(kind, legacy_id)


@functools.lru_cache(maxsize=1 << 14)  # bounded: a parent's id comes back on its children's rows
def _stable_uuid(kind: str, legacy_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(legacy_id)
    except ValueError:
        return uuid.uuid5(LEGACY_NAMESPACE, f"{kind}:{legacy_id}")
