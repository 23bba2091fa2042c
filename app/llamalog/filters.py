"""The log filters shared by /logs, /api/logs and /api/chain: parsed once, errors in plain words."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from app.llamalog.tables import CATEGORIES, ENTITY_TYPES, SOURCES, STATUSES

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_TEXT = 200


class FilterError(ValueError):
    """A query parameter that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Cursor:
    created_at: dt.datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
            stamp, _, row_id = text.partition("|")
            created_at = dt.datetime.fromisoformat(stamp)
            if created_at.tzinfo is None:
                raise ValueError
            return cls(created_at=created_at, id=int(row_id))
        except (ValueError, UnicodeError, binascii.Error):
            raise FilterError("cursor: not a cursor from this site (follow the next-page link)") from None


@dataclass(frozen=True)
class LogFilter:
    categories: tuple[str, ...] = ()
    entity_type: str | None = None
    status: str | None = None
    operation: str | None = None
    source: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    job: uuid.UUID | None = None
    q: str | None = None
    cursor: Cursor | None = None
    limit: int = DEFAULT_LIMIT
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_filtered(self) -> bool:
        return any(
            (
                self.categories,
                self.entity_type,
                self.status,
                self.operation,
                self.source,
                self.since,
                self.until,
                self.job,
                self.q,
            )
        )

    def with_cursor(self, cursor: Cursor | None) -> LogFilter:
        return replace(self, cursor=cursor)

    def query_items(self, *, with_cursor: bool = True) -> list[tuple[str, str]]:
        """The filter as URL query items, so it can be shared and paged."""
        items: list[tuple[str, str]] = [("category", c) for c in self.categories]
        for name in ("entity_type", "status", "operation", "source", "q"):
            value = getattr(self, name)
            if value:
                items.append((name, value))
        if self.since:
            items.append(("since", self.since.isoformat()))
        if self.until:
            items.append(("until", self.until.isoformat()))
        if self.job:
            items.append(("job", str(self.job)))
        if self.limit != DEFAULT_LIMIT:
            items.append(("limit", str(self.limit)))
        if with_cursor and self.cursor:
            items.append(("cursor", self.cursor.encode()))
        return items

    def urlencode(self, *, with_cursor: bool = True) -> str:
        return urlencode(self.query_items(with_cursor=with_cursor))


def no_nul(name: str, value: str) -> str:
    """Postgres text cannot hold NUL: refuse it here (400) rather than fail in the driver (500)."""
    if "\x00" in value:
        raise FilterError(f"{name}: contains a NUL character")
    return value


def one_param(params: Mapping[str, object], name: str) -> str | None:
    """The last value of query parameter `name`, stripped; None when absent or empty; NUL refused."""
    value = params.get(name)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    value = no_nul(name, str(value).strip())
    return value or None


def _many(params: Mapping[str, object], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in values:
        out.extend(part.strip() for part in no_nul(name, str(item)).split(",") if part.strip())
    return out


def choice(
    name: str, value: str | None, allowed: Collection[str], *, fold: Callable[[str], str] = str.upper
) -> str | None:
    """`value` folded to the case of `allowed` (upper by default) and checked against it; None stays None."""
    if value is None:
        return None
    folded = fold(value)
    if folded not in allowed:
        raise FilterError(f"{name}: unknown value {value!r}; use one of {', '.join(allowed)}")
    return folded


def parse_when(name: str, value: str | None) -> dt.datetime | None:
    """An ISO date or datetime, read as UTC when it names no zone."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(
            f"{name}: {value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+00:00]"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


def parse_filter(params: Mapping[str, object], *, default_limit: int = DEFAULT_LIMIT) -> LogFilter:
    """Read the shared query parameters; raise FilterError naming the bad one."""
    categories = tuple(
        dict.fromkeys(choice("category", c, CATEGORIES) or "" for c in _many(params, "category"))
    )
    since = parse_when("since", one_param(params, "since"))
    until = parse_when("until", one_param(params, "until"))
    if since and until and since >= until:
        raise FilterError("since: must be before until")
    job_raw = one_param(params, "job")
    try:
        job = uuid.UUID(job_raw) if job_raw else None
    except ValueError:
        raise FilterError(f"job: {job_raw!r} is not a job id") from None
    limit_raw = one_param(params, "limit")
    try:
        limit = int(limit_raw) if limit_raw else default_limit
    except ValueError:
        raise FilterError(f"limit: {limit_raw!r} is not a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit: must be between 1 and {MAX_LIMIT}")
    cursor_raw = one_param(params, "cursor")
    q = one_param(params, "q")
    operation = one_param(params, "operation")
    for name, text in (("q", q), ("operation", operation)):
        if text and len(text) > MAX_TEXT:
            raise FilterError(f"{name}: at most {MAX_TEXT} characters")
    return LogFilter(
        categories=categories,
        entity_type=choice("entity_type", one_param(params, "entity_type"), ENTITY_TYPES),
        status=choice("status", one_param(params, "status"), STATUSES),
        operation=operation,
        source=choice("source", one_param(params, "source"), SOURCES),
        since=since,
        until=until,
        job=job,
        q=q,
        cursor=Cursor.decode(cursor_raw) if cursor_raw else None,
        limit=limit,
    )
