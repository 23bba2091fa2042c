"""Field rules for albums and tracks, shared by forms, the API and the services."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Mapping
from typing import cast

from piccolo.table import Table

from app.catalog.rows import CleanAlbum, CleanTrack, FieldValue
from app.catalog.tables import Album, Track
from app.column_limits import column_problem, parse_int, text_problem

RELEASE_TYPES = ("album", "single", "ep", "compilation", "broadcast", "other")
EDITABLE_ALBUM_FIELDS = (
    "title",
    "release_date",
    "release_type",
    "release_status",
    "release_country",
    "track_count",
    "cover_art_url",
    "barcode",
    "label",
    "catalog_number",
    "musicbrainz_id",
    "spotify_id",
    "discogs_id",
)
# The longest album track we accept typed in: real ones reach a few hours, none ten.
MAX_TRACK_HOURS = 10
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


class ValidationError(ValueError):
    """Field-level errors: {field: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse_partial_date(value: str) -> str:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, and a real calendar date."""
    if not _PARTIAL_DATE.match(value):
        raise ValueError("use YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in value.split("-")]
    year = parts[0]
    if not 1000 <= year <= dt.date.today().year + 2:
        raise ValueError(f"year {year} is out of range")
    try:
        dt.date(year, parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise ValueError("not a calendar date") from None
    return value


def fit_column(table: type[Table], name: str, value: FieldValue) -> FieldValue:
    """`value` if it fits the table's column `name` (length, range, no NUL); ValueError otherwise."""
    problem = column_problem(table._meta.get_column_by_name(name), value)
    if problem:
        raise ValueError(problem)
    return value


def clean_text(value: object) -> object:
    """Stripped text without NUL or control characters (checked before any other rule reads it)."""
    if not isinstance(value, str):
        return value
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


def clean_album_fields(raw: Mapping[str, object]) -> CleanAlbum:
    """Normalise submitted album fields; raise ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, FieldValue] = {}
    for name, value in raw.items():
        if name not in EDITABLE_ALBUM_FIELDS:
            errors[name] = "is not an editable field"
            continue
        try:
            value = clean_text(value)
            if value in ("", None):
                if name == "title":
                    raise ValueError("a title is required")
                clean[name] = None
                continue
            clean[name] = fit_column(Album, name, _clean_album_value(name, value))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    return cast(CleanAlbum, clean)


def _clean_album_value(name: str, value: object) -> FieldValue:
    if name == "title":
        return value if isinstance(value, str) else str(value)
    if name == "release_date":
        return parse_partial_date(str(value))
    if name == "release_type":
        lowered = str(value).lower()
        if lowered not in RELEASE_TYPES:
            raise ValueError(f"one of {', '.join(RELEASE_TYPES)}")
        return lowered
    if name == "track_count":
        count = parse_int(Album.track_count, value)
        if not 0 <= count <= 999:
            raise ValueError("between 0 and 999")
        return count
    if name == "musicbrainz_id":
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise ValueError("a MusicBrainz ID looks like 8-4-4-4-12 hex digits") from None
    if name == "spotify_id":
        if not _SPOTIFY_ID.match(str(value)):
            raise ValueError("a Spotify ID has 22 letters and digits")
        return str(value)
    if name == "barcode":
        digits = str(value).replace(" ", "")
        if not digits.isdigit() or not 8 <= len(digits) <= 14:
            raise ValueError("8 to 14 digits")
        return digits
    if name == "release_country":
        code = str(value).upper()
        if not re.match(r"^[A-Z]{2}$|^XW$|^XE$", code):
            raise ValueError("a two-letter country code")
        return code
    if name == "cover_art_url":
        if not str(value).startswith(("http://", "https://")):
            raise ValueError("an http(s) URL")
        return str(value)
    return str(value)  # release status, label, catalog number, Discogs ID: their column's length


def clean_track_fields(raw: Mapping[str, object], *, typed: bool = False) -> CleanTrack:
    """Normalise a track's title, numbers, duration (m:ss or ms) and ISRC.

    `typed`: an admin typed it, so a title must hold a letter or a digit (an upstream title of
    only symbols, like "?", is a real one and comes in as it is)."""
    errors: dict[str, str] = {}
    clean: dict[str, FieldValue] = {}
    for name, value in raw.items():
        try:
            clean[name] = fit_column(Track, name, _clean_track_value(name, clean_text(value)))
            if typed and name == "title":
                _check_typed_title(str(clean[name]))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    return cast(CleanTrack, clean)


def typed_title(title: str) -> None:
    """ValidationError unless a title an admin typed holds a letter or a digit."""
    try:
        _check_typed_title(title)
    except ValueError as exc:
        raise ValidationError({"title": str(exc)}) from None


def _check_typed_title(title: str) -> None:
    if not any(unicodedata.category(ch)[0] in "LN" for ch in title):
        raise ValueError(f"needs a letter or a digit (“{title}” is only punctuation or symbols)")


def _clean_track_value(name: str, value: object) -> FieldValue:
    if name == "title":
        if not value:
            raise ValueError("a title is required")
        return value if isinstance(value, str) else str(value)
    if name in ("track_number", "disc_number"):
        number = value if isinstance(value, int) else parse_int(Track.track_number, value)
        if not 1 <= number <= 999:
            raise ValueError("between 1 and 999")
        return number
    if name == "duration_ms":
        duration = parse_duration(value)
        if column_problem(Track.duration_ms, duration):  # ~24.8 days of milliseconds
            raise ValueError("longer than any track can be")
        return duration
    if name == "isrc":
        if not value:
            return None
        code = str(value).replace("-", "").upper()
        if not re.match(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$", code):
            raise ValueError("an ISRC looks like CCXXXYYNNNNN")
        return code
    if name == "explicit":
        return value in (True, "1", "on", "true", "yes")
    raise ValueError("is not an editable field")


def parse_duration(value: object) -> int | None:
    """`3:45`, `1:02:03` or milliseconds → milliseconds, at most MAX_TRACK_HOURS."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return _track_length(value)
    text = str(value).strip()
    if text.isdigit():
        return _track_length(int(text))
    if re.match(r"^\d{1,3}(:\d{2}){1,2}$", text):
        first, *rest = (int(part) for part in text.split(":"))
        if any(part >= 60 for part in rest):
            raise ValueError(f"minutes and seconds run up to 59 ({text})")
        seconds = first
        for part in rest:
            seconds = seconds * 60 + part
        return _track_length(seconds * 1000)
    raise ValueError("a duration like 3:45")


def _track_length(ms: int) -> int:
    if ms > MAX_TRACK_HOURS * 3600 * 1000:
        raise ValueError(f"an album track is at most {MAX_TRACK_HOURS} hours long")
    return ms
