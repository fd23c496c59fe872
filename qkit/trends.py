"""KPI trend charts for HTML pages: small multiples of inline SVG, drawn without matplotlib.

The feedback report shows a trend chart for every KPI, thirty or more per
applicant. Drawn by matplotlib, each took about 50 ms (tick and text layout,
then PNG encoding), together nine tenths of a report's time. Here a chart is
a few dozen SVG elements computed in about a millisecond; the browser sets
the text in the page's own fonts, Chinese included, so the charts are sharp
on screen, in print and in the PDF, and their text can be searched and
copied. The KPIs of one results clause are shown side by side, two to a row.

A chart shows what ``charts.kpi_trend`` shows (Word files keep using that
one): our values, the latest one labelled; each comparison series dashed;
the target as a red dashed line; 越低越好 where lower is better. The palette
is the charts' own (``qkit.palette``). Everything a user typed (KPI and
series names, units) reaches the page through the autoescaping template
``trends.html.j2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup

from .document import KPI
from .html import macro
from .i18n import fmt_value, paren, tr
from .palette import AXIS, GRID, INK, MUTED, PRIMARY, SERIES, TARGET

WIDTH, HEIGHT = 340.0, 200.0  # the viewBox; a column of the A4 report is about 325 CSS pixels wide
FONT = 11.0  # tick labels, in viewBox units (about 10.5 px on screen and in print)
TOP, BOTTOM = 10.0, 22.0  # room above the plot, and below it for the years
MAX_YEAR_LABELS = 8
TEMPLATE = "trends.html.j2"


def text_width(text: str, size: float = FONT) -> float:
    """About how wide a label is set: CJK and full-width characters take one em, others a little over half."""
    return size * sum(1.0 if ord(c) >= 0x2E80 else 0.6 for c in text)


def nice_ticks(low: float, high: float, most: int = 5) -> tuple[list[float], int]:
    """Round tick values covering [low, high] (a step of 1, 2, 2.5 or 5 times a power of ten, at most about
    ``most`` + 1 ticks) and the decimals their labels need."""
    span = high - low
    raw = span / most if span > 0 else abs(high) or 1.0
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if raw <= m * power * (1 + 1e-9))
    decimals = next((d for d in range(12) if abs(round(step, d) - step) < step * 1e-6), 12)  # 12 at most
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(k * step, decimals) for k in range(first, last + 1)], decimals


def svg_points(points) -> str:
    """(x, y) pairs as an SVG ``points`` attribute: "12.0,30.5 40.2,28.1"."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def tick_label(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}" if abs(value) >= 1e6 else f"{value:.{decimals}f}"
    return text.lstrip("-") if text.strip("-0.,") == "" else text  # no "-0.0"


@dataclass
class Series:
    """One line of a chart: its legend label, style and points (years, values, and where they are drawn)."""

    label: str
    colour: str
    kind: str  # "own" or "comparison"
    values: list[tuple[int, float]]
    points: list[tuple[float, float]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return svg_points(self.points)


@dataclass
class Trend:
    """Everything one chart draws, in viewBox units."""

    kpi: KPI
    title: str
    subtitle: str
    lower: str  # the 越低越好 mark, or ""
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    yticks: list[tuple[float, str]]
    xticks: list[tuple[float, str]]
    series: list[Series]
    target: tuple[float, str] | None  # where the target line is drawn, and its legend label
    latest: tuple[float, float, str] | None  # the label of our latest value: x, y, text
    width: float = WIDTH
    height: float = HEIGHT


def trend(kpi: KPI, lang: str = "zh") -> Trend:
    """The chart of one KPI: our values, each comparison series and the target, scaled to the plot."""
    own = sorted(kpi.values.items())
    lines = [Series(tr("own_series", lang), PRIMARY, "own", own)]
    lines += [Series(name, colour, "comparison", sorted(points.items()))
              for (name, points), colour in zip(kpi.comparisons.items(), SERIES * (len(kpi.comparisons) + 1))]
    values = [v for s in lines for _, v in s.values] + ([kpi.target] if kpi.target is not None else [])
    years = sorted({y for s in lines for y, _ in s.values})
    if not values or not years:
        values, years = values or [0.0], years or [0]
    low, high = min(values), max(values)
    pad = (high - low) * 0.12 if high > low else (abs(high) * 0.1 or 1.0)
    low, high = low - pad, high + pad
    ticks, decimals = nice_ticks(low, high)
    labels = [tick_label(t, decimals) for t in ticks]
    latest = fmt_value(own[-1][1]) if own else ""
    left = 8 + max(text_width(label) for label in labels)
    right = WIDTH - 6 - text_width(latest, FONT + 0.5)
    top, bottom = TOP, HEIGHT - BOTTOM
    spread = (years[-1] - years[0]) or 2
    first, last = years[0] - spread * 0.08, years[-1] + spread * 0.08
    if years[0] == years[-1]:
        first, last = years[0] - 1, years[0] + 1

    def x(year: float) -> float:
        return left + (year - first) / (last - first) * (right - left)

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    for line in lines:
        line.points = [(x(year), y(value)) for year, value in line.values]
    every = math.ceil(len(range(years[0], years[-1] + 1)) / MAX_YEAR_LABELS)
    xticks = [(x(year), str(year)) for year in range(years[0], years[-1] + 1, every)]
    target = None
    if kpi.target is not None:
        target = (y(kpi.target), f"{tr('col_target', lang)} {fmt_value(kpi.target)}")
    subtitle = paren(kpi.clause, kpi.unit, lang) if kpi.unit else kpi.clause
    return Trend(kpi, kpi.name, subtitle, "↓ " + tr("better_lower", lang) if kpi.better == "lower" else "",
                 (left, top, right, bottom), [(y(t), label) for t, label in zip(ticks, labels)], xticks, lines,
                 target, (lines[0].points[-1][0] + 6, lines[0].points[-1][1], latest) if own else None)


def kpi_trends(kpis: list[KPI], lang: str = "zh") -> Markup:
    """The trend charts of some KPIs (one results clause's) side by side, as HTML; empty for none."""
    if not kpis:
        return Markup("")
    return macro(TEMPLATE, "trends", charts=[trend(k, lang) for k in kpis], font=FONT, axis=AXIS, grid=GRID,
                 ink=INK, muted=MUTED, target_colour=TARGET)
