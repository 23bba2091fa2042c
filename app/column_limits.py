"""What fits a column, read from its Piccolo definition: the one place every input limit comes from.

Postgres refuses text with NUL, text longer than a Varchar and integers outside the column's range
(a 500 if nothing checks first); SQLite stores all three silently. Inputs are checked here, before
they reach either, so the answer is a 4xx naming the field.
"""

from __future__ import annotations

import re

from piccolo.columns import BigInt, BigSerial, Column, Integer, Serial, SmallInt, Text, Varchar

# Subclasses first: BigInt and SmallInt are Integers, BigSerial is a Serial.
_INT_BITS: tuple[tuple[type[Column], int], ...] = (
    (SmallInt, 16),
    (BigInt, 64),
    (Integer, 32),
    (BigSerial, 64),
    (Serial, 32),
)
# One-line text: no C0/C1 control characters at all. Text columns keep tab and line breaks.
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Titles and names are Text, kept whole; Postgres still refuses a btree index entry over 2704 bytes,
# and album titles are indexed (album_title_ix), so Text holds at most this many UTF-8 bytes.
TEXT_MAX_BYTES = 2400
# Halves of a UTF-16 pair cannot be encoded as UTF-8, so no database driver can send them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def max_length(column: Column) -> int | None:
    """The most characters a Varchar holds (None for other columns)."""
    return int(column.length) if isinstance(column, Varchar) and column.length else None


def int_range(column: Column) -> tuple[int, int] | None:
    """The smallest and largest integer the column holds (None for other columns)."""
    for kind, bits in _INT_BITS:
        if isinstance(column, kind):
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not text a person meant to type, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if _SURROGATE.search(value):
        return "contains a broken character (not valid UTF-8)"
    control = (_TEXT_CONTROL if multiline else _LINE_CONTROL).search(value)
    if control:
        return f"contains a control character (U+{ord(control.group()):04X})"
    return None


def column_problem(column: Column, value: object) -> str | None:
    """Why `value` cannot be stored in `column`, in words for the person who typed it; None if it fits."""
    if value is None:
        return None
    if isinstance(value, str):
        problem = text_problem(value, multiline=isinstance(column, Text))
        limit = max_length(column)
        if problem is None and limit is not None and len(value) > limit:
            problem = f"at most {limit} characters (this has {len(value)})"
        if problem is None and isinstance(column, Text) and len(value.encode()) > TEXT_MAX_BYTES:
            problem = f"at most {TEXT_MAX_BYTES} bytes of text (this has {len(value.encode())})"
        return problem
    bounds = int_range(column)
    if bounds is not None and isinstance(value, int) and not isinstance(value, bool):
        low, high = bounds
        if value > high:
            return f"at most {high}"
        if value < low:
            return f"at least {low}"
    return None


def parse_int(column: Column, raw: object) -> int:
    """A whole number that fits `column`; ValueError in words otherwise."""
    try:
        number = int(str(raw).strip())
    except ValueError:
        raise ValueError("a whole number") from None
    problem = column_problem(column, number)
    if problem:
        raise ValueError(problem)
    return number
