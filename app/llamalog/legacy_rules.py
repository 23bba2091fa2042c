"""The rules a legacy EnrichmentLog row follows into llama_log: its category, its root job, its ids."""

from __future__ import annotations

import functools
import hashlib
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


# uuid.UUID() reads 32 hex digits (with hyphens, braces or a urn:uuid: prefix around them): a shorter
# id is not a UUID, and is not tried as one (a raised and caught ValueError per id, a million times).
_UUID_DIGITS = 32
_NAMESPACE_BYTES = LEGACY_NAMESPACE.bytes
_VARIANT_MASK, _VARIANT = ~(0xC000 << 48), 0x8000 << 48
_VERSION_MASK, _VERSION_5 = ~(0xF000 << 64), 5 << 76
_SAFETY = uuid.SafeUUID.unknown  # what uuid5 gives; an enum member, looked up once


@functools.lru_cache(maxsize=1 << 14)  # bounded: a parent's id comes back on its children's rows
def _stable_uuid(kind: str, legacy_id: str) -> uuid.UUID:
    if len(legacy_id) >= _UUID_DIGITS:
        try:
            return uuid.UUID(legacy_id)
        except ValueError:
            pass
    return _uuid5(f"{kind}:{legacy_id}")


def _uuid5(name: str) -> uuid.UUID:
    """uuid.uuid5(LEGACY_NAMESPACE, name), the same UUID, made without UUID.__init__'s checks (the
    import makes one per legacy id: most of a large import's id work went into them)."""
    digest = hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()  # noqa: S324 - RFC 4122 v5
    number = (int.from_bytes(digest[:16], "big") & _VARIANT_MASK | _VARIANT) & _VERSION_MASK | _VERSION_5
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", number)  # as UUID.__init__ sets its two slots
    object.__setattr__(made, "is_safe", _SAFETY)
    return made
