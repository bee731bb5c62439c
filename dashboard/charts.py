"""Chart geometry computed on the server; templates draw it as inline SVG (no chart library, no CDN).

Only numbers and positions are computed here. Every text in a chart (terms are written by the public)
goes through the template engine's escaping like any other text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 720  # bar charts (half-width panels)
LINE_WIDTH, HEIGHT = 960, 260  # day charts span the page
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
BAR_ROW = 26
PALETTE = 6  # series-0 … series-5 in app.css


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int
    day: date


@dataclass(frozen=True)
class Line:
    key: str
    css: str
    points: str  # SVG polyline points
    dots: list[Point]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    spikes: list[Point]
    empty: bool


@dataclass(frozen=True)
class Bar:
    label: str  # empty for the second bar of a pair
    value: float
    y: float
    height: float
    width: float
    css: str
    text: str
    label_y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bars: list[Bar]
    empty: bool


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is at least `value` (axis maxima people can read)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def line_chart(days: Sequence[date], series: dict[str, list[int]], spikes: Sequence[date],
               day_label: Callable[[date], str], last_label: str = "") -> LineChart:
    """One polyline per series over the days; spike days marked above the highest value of the day.

    `last_label` names the last day on the axis (e.g. "today": its count is still growing).
    """
    left, right, top, bottom = LEFT, LINE_WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    highest = max([max(values, default=0) for values in series.values()] + [0])
    ceiling = nice_ceiling(highest)
    step = (right - left) / max(1, len(days) - 1)

    def x(i: int) -> float:
        return round(left + i * step, 1)

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * value / ceiling, 1)

    lines = []
    for n, (key, values) in enumerate(series.items()):
        dots = [Point(x(i), y(v), v, days[i]) for i, v in enumerate(values)]
        lines.append(Line(key, f"series-{n % PALETTE}", " ".join(f"{p.x},{p.y}" for p in dots), dots))
    every = max(1, math.ceil(len(days) / 10))
    last = len(days) - 1
    shown = [i for i in range(len(days)) if (i % every == 0 and last - i >= every / 2) or i == last]
    x_ticks = [Tick(x(i), last_label if i == last and last_label else day_label(days[i])) for i in shown]
    y_ticks = [Tick(y(ceiling * f), f"{round(ceiling * f):,}") for f in (0, 0.5, 1)]
    marked = [max(column) for column in zip(*series.values(), strict=True)] if series else []
    spike_days = set(spikes)
    spike_points = [Point(x(i), y(marked[i]) if marked else bottom, marked[i] if marked else 0, d)
                    for i, d in enumerate(days) if d in spike_days]
    return LineChart(LINE_WIDTH, HEIGHT, left, right, top, bottom, lines, x_ticks, y_ticks, spike_points,
                     empty=highest == 0)


def bar_chart(items: Sequence[tuple[str, float]], *, texts: Sequence[str] | None = None,
              label_width: int = 220, css: str = "series-0") -> BarChart:
    """Horizontal bars, one row per item, longest first as given."""
    highest = max([value for _, value in items] + [0])
    room = WIDTH - label_width - 70
    bars = [
        Bar(label, value, i * BAR_ROW + 4, 16, round(room * value / highest, 1) if highest else 0, css,
            texts[i] if texts is not None else f"{value:,.0f}", i * BAR_ROW + 17)
        for i, (label, value) in enumerate(items)
    ]
    return BarChart(WIDTH, max(BAR_ROW, len(bars) * BAR_ROW), label_width, bars, empty=highest == 0)


def paired_bar_chart(items: Sequence[tuple[str, float, float]], label_width: int = 180) -> BarChart:
    """Two thin bars per item (this period, the one before), on one scale."""
    highest = max([max(a, b) for _, a, b in items] + [0])
    room = WIDTH - label_width - 70
    bars = []
    for i, (label, this, last) in enumerate(items):
        for j, (value, css) in enumerate(((this, "series-0"), (last, "series-muted"))):
            bars.append(Bar(label if j == 0 else "", value, i * BAR_ROW + 2 + j * 11, 10,
                            round(room * value / highest, 1) if highest else 0, css, f"{value:,.1f}",
                            i * BAR_ROW + 15))
    return BarChart(WIDTH, max(BAR_ROW, len(items) * BAR_ROW), label_width, bars, empty=highest == 0)
