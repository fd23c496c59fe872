"""The item radar: its vertices as data, and drawn as inline SVG for HTML pages.

One vertex per item, its score percentage (per clause for a standard with
fewer than three items, the individual award's). ``charts.item_radar``
draws these vertices with matplotlib for Word files; the web form's 汇总
tab and the HTML report show them as SVG, made in about a millisecond
without matplotlib (which every page that opened the tab used to load for
this one chart: some 50 MB and a second of CPU in each page's kernel; a
report spent 0.1 s drawing it). Item and applicant names reach the page
through the autoescaping template ``radar.html.j2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup

from .compare import assessment_label
from .html import macro
from .i18n import fmt_percent, paren, tr
from .palette import AXIS, INK, MUTED, POLAR_GRID, PRIMARY, SERIES
from .scoring import ItemScore, Scorecard
from .trends import svg_points, text_width

RADIUS = 120.0  # viewBox units; the SVG scales to its box
LABEL_FONT, VALUE_FONT, RING_FONT = 12.0, 10.5, 9.0
LABEL_GAP = 14.0  # from the outer ring to a vertex's label
RINGS = (20, 40, 60, 80, 100)
SIDEWAYS = 0.2  # a spoke whose sine is within this of 0 points up or down: its label is centred on it
VALUE_REACH = 26  # % of the radius: the least distance from the centre at which a vertex's value is written
TEMPLATE = "radar.html.j2"


@dataclass(frozen=True)
class Vertex:
    id: str
    label: str  # "5.2 领导作用"
    percent: float
    scored: bool = True  # an item with no clause scored (or an unscored indicator) sits at 0 with no value written

    @property
    def value_label(self) -> str:
        return fmt_percent(round(self.percent, 1)) if self.scored else ""


def vertices(card: Scorecard, lang: str = "zh") -> list[Vertex]:
    """The radar's vertices in the standard's order; an unscored clause counts 0, as in the total."""
    return [Vertex(u.id, f"{u.id} {u.name(lang)}", u.percent, u.scored) if isinstance(u, ItemScore) else
            Vertex(u.id, f"{u.id} {u.name(lang)}", float(u.score or 0), u.score is not None)
            for u in card.radar_units]


def radar_title(card: Scorecard, lang: str = "zh") -> str:
    units = card.radar_units
    return tr("chart_radar" if units and isinstance(units[0], ItemScore) else "chart_radar_indicators", lang)


def polygon_labels(card: Scorecard, compare: Scorecard, lang: str = "zh") -> tuple[str, str]:
    """The legend's names of the two polygons: applicant and assessment date, and which one is current
    when that alone does not tell them apart."""
    labels = assessment_label(card, lang), assessment_label(compare, lang)
    if labels[0] == labels[1]:
        labels = paren(labels[0], tr("cmp_current", lang), lang), paren(labels[1], tr("cmp_previous", lang), lang)
    return labels


class Point(NamedTuple):
    x: float
    y: float


@dataclass(frozen=True)
class Spoke:
    vertex: Vertex
    end: Point  # on the outer ring
    at: Point  # the vertex, at its percentage
    label: Point
    anchor: str  # text-anchor of the label: start, middle or end
    shift: float  # the label's vertical offset, in em
    value: Point  # where its percentage is written


@dataclass(frozen=True)
class Polygon:
    """The other assessment's polygon, drawn dashed beneath the applicant's: its legend label and points."""

    label: str
    colour: str
    points: list[Point]

    @property
    def path(self) -> str:
        return svg_points(self.points)


@dataclass(frozen=True)
class Radar:
    title: str
    subtitle: str
    width: float
    height: float
    centre: Point
    rings: list[tuple[float, str, Point]]  # radius, label, where the label goes
    spokes: list[Spoke]
    label: str = ""  # the applicant's polygon in the legend (shown only beside a comparison)
    compared: Polygon | None = None

    @property
    def polygon(self) -> str:
        return svg_points(s.at for s in self.spokes)


def radar(card: Scorecard, lang: str = "zh", compare: Scorecard | None = None) -> Radar:
    """Where everything of the radar is drawn, the first vertex at the top, the others clockwise; ``compare``
    adds the other assessment's polygon (a previous year's, or another applicant's), matched by item id."""
    units = vertices(card, lang)
    n = max(len(units), 1)
    angles = [2 * math.pi * i / n for i in range(len(units))]
    reach = RADIUS + LABEL_GAP

    def extent(unit: Vertex, angle: float) -> float:
        """How far from the centre the label reaches sideways (a label at the top or bottom is centred)."""
        width, side = text_width(unit.label, LABEL_FONT), abs(math.sin(angle))
        return width / 2 if side <= SIDEWAYS else reach * side + width

    half_width = max([RADIUS + 6] + [extent(u, a) for u, a in zip(units, angles)]) + 6
    top = reach + LABEL_FONT + 6
    centre = Point(half_width, top)

    def at(angle: float, radius: float) -> Point:
        return Point(centre.x + radius * math.sin(angle), centre.y - radius * math.cos(angle))

    spokes = []
    for unit, angle in zip(units, angles):
        sin, cos = math.sin(angle), math.cos(angle)
        anchor = "start" if sin > SIDEWAYS else "end" if sin < -SIDEWAYS else "middle"
        shift = -0.3 if cos > SIDEWAYS else 0.9 if cos < -SIDEWAYS else 0.35  # above, below, beside
        value = max(min(unit.percent, 100) + 9, VALUE_REACH)  # low values apart from each other, off the centre
        spokes.append(Spoke(unit, at(angle, RADIUS), at(angle, RADIUS * min(unit.percent, 100) / 100),
                            at(angle, reach), anchor, shift, at(angle, RADIUS * value / 100)))
    between = math.pi / n  # ring labels sit between the first two spokes
    rings = [(RADIUS * r / 100, fmt_percent(r), at(between, RADIUS * r / 100)) for r in RINGS]
    label, compared = "", None
    if compare is not None:
        label, other = polygon_labels(card, compare, lang)
        by_id = {v.id: v.percent for v in vertices(compare, lang)}
        points = [at(angle, RADIUS * min(by_id[u.id], 100) / 100) for u, angle in zip(units, angles) if u.id in by_id]
        compared = Polygon(other, SERIES[0], points)
    return Radar(radar_title(card, lang), card.applicant_name, 2 * half_width, top + reach + 2 * LABEL_FONT, centre,
                 rings, spokes, label, compared)


def radar_svg(card: Scorecard, lang: str = "zh", compare: Scorecard | None = None) -> Markup:
    """The radar as an HTML figure holding inline SVG (with ``compare``, both polygons and a legend)."""
    return macro(TEMPLATE, "radar", chart=radar(card, lang, compare), primary=PRIMARY, grid=POLAR_GRID, axis=AXIS,
                 ink=INK, muted=MUTED, label_font=LABEL_FONT, value_font=VALUE_FONT, ring_font=RING_FONT)
