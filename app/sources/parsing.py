"""Small readers for upstream JSON: partial dates, optional text, shape checks at the edge."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from app.sources.errors import MalformedResponse

T = TypeVar("T")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def partial_date(value: Any, precision: str | None = None) -> str | None:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` from an upstream date; unknown parts ("0000", "-00") dropped."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if not match or match.group(1) == "0000":
        return None
    parts = [p for p in match.groups() if p and p != "00"]
    # A month of 00 makes its day meaningless too.
    if len(parts) == 2 and match.group(2) == "00":
        parts = parts[:1]
    keep = {"year": 1, "month": 2, "day": 3}.get(precision or "day", 3)
    return "-".join(parts[:keep])


def text(value: Any) -> str | None:
    """A non-empty string or None (MusicBrainz says "" for unknown)."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def integer(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def items(value: Any) -> list[Any]:
    """A JSON list, treating null as empty; anything else is the wrong shape."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def parse(source: str, url: str, parser: Callable[[Any], T], data: Any) -> T:
    """Run a parser; any shape surprise becomes MalformedResponse."""
    try:
        return parser(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise MalformedResponse(
            f"unexpected response shape from {url}: {type(exc).__name__}: {exc}", source=source, url=url
        ) from None
