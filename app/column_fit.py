"""Strings fitted to their database columns: each limit is read from the Piccolo column itself."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import uuid
from typing import Any

from piccolo.columns import Array, Column, Text
from piccolo.table import Table

from app.column_limits import TEXT_MAX_BYTES, max_length

MARK = "…"
# Postgres stores neither NUL nor a lone surrogate (a JSON "\ud800" decodes to one).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> str:
    """`value` without the characters no database column can hold."""
    return _UNSTORABLE.sub("", value)


def fits(column: Column, value: str) -> bool:
    if (length := max_length(column)) is not None:
        return len(value) <= length
    if isinstance(column, Text):
        return len(value.encode("utf-8", "surrogatepass")) <= TEXT_MAX_BYTES
    return True


def fit(column: Column, value: str | None) -> str | None:
    """`value` made storable and cut to the column, with a marker where it was cut."""
    if value is None:
        return None
    value = storable(value)
    if fits(column, value):
        return value
    if (length := max_length(column)) is not None:
        return value[: length - len(MARK)].rstrip() + MARK
    cut = value.encode("utf-8")[: TEXT_MAX_BYTES - len(MARK.encode())]
    return cut.decode("utf-8", "ignore").rstrip() + MARK


def fit_key(column: Column, value: str) -> str:
    """A lookup key cut to its column: a digest of the whole keeps two long keys apart."""
    if _as_is(value, _sure_length(column)):
        return value  # the common case, without a byte count
    value = storable(value)
    if fits(column, value):
        return value
    digest = "#" + hashlib.sha256(value.encode()).hexdigest()[:16]
    length = max_length(column)
    keep = length - len(digest) if length is not None else TEXT_MAX_BYTES // 4
    return value[:keep] + digest


@functools.cache
def _columns(table: type[Table]) -> dict[str, tuple[Column, int]]:
    """`table`'s columns by name (Piccolo's own lookup walks the column list every call), each with
    the length a value may have and certainly fit (see _quick_fit)."""
    return {column._meta.name: (column, _sure_length(column)) for column in table._meta.columns}


def _sure_length(column: Column) -> int:
    if (length := max_length(column)) is not None:
        return length
    if isinstance(column, Text):
        return TEXT_MAX_BYTES // 4  # UTF-8 takes at most 4 bytes a character
    if isinstance(column, Array):
        return _sure_length(column.base_column)
    return 1 << 62


def _as_is(value: str, sure: int) -> bool:
    """Whether `value` is short and storable enough to go in unchanged (see _sure_length)."""
    return len(value) <= sure and _UNSTORABLE.search(value) is None


def _quick_fit(column: Column, sure: int, value: str) -> str:
    """fit(): the common case (short and storable, so unchanged) without its byte count."""
    if _as_is(value, sure):
        return value
    return fit(column, value)  # type: ignore[return-value]  # a str in, a str out


def _all_sure(items: list[Any] | tuple[Any, ...], sure: int) -> bool:
    """Whether every item is a string short and storable enough to be left as it is (in C: a bulk
    import fits two lists a row)."""
    try:
        joined = "".join(items)
    except TypeError:  # an item that is not a string
        return False
    if _UNSTORABLE.search(joined) is not None:
        return False
    # All of them no longer than `sure` together: then each is (most lists, one pass fewer).
    return len(joined) <= sure or max(map(len, items)) <= sure


# Values fit_values leaves as they are whatever their column (it fits strings and lists of them).
_NOT_FITTED = frozenset({int, bool, float, dict, uuid.UUID, dt.datetime})


def fit_values(table: type[Table], values: dict[str, Any]) -> dict[str, Any]:
    """Every string (and string list) in `values` fitted to `table`'s column of that name."""
    return fit_values_changed(table, values)[0]


def fit_values_changed(table: type[Table], values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """fit_values(), and the names of the values it changed (most calls change none: a bulk import
    counts what it had to cut without comparing every value again)."""
    fitted = dict(values)
    changed: list[str] = []
    columns = _columns(table)
    for name, value in values.items():
        if value is None or type(value) in _NOT_FITTED:
            continue
        if name in columns:
            column, sure = columns[name]
        else:
            column = table._meta.get_column_by_name(name)
            sure = _sure_length(column)
        if isinstance(value, str):
            fitted[name] = new = _quick_fit(column, sure, value)
            if new is not value and new != value:
                changed.append(name)
        elif isinstance(value, (list, tuple)) and isinstance(column, Array):
            if _all_sure(value, sure):
                fitted[name] = list(value)
                continue
            base = column.base_column
            items = [_quick_fit(base, sure, v) if isinstance(v, str) else v for v in value]
            fitted[name] = items
            if any(new is not old and new != old for new, old in zip(items, value, strict=True)):
                changed.append(name)
    return fitted, changed
