"""Cron expressions: fields, names, steps, the day-of-month/day-of-week rule, next times in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from app.jobs.cron import Cron, CronError

UTC = dt.timezone.utc


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 */6 * * *", at(2026, 11, 23, 8, 58), at(2026, 11, 23, 12, 0)),
        ("0 */6 * * *", at(2026, 11, 23, 12, 0), at(2026, 11, 23, 18, 0)),  # strictly after
        ("0 */6 * * *", at(2026, 11, 23, 23, 59, 30), at(2026, 11, 24, 0, 0)),
        ("30 3 * * *", at(2026, 11, 23, 3, 29, 59), at(2026, 11, 23, 3, 30)),
        ("30 3 * * *", at(2026, 11, 23, 3, 30, 1), at(2026, 11, 24, 3, 30)),
        ("*/15 9-17 * * mon-fri", at(2026, 11, 27, 17, 50), at(2026, 11, 30, 9, 0)),  # Fri → Mon
        ("0 0 1 jan *", at(2026, 6, 1), at(2027, 1, 1)),
        ("0 12 29 2 *", at(2026, 3, 1), at(2028, 2, 29, 12, 0)),
        ("5,35 * * * *", at(2026, 1, 1, 10, 6), at(2026, 1, 1, 10, 35)),
        ("0 0 * * 7", at(2026, 11, 23), at(2026, 11, 29)),  # 7 is Sunday too
        # both day fields restricted: either one matches (the 1st, or any Monday)
        ("0 0 1 * mon", at(2026, 11, 24), at(2026, 11, 30)),
        ("0 0 1 * mon", at(2026, 11, 30, 1), at(2026, 12, 1)),
        ("@daily", at(2026, 11, 23, 5), at(2026, 11, 24)),
        ("@hourly", at(2026, 11, 23, 5, 1), at(2026, 11, 23, 6)),
        ("10-20/5 * * * *", at(2026, 1, 1, 0, 16), at(2026, 1, 1, 0, 20)),
    ],
)
def test_next_after(expression: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert Cron.parse(expression).next_after(after) == expected


def test_naive_and_other_zones_are_read_as_instants() -> None:
    cron = Cron.parse("0 12 * * *")
    paris = dt.timezone(dt.timedelta(hours=1))
    assert cron.next_after(dt.datetime(2026, 1, 1, 12, 30, tzinfo=paris)) == at(2026, 1, 1, 12, 0)
    assert cron.next_after(dt.datetime(2026, 1, 1, 13, 30, tzinfo=paris)) == at(2026, 1, 2, 12, 0)
    assert cron.next_after(dt.datetime(2026, 1, 1, 11, 0)) == at(2026, 1, 1, 12, 0)


def test_last_between_gives_the_latest_tick_only() -> None:
    cron = Cron.parse("*/10 * * * *")
    assert cron.last_between(at(2026, 1, 1, 0, 0), at(2026, 1, 1, 0, 45)) == at(2026, 1, 1, 0, 40)
    assert cron.last_between(at(2026, 1, 1, 0, 40), at(2026, 1, 1, 0, 49, 59)) is None
    assert cron.last_between(at(2026, 1, 1, 0, 41), at(2026, 1, 1, 0, 50)) == at(2026, 1, 1, 0, 50)
    assert cron.matches(at(2026, 1, 1, 0, 50)) and not cron.matches(at(2026, 1, 1, 0, 51))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "5 fields"),
        ("60 * * * *", "outside 0-59"),
        ("* 24 * * *", "outside 0-23"),
        ("* * 0 * *", "outside 1-31"),
        ("*/0 * * * *", "step"),
        ("a * * * *", "not a number"),
        ("5-1 * * * *", "outside"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        Cron.parse(expression)
