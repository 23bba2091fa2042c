"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.

Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month and weekday
names (`jan`, `mon`); weekday 0 and 7 are Sunday. As in Vixie cron, when both day fields are
restricted a day matching either one fires. Macros: @yearly @annually @monthly @weekly @daily
@midnight @hourly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, low, high, names starting at `low`)
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, WEEKDAYS),
)
# Longest gap between two fires of a valid expression (29 February, on a given weekday: 28 years).
SEARCH_DAYS = 366 * 29


class CronError(ValueError):
    pass


def _value(text: str, low: int, names: list[str] | None, what: str) -> int:
    if names and text.lower() in names:
        return names.index(text.lower()) + low
    if not text.isdigit():
        raise CronError(f"{what}: {text!r} is not a number")
    return int(text)


def _field(text: str, low: int, high: int, names: list[str] | None, what: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{what}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            start, end = _value(a, low, names, what), _value(b, low, names, what)
        else:
            start = _value(body, low, names, what)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{what}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        text = MACROS.get(expression.strip().lower(), expression.strip())
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"{expression!r}: a cron expression has 5 fields, not {len(parts)}")
        minutes, hours, days, months, weekdays = (
            _field(part, low, high, names, what)
            for part, (what, low, high, names) in zip(parts, FIELDS, strict=True)
        )
        cron = cls(
            expression=expression.strip(),
            minutes=minutes,
            hours=hours,
            days=days,
            months=months,
            weekdays=frozenset(d % 7 for d in weekdays),
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )
        cron.next_after(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))  # raises if it never fires
        return cron

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_date and by_weekday
        return by_date or by_weekday

    def matches(self, when: dt.datetime) -> bool:
        when = _utc(when)
        return when.minute in self.minutes and when.hour in self.hours and self._day_matches(when.date())

    def next_after(self, when: dt.datetime) -> dt.datetime:
        """The first fire time strictly after `when` (UTC, whole minutes)."""
        start = _utc(when).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for _ in range(SEARCH_DAYS):
            if self._day_matches(day):
                first_day = day == start.date()
                for hour in sorted(self.hours):
                    if first_day and hour < start.hour:
                        continue
                    for minute in sorted(self.minutes):
                        if first_day and hour == start.hour and minute < start.minute:
                            continue
                        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc)
            day += dt.timedelta(days=1)
        raise CronError(f"{self.expression!r} never fires")

    def last_between(self, after: dt.datetime, until: dt.datetime) -> dt.datetime | None:
        """The latest fire time in (after, until], or None."""
        tick = self.next_after(after)
        if tick > _utc(until):
            return None
        while True:
            following = self.next_after(tick)
            if following > _utc(until):
                return tick
            tick = following


def _utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)
