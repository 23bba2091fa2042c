"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.

croniter does the parsing and the arithmetic (names, ranges, steps, lists, `7` as Sunday, the Vixie
rule that a day matching either restricted day field fires); cron-descriptor says it in words.
Neither names the field that is wrong, so `Cron.parse` checks each field on its own first and the
error says which one (`minute: '61' is outside 0-59`, `cron: '@every-day' is not a cron macro`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cron_descriptor import Options, get_description  # type: ignore[import-untyped]
from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# (name, low, high)
FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
NAMES = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$", re.I)


class CronError(ValueError):
    pass


def _why(part: str, what: str, low: int, high: int) -> str:
    """Why croniter refused one field, in words naming the field."""
    for piece in part.split(","):
        body, _, step = piece.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return f"{what}: step {step!r} must be a positive number"
        for value in body.split("-"):
            if value == "*" or NAMES.match(value):
                continue
            if not value.isdigit():
                return f"{what}: {value!r} is not a number"
            if not low <= int(value) <= high:
                return f"{what}: {piece!r} is outside {low}-{high}"
    return f"{what}: {part!r} is outside {low}-{high}"


def _check_fields(expression: str, text: str) -> None:
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"cron: {expression!r}: a cron expression has 5 fields, not {len(parts)}")
    for i, (part, (what, low, high)) in enumerate(zip(parts, FIELDS, strict=True)):
        alone = " ".join(part if j == i else "*" for j in range(5))
        try:
            croniter(alone)
        except CroniterError:
            raise CronError(_why(part, what, low, high)) from None
        for a, b in re.findall(r"(\d+)-(\d+)", part):
            if int(a) > int(b):  # croniter would wrap around; cron means nothing by it
                raise CronError(f"{what}: {a}-{b} is outside {low}-{high} (a range runs low to high)")


@dataclass(frozen=True)
class Cron:
    expression: str
    text: str  # the five fields (a macro spelt out)

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Read `expression`; a CronError names the field that is wrong."""
        stripped = expression.strip()
        if stripped.startswith("@"):
            if stripped.lower() not in MACROS:
                raise CronError(f"cron: {stripped!r} is not a cron macro; use one of {', '.join(MACROS)}")
            text = MACROS[stripped.lower()]
        else:
            text = " ".join(stripped.split())
            _check_fields(expression, text)
        try:
            croniter(text)
        except CroniterBadCronError as exc:  # a combination the field checks let through
            raise CronError(f"cron: {stripped!r}: {exc}") from None
        cron = cls(expression=stripped, text=text)
        cron.next_after(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))  # raises if it never fires
        return cron

    def _iter(self, start: dt.datetime) -> croniter:
        return croniter(self.text, _utc(start))

    def next_after(self, when: dt.datetime) -> dt.datetime:
        """The first fire time strictly after `when` (UTC, whole minutes)."""
        try:
            return _utc(self._iter(when).get_next(dt.datetime))
        except CroniterBadDateError:
            raise CronError(f"cron: {self.expression!r} never fires") from None

    def next_runs(self, when: dt.datetime, n: int = 5) -> list[dt.datetime]:
        """The next `n` fire times after `when`."""
        runs = self._iter(when)
        return [_utc(runs.get_next(dt.datetime)) for _ in range(n)]

    def matches(self, when: dt.datetime) -> bool:
        return bool(croniter.match(self.text, _utc(when).replace(second=0, microsecond=0)))

    def last_between(self, after: dt.datetime, until: dt.datetime) -> dt.datetime | None:
        """The latest fire time in (after, until], or None."""
        # get_prev is strictly before its start: start just past `until` so a tick on it counts.
        start = _utc(until).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        try:
            tick = _utc(self._iter(start).get_prev(dt.datetime))
        except CroniterBadDateError:
            return None
        return tick if _utc(after) < tick <= _utc(until) else None

    def words(self) -> str:
        """The expression in words, e.g. "Every 6 hours" (UTC)."""
        options = Options()
        options.use_24hour_time_format = True
        return str(get_description(self.text, options))

    def ticks(self, after: dt.datetime, until: dt.datetime) -> Iterator[dt.datetime]:
        """Every fire time in (after, until]."""
        runs = self._iter(after)
        while (tick := _utc(runs.get_next(dt.datetime))) <= _utc(until):
            yield tick


def _utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)
