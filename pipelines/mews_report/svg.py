"""Draws a Chart as inline SVG: lines or bars on a day axis, no JavaScript, nothing fetched.

Every drawn point is an element of class `point` carrying `data-series`, `data-night` and
`data-value` (the figure as read, not as drawn), so a test can check the picture against the marts.
"""

import math
from datetime import date, timedelta
from html import escape

from mews_report.figures import Chart, Point, Series, Unit

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 28
COLOURS = ("#1f6fb4", "#e07b16", "#2c9c4a", "#c23b3b", "#7b52ab", "#6b6b6b")


def render_chart(chart: Chart) -> str:
    """The chart as an `<svg>` element, or a short note when it has no points."""
    points = [p for s in chart.series for p in s.points]
    if not points:
        return f'<p class="empty">{escape(chart.empty_note)}</p>'
    first, last = min(p.day for p in points), max(p.day for p in points)
    low, high, step = _y_range([p.value for p in points])
    axes = _Axes(first, (last - first).days + 1, low, high)
    plot = (
        f'<rect class="plot-area" x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
        f'height="{HEIGHT - TOP - BOTTOM}" fill="none"/>'
    )
    parts = [plot, *_y_grid(axes, low, high, step, chart.unit), *_x_ticks(axes, first, last)]
    for index, series in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        if chart.kind == "line":
            parts.append(_line(axes, series, colour, chart.unit))
        else:
            parts.append(_bars(axes, series, colour, chart.unit, index, len(chart.series)))
    parts.extend(_legend(chart.series))
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(chart.title)}">'
        + "".join(parts)
        + "</svg>"
    )


class _Axes:
    """Day and value to SVG coordinates: each day a band of equal width, values linear."""

    def __init__(self, first: date, days: int, low: float, high: float) -> None:
        self.first, self.low, self.high = first, low, high
        self.band = (WIDTH - LEFT - RIGHT) / days

    def x(self, day: date) -> float:
        return LEFT + ((day - self.first).days + 0.5) * self.band

    def y(self, value: float) -> float:
        return TOP + (self.high - value) / (self.high - self.low) * (HEIGHT - TOP - BOTTOM)


def _y_range(values: list[float]) -> tuple[float, float, float]:
    """Bounds that include zero and end on a round step, and that step (1, 2 or 5 x 10^k)."""
    low, high = min(0.0, *values), max(0.0, *values)
    if high == low:
        high = low + 1
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _y_grid(axes: _Axes, low: float, high: float, step: float, unit: Unit) -> list[str]:
    lines = []
    for i in range(round((high - low) / step) + 1):
        value = low + i * step
        y = axes.y(value)
        lines.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_label(value, unit, step)}</text>"
        )
    return lines


def _x_ticks(axes: _Axes, first: date, last: date) -> list[str]:
    """Month starts (every third over long ranges), or every seventh day under two months."""
    months = _month_starts(first, last)
    if len(months) >= 2:
        every = 1 if len(months) <= 8 else 3 if len(months) <= 24 else 6
        ticks = [(d, d.strftime("%b %Y")) for d in months if (d.month - 1) % every == 0]
    else:
        ticks = [(first + timedelta(days=i), "") for i in range(0, (last - first).days + 1, 7)]
        ticks = [(d, d.strftime("%d %b")) for d, _ in ticks]
    y = HEIGHT - BOTTOM
    return [
        f'<line class="axis" x1="{axes.x(d):.1f}" x2="{axes.x(d):.1f}" y1="{y}" y2="{y + 4}"/>'
        f'<text class="tick" x="{axes.x(d):.1f}" y="{y + 16}" '
        f'text-anchor="{_tick_anchor(axes.x(d))}">{text}</text>'
        for d, text in ticks
    ]


def _tick_anchor(x: float) -> str:
    """Centred under its tick, unless half a label (about 24 px) would leave the picture."""
    return "end" if x + 24 > WIDTH else "middle"


def _month_starts(first: date, last: date) -> list[date]:
    day = first.replace(day=1)
    starts = []
    while day <= last:
        if day >= first:
            starts.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return starts


def _line(axes: _Axes, series: Series, colour: str, unit: Unit) -> str:
    """A polyline per run of consecutive days (a missing night breaks it), and a dot per point."""
    runs: list[list[Point]] = []
    for point in series.points:
        if runs and (point.day - runs[-1][-1].day).days == 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    paths = [
        '<polyline fill="none" stroke-width="1.5" stroke="{}" points="{}"/>'.format(
            colour, " ".join(f"{axes.x(p.day):.1f},{axes.y(p.value):.1f}" for p in run)
        )
        for run in runs
    ]
    radius = max(0.6, min(1.8, axes.band * 0.4))  # a dot a night must not hide a long line
    dots = [
        f'<circle class="point" {_data(series, p)} cx="{axes.x(p.day):.1f}" '
        f'cy="{axes.y(p.value):.1f}" r="{radius:.1f}" fill="{colour}">'
        f"{_title(series, p, unit)}</circle>"
        for p in series.points
    ]
    return f'<g class="series" data-series="{escape(series.name)}">{"".join(paths + dots)}</g>'


def _bars(axes: _Axes, series: Series, colour: str, unit: Unit, index: int, count: int) -> str:
    """Bars from zero, side by side when several series share a day."""
    width = max(axes.band * 0.8 / count, 0.5)
    zero = axes.y(0.0)
    bars = []
    for p in series.points:
        x = axes.x(p.day) - axes.band * 0.4 + index * width
        top, bottom = sorted((axes.y(p.value), zero))
        bars.append(
            f'<rect class="point" {_data(series, p)} x="{x:.2f}" y="{top:.1f}" '
            f'width="{width:.2f}" height="{max(bottom - top, 0.5):.1f}" fill="{colour}">'
            f"{_title(series, p, unit)}</rect>"
        )
    return f'<g class="series" data-series="{escape(series.name)}">{"".join(bars)}</g>'


def _legend(series: tuple[Series, ...]) -> list[str]:
    items = []
    x = WIDTH - RIGHT
    for index, s in reversed(list(enumerate(series))):
        x -= 14 + 7 * len(s.name)
        colour = COLOURS[index % len(COLOURS)]
        items.append(
            f'<rect x="{x}" y="8" width="10" height="10" fill="{colour}"/>'
            f'<text class="legend" x="{x + 14}" y="17">{escape(s.name)}</text>'
        )
    return items


def _data(series: Series, point: Point) -> str:
    return (
        f'data-series="{escape(series.name)}" data-night="{point.day.isoformat()}" '
        f'data-value="{point.value!r}"'
    )


def _title(series: Series, point: Point, unit: Unit) -> str:
    text = f"{point.day.isoformat()} {series.name}: {_label(point.value, unit, 0.001)}"
    return f"<title>{escape(text)}</title>"


def _label(value: float, unit: Unit, step: float) -> str:
    """A tick or tooltip figure: a percentage for a ratio, else the decimals the step needs."""
    if unit == "ratio":
        return f"{value:.0%}" if step >= 0.01 else f"{value:.1%}"
    decimals = 0 if step >= 1 else min(2, -math.floor(math.log10(step)))
    return f"{value:,.{decimals}f}"
