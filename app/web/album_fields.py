"""What the album page shows for each editable field: label, value, lock, and the editor's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from app.catalog.rows import AlbumRow, FieldValue, field_value

# (field, label, input kind, hint)
ALBUM_FIELDS = (
    ("title", "Title", "text", ""),
    ("release_date", "Release date", "text", "YYYY, YYYY-MM or YYYY-MM-DD"),
    ("release_type", "Release type", "select", ""),
    ("release_status", "Release status", "text", "e.g. official"),
    ("release_country", "Country", "text", "two letters, e.g. GB"),
    ("track_count", "Track count", "number", "tracks the release should have"),
    ("label", "Label", "text", ""),
    ("catalog_number", "Catalog number", "text", ""),
    ("barcode", "Barcode", "text", "8 to 14 digits"),
    ("musicbrainz_id", "MusicBrainz ID", "text", "8-4-4-4-12 hex digits"),
    ("spotify_id", "Spotify ID", "text", "22 letters and digits"),
    ("discogs_id", "Discogs ID", "text", ""),
    ("cover_art_url", "Cover art URL", "url", "https://…"),
)
FIELD_LABELS = {name: label for name, label, _kind, _hint in ALBUM_FIELDS}


class FieldConflict(TypedDict):
    """A field save that lost to another edit: what was typed, what the album holds now."""

    field: str
    yours: object
    current: FieldValue
    version: int
    stale_version: int


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    kind: str
    hint: str
    value: FieldValue
    locked: bool
    editing: bool = False
    typed: object = None
    error: str | None = None
    conflict: FieldConflict | None = None
    focus: bool = False

    @property
    def input_value(self) -> str:
        value = self.typed if self.typed is not None else self.value
        return "" if value is None else str(value)


def field_views(
    album: AlbumRow,
    *,
    edit: str | None = None,
    typed: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
    conflict: FieldConflict | None = None,
    focus: str | None = None,
) -> list[FieldView]:
    """One FieldView per editable field; `edit` (or a field with an error/conflict) opens its editor."""
    typed, errors = typed or {}, errors or {}
    locked = set(album["locked_fields"] or [])
    views = []
    for name, label, kind, hint in ALBUM_FIELDS:
        has_conflict = bool(conflict and conflict["field"] == name)
        views.append(
            FieldView(
                name=name,
                label=label,
                kind=kind,
                hint=hint,
                value=field_value(album, name),
                locked=name in locked,
                editing=name == edit or name in errors or has_conflict,
                typed=typed.get(name),
                error=errors.get(name),
                conflict=conflict if has_conflict else None,
                focus=name == focus,
            )
        )
    return views
