"""Geometry of the dashboard's activity chart: one bar per day, stacked by category (drawn as SVG)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from app.llamalog.tables import CATEGORIES

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 30


@dataclass(frozen=True)
class Segment:
    category: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Bar:
    day: dt.date
    label: str
    total: int
    x: float
    width: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    plot_left: float
    plot_right: float
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value)
    totals: dict[str, int]  # per category, for the legend
    total: int


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def build_chart(days: list[dt.date], counts: dict[tuple[str, str], int]) -> Chart:
    """Bars for `days` from {(iso day, category): rows}; categories stack in CATEGORIES order."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    totals_by_day = [sum(counts.get((d.isoformat(), c), 0) for c in CATEGORIES) for d in days]
    top = nice_ceiling(max(totals_by_day, default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = slot * 0.7
    bars: list[Bar] = []
    for i, (day, total) in enumerate(zip(days, totals_by_day, strict=True)):
        x = LEFT + i * slot + (slot - bar_w) / 2
        bar = Bar(day=day, label=day.strftime("%b %d"), total=total, x=round(x, 1), width=round(bar_w, 1))
        base: float = TOP + plot_h
        for category in CATEGORIES:
            n = counts.get((day.isoformat(), category), 0)
            if not n:
                continue
            h = plot_h * n / top
            base -= h
            bar.segments.append(Segment(category, n, bar.x, round(base, 2), bar.width, round(h, 2)))
        bars.append(bar)
    ticks = [(round(TOP + plot_h * (1 - f), 1), round(top * f)) for f in (0, 0.5, 1)]
    if top == 1:
        ticks = [ticks[0], ticks[2]]
    per_category: dict[str, int] = {c: 0 for c in CATEGORIES}
    for (_, category), n in counts.items():
        per_category[category] = per_category.get(category, 0) + n
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_top=TOP,
        plot_bottom=TOP + plot_h,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        bars=bars,
        ticks=ticks,
        totals=per_category,
        total=sum(totals_by_day),
    )
