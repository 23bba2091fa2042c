"""Small readers for upstream JSON: partial dates, optional text, shape checks at the edge."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from app.sources.errors import MalformedResponse

T = TypeVar("T")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def partial_date(value: object, precision: str | None = None) -> str | None:
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


# NUL, C0/C1 controls and lone surrogates: never meant to be read, and Postgres refuses NUL.
# Bidi overrides stay: the templates isolate every upstream string instead.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BREAKS = re.compile("[\t\n\r\u2028\u2029]+")


def clean(value: str, *, strip: bool = True) -> str:
    """Upstream text as a person reads it: control characters dropped, line breaks as spaces."""
    value = _CONTROL.sub("", _BREAKS.sub(" ", value))
    return value.strip() if strip else value


def text(value: object) -> str | None:
    """A non-empty cleaned string or None (MusicBrainz says "" for unknown)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return clean(str(value)) or None


def name(value: object) -> str:
    """A title or name the record needs: cleaned, possibly empty (the catalog edge refuses that)."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return clean(str(value))


def ident(value: object) -> str | None:
    """An upstream id exactly as sent (never cleaned: a hostile id is refused whole, not repaired)."""
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise TypeError(f"expected an id, got {type(value).__name__}")
    return str(value)


def texts(value: object) -> tuple[str, ...]:
    """A list of strings (genres, types), each cleaned; empty ones left out."""
    return tuple(t for t in (text(v) for v in items(value)) if t)


def integer(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def items(value: object) -> list[Any]:
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
