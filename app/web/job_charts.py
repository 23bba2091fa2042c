"""Geometry of the /jobs charts (drawn as inline SVG): per job kind, runs per day stacked by
outcome with duration p50/p95 lines; per source, requests per day with latency p50/p95 lines.
The numbers come from app/jobs/charts.py; the table behind each chart lists them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from app.jobs.charts import OUTCOMES, ChartData, KindDay, SourceStats
from app.web.activity_chart import nice_ceiling

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 48, 10, 24


@dataclass(frozen=True)
class Segment:
    name: str
    count: int
    y: float
    height: float


@dataclass
class Bar:
    day: dt.date
    x: float
    width: float
    total: int
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    name: str  # p50 or p95
    points: str  # SVG polyline points


@dataclass(frozen=True)
class Panel:
    title: str
    bars: list[Bar]
    lines: list[Line]
    count_top: int
    ms_top: int
    first: str
    last: str
    rows: list[tuple[dt.date, dict[str, int | None]]]  # the table: day → column → value
    columns: tuple[str, ...]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT
    plot_bottom: float = HEIGHT - BOTTOM

    @property
    def total(self) -> int:
        return sum(b.total for b in self.bars)


def _panel(
    title: str,
    days: list[dt.date],
    counts: list[dict[str, int]],
    p50: list[int | None],
    p95: list[int | None],
    rows: list[dict[str, int | None]],
    columns: tuple[str, ...],
) -> Panel:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count_top = nice_ceiling(max((sum(c.values()) for c in counts), default=0))
    ms_top = nice_ceiling(max((v for v in p95 if v is not None), default=0))
    slot = plot_w / max(len(days), 1)
    bars = []
    for i, (day, cell) in enumerate(zip(days, counts, strict=True)):
        x = LEFT + i * slot + slot * 0.15
        bar = Bar(day=day, x=round(x, 1), width=round(slot * 0.7, 1), total=sum(cell.values()))
        base: float = TOP + plot_h
        for name, n in cell.items():
            if n:
                h = plot_h * n / count_top
                base -= h
                bar.segments.append(Segment(name, n, round(base, 2), round(h, 2)))
        bars.append(bar)
    lines = []
    for name, values in (("p50", p50), ("p95", p95)):
        points = [
            f"{round(LEFT + (i + 0.5) * slot, 1)},{round(TOP + plot_h * (1 - v / ms_top), 1)}"
            for i, v in enumerate(values)
            if v is not None
        ]
        if points:
            lines.append(Line(name, " ".join(points)))
    return Panel(
        title=title,
        bars=bars,
        lines=lines,
        count_top=count_top,
        ms_top=ms_top,
        first=days[0].strftime("%b %d"),
        last=days[-1].strftime("%b %d"),
        rows=list(zip(days, rows, strict=True)),
        columns=columns,
    )


def kind_panel(kind: str, days: list[dt.date], cells: dict[dt.date, KindDay]) -> Panel:
    empty = KindDay()
    got = [cells.get(d, empty) for d in days]
    counts = [{o: getattr(c, o) for o in OUTCOMES} for c in got]
    rows: list[dict[str, int | None]] = [
        {**{o: getattr(c, o) for o in OUTCOMES}, "p50 ms": c.p50_ms, "p95 ms": c.p95_ms} for c in got
    ]
    return _panel(
        kind,
        days,
        counts,
        [c.p50_ms for c in got],
        [c.p95_ms for c in got],
        rows,
        (*OUTCOMES, "p50 ms", "p95 ms"),
    )


def source_panel(source: str, days: list[dt.date], cells: dict[dt.date, SourceStats]) -> Panel:
    empty = SourceStats()
    got = [cells.get(d, empty) for d in days]
    columns = ("requests", "p50 ms", "p95 ms", "429", "503", "wait ms")
    rows: list[dict[str, int | None]] = [
        dict(
            zip(columns, (c.requests, c.p50_ms, c.p95_ms, c.status_429, c.status_503, c.wait_ms), strict=True)
        )
        for c in got
    ]
    counts = [{"requests": c.requests} for c in got]
    return _panel(source, days, counts, [c.p50_ms for c in got], [c.p95_ms for c in got], rows, columns)


def build_panels(data: ChartData) -> tuple[list[Panel], list[Panel]]:
    """One panel per job kind and one per source that has anything in the window."""
    kinds = [kind_panel(k, data.days, cells) for k, cells in data.kinds.items()]
    sources = [source_panel(s, data.days, cells) for s, cells in data.sources.items()]
    return kinds, sources


def _cell(value: int | None) -> str:
    return "—" if value is None else str(value)


def render_panel(panel: Panel, unit: str, cid: str) -> Markup:
    """The panel's SVG and its table as markup: built here rather than in a Jinja loop because a
    90-day page holds thousands of elements (names are escaped; everything else is a number)."""
    title = escape(panel.title)
    parts = [
        f'<svg class="chart" viewBox="0 0 {panel.width} {panel.height}" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{cid}-t">{title}: {unit} per day, p50 and p95 in milliseconds</title>',
        f'<desc id="{cid}-d">{panel.total} {unit} from {panel.first} to {panel.last}; '
        "the table lists the numbers.</desc>",
        f'<line class="grid-line" x1="{panel.plot_left}" x2="{panel.plot_right}" '
        f'y1="{panel.plot_bottom}" y2="{panel.plot_bottom}"/>',
        f'<text class="tick" x="{panel.plot_left - 6}" y="14" text-anchor="end">{panel.count_top}</text>',
    ]
    if panel.lines:
        parts.append(f'<text class="tick" x="{panel.plot_right + 4}" y="14">{panel.ms_top} ms</text>')
    for bar in panel.bars:
        for s in bar.segments:
            parts.append(
                f'<rect class="seg {s.name}" x="{bar.x}" y="{s.y}" width="{bar.width}" height="{s.height}"/>'
            )
    for line in panel.lines:
        parts.append(f'<polyline class="line {line.name}" points="{line.points}"/>')
    parts.append(f'<text class="day" x="{panel.plot_left}" y="{panel.height - 6}">{panel.first}</text>')
    end = f'x="{panel.plot_right}" y="{panel.height - 6}" text-anchor="end"'
    parts.append(f'<text class="day" {end}>{panel.last}</text>')
    parts.append("</svg>")
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in panel.columns)
    parts.append(
        '<details><summary>Show as a table</summary><div class="table-wrap">'
        '<table class="compact chart-table">'
        f'<thead><tr><th scope="col">Day</th>{head}</tr></thead><tbody>'
    )
    for day, row in panel.rows:
        if not any(row.values()):
            continue
        cells = "".join(f'<td data-col="{escape(c)}">{_cell(row[c])}</td>' for c in panel.columns)
        parts.append(f'<tr data-day="{day.isoformat()}"><th scope="row">{day.isoformat()}</th>{cells}</tr>')
    parts.append("</tbody></table></div></details>")
    return Markup("".join(parts))
