"""The improvement plan's timeline as inline SVG: each action a bar from its start to its due day, by status.

The report's 改进计划 section shows every action on one time axis, in the
order of their due days: a bar from the start to the due day (a mark on the
due day when no start is given), coloured by status (未开始 grey, 进行中
blue, 已完成 green, 已取消 pale), an overdue action outlined in red and
marked, and a dashed line for the day the plan is read on. Like the KPI
trends (``qkit.trends``) it is a few dozen SVG elements made without
matplotlib, its text set in the page's fonts; action texts and owners reach
the page through the autoescaping template ``timeline.html.j2``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from .html import macro
from .i18n import fmt_date, tr
from .palette import AXIS, GRID, INK, MUTED, PRIMARY, TARGET, UP
from .plan import (
    CANCELLED,
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    STATUSES,
    Plan,
    status_label,
)
from .trends import FONT

STATUS_COLOURS = {NOT_STARTED: "#9aa5b1", IN_PROGRESS: PRIMARY, DONE: UP, CANCELLED: "#d5dae0"}
WIDTH = 680.0  # viewBox units: the report's text width
LABEL_WIDTH = 230.0  # the action's id and text, left of the axis
ROW, BAR = 22.0, 12.0
TOP, AXIS_ROOM = 8.0, 26.0
LABEL_CHARS = 18  # an action's text is cut to this many characters beside its bar (the table has it whole)
MAX_TICKS = 8
TEMPLATE = "timeline.html.j2"


@dataclass(frozen=True)
class Bar:
    """One action's row: its label, where its bar starts and ends (x1 == x0: only a due day), its colour."""

    label: str
    title: str  # the whole text, shown on hover
    status: str
    colour: str
    y: float
    x0: float | None
    x1: float | None
    overdue: bool
    due: str


@dataclass(frozen=True)
class Timeline:
    title: str
    width: float
    height: float
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    ticks: list[tuple[float, str]]
    today: tuple[float, str] | None
    bars: list[Bar]
    legend: list[tuple[str, str]]  # status label, colour
    overdue_label: str
    font: float = FONT


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of months covering [first, last], thinned to at most MAX_TICKS."""
    months = []
    day = dt.date(first.year, first.month, 1)
    while day <= last:
        months.append(day)
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    step = max(1, -(-len(months) // MAX_TICKS))
    return months[::step]


def timeline(plan: Plan, lang: str = "zh") -> Timeline | None:
    """Where each action of the plan is drawn, by due day; None for a plan without actions."""
    actions = plan.by_due()
    if not actions:
        return None
    days = [d for a in actions for d in (a.start, a.due) if d] + [plan.today]
    first, last = min(days), max(days)
    first = dt.date(first.year, first.month, 1)
    last = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)  # the month after the last day
    left, right = LABEL_WIDTH, WIDTH - 12
    top, bottom = TOP, TOP + ROW * len(actions)
    span = (last - first).days or 1

    def x(day: dt.date) -> float:
        return left + (day - first).days / span * (right - left)

    bars = []
    for n, a in enumerate(actions):
        text = f"{a.id} {a.action}".strip() if a.action else a.id or status_label(a.status, lang)
        label = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
        x1 = x(a.due) if a.due else None
        x0 = x(a.start) if a.start and a.due else x1
        bars.append(Bar(label, text, status_label(a.status, lang), STATUS_COLOURS.get(a.status, MUTED),
                        top + ROW * n + (ROW - BAR) / 2, x0, x1, a.overdue(plan.today),
                        fmt_date(a.due, lang) if a.due else tr("timeline_no_due", lang)))
    ticks = [(x(m), f"{m.year}-{m.month:02d}") for m in _months(first, last)]
    today = (x(plan.today), f"{tr('timeline_today', lang)} {fmt_date(plan.today, lang)}")
    legend = [(status_label(s, lang), STATUS_COLOURS[s]) for s in STATUSES]
    return Timeline(tr("chart_timeline", lang), WIDTH, bottom + AXIS_ROOM, (left, top, right, bottom), ticks, today,
                    bars, legend, tr("col_overdue", lang))


def timeline_svg(plan: Plan, lang: str = "zh") -> Markup:
    """The plan's timeline as an HTML figure holding inline SVG; empty for a plan without actions."""
    chart = timeline(plan, lang)
    if chart is None:
        return Markup("")
    return macro(TEMPLATE, "timeline", chart=chart, axis=AXIS, grid=GRID, ink=INK, muted=MUTED, overdue=TARGET)
