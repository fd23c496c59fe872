"""The item radar as inline SVG: the web form's 汇总 tab draws it without matplotlib."""

from __future__ import annotations

import math
import re

import pytest

from support.documents import full_document, sample_cards
from qkit import from_data, score
from qkit.radar import RADIUS, radar, radar_svg, vertices
from qkit.trends import text_width

CARDS = sample_cards()


@pytest.mark.parametrize("name", sorted(CARDS))
def test_one_vertex_per_item_at_its_percentage_clockwise_from_the_top(name):
    card = CARDS[name]
    chart = radar(card)
    units = card.radar_units
    assert [s.vertex.id for s in chart.spokes] == [u.id for u in units]
    assert len(units) >= 3
    first = chart.spokes[0]
    assert first.at.x == pytest.approx(chart.centre.x)  # straight above the centre
    assert chart.centre.y - first.at.y == pytest.approx(RADIUS * first.vertex.percent / 100)
    assert chart.spokes[1].end.x > chart.centre.x  # the next one to the right: clockwise
    for spoke in chart.spokes:
        distance = math.dist((spoke.at.x, spoke.at.y), (chart.centre.x, chart.centre.y))
        assert distance == pytest.approx(RADIUS * min(spoke.vertex.percent, 100) / 100)


def test_item_percentages_are_the_scorecards_and_an_unscored_clause_counts_nothing():
    card = CARDS["hubei-manufacturing-huake"]
    assert [v.percent for v in vertices(card)] == [i.percent for i in card.items]
    individual = CARDS["wuhan-individual-chen"]
    assert [v.id for v in vertices(individual)] == [c.id for c in individual.clauses]  # two groups: no polygon
    assert [v.percent for v in vertices(individual)] == [float(c.score or 0) for c in individual.clauses]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(CARDS))
def test_every_label_lies_inside_the_drawing(name, lang):
    chart = radar(CARDS[name], lang)
    for spoke in chart.spokes:
        width = text_width(spoke.vertex.label, 12)
        left = {"start": spoke.label.x, "middle": spoke.label.x - width / 2, "end": spoke.label.x - width}[spoke.anchor]
        assert 0 <= left and left + width <= chart.width, spoke.vertex.label
        assert 0 <= spoke.label.y <= chart.height


def test_the_svg_names_the_items_and_escapes_what_users_typed():
    card = CARDS["hubei-manufacturing-huake"]
    card.assessment.applicant["short_name"] = "<script>alert(1)</script>华科"
    try:
        page = str(radar_svg(card))
    finally:
        card.assessment.applicant.pop("short_name")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;华科" in page
    assert "各条目得分率" in page and "5.2 领导作用" in page
    assert len(re.findall(r'class="qk-radar-vertex"', page)) == 6
    points = re.search(r'class="qk-radar-polygon" points="([^"]+)"', page).group(1).split()
    assert len(points) == 6
    assert "Score by item" in str(radar_svg(card, "en"))


def test_beside_another_assessment_both_polygons_and_a_legend_naming_them():
    card = CARDS["hubei-manufacturing-huake"]
    other = CARDS["hubei-service-jiangcheng"]  # another applicant of the same items
    chart = radar(card, "zh", compare=other)
    assert chart.compared is not None and len(chart.compared.points) == len(chart.spokes)
    by_id = {v.id: v.percent for v in vertices(other)}
    for spoke, point in zip(chart.spokes, chart.compared.points):
        distance = math.dist((point.x, point.y), (chart.centre.x, chart.centre.y))
        assert distance == pytest.approx(RADIUS * by_id[spoke.vertex.id] / 100)
    page = str(radar_svg(card, "zh", compare=other))
    assert page.count('class="qk-radar-compared"') == 1 and 'class="qk-legend"' in page
    assert chart.label in page and chart.compared.label in page and chart.label != chart.compared.label
    assert 'class="qk-legend"' not in str(radar_svg(card))  # one polygon needs no legend


def test_an_item_with_nothing_scored_writes_no_value_and_low_values_stand_apart():
    """A new document: six items at 0 % once wrote "0%" six times over each other at the centre."""
    from qkit import load_rubric

    rubric = load_rubric("hubei-manufacturing")
    data = full_document(rubric)
    data["clauses"] = {"5.2.2": {"score": 10}, "5.3.2": {"score": 5}}
    card = score(from_data(data), rubric)
    chart = radar(card)
    unscored = [s.vertex for s in chart.spokes if not s.vertex.scored]
    assert [v.id for v in unscored] == ["5.4", "5.5", "5.6", "5.7"] and all(v.value_label == "" for v in unscored)
    page = str(radar_svg(card))
    assert page.count('data-unscored="true"') == 4 and ">0%<" not in page
    scored = [s for s in chart.spokes if s.vertex.scored]
    assert [s.vertex.value_label for s in scored] == ["2.8%", "1.5%"]
    first, second = (s.value for s in scored)
    assert math.dist(first, second) > text_width("2.8%", 10.5) + 4  # neighbours' values do not touch
