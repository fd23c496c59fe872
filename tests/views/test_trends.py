"""KPI trend charts as inline SVG (qkit.trends): each KPI's own numbers, target and comparisons, escaped text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from support.documents import sample_cards
from qkit import KPI
from qkit.trends import kpi_trends, nice_ticks, tick_label, trend

DOCS = {stem: card.assessment for stem, card in sample_cards().items()}


class Elements(HTMLParser):
    """Elements with their attributes and the text directly inside each, in document order."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict, list[str]]] = []
        self._open: list[int] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), []))
        if tag not in ("line", "circle", "rect", "path", "polyline"):
            self._open.append(len(self.elements) - 1)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open and data.strip():
            self.elements[self._open[-1]][2].append(data.strip())

    def tagged(self, tag: str, **attrs) -> list[tuple[dict, list[str]]]:
        return [(a, t) for name, a, t in self.elements
                if name == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def series_values(attrs: dict) -> dict[int, float]:
    pairs = (item.split(":") for item in attrs["data-values"].split())
    return {int(year): float(value) for year, value in pairs}


def all_kpis() -> list[KPI]:
    return [kpi for doc in DOCS.values() for kpi in doc.results]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sample_kpi_is_drawn_with_its_own_numbers(lang):
    for doc in DOCS.values():
        for clause in sorted({k.clause for k in doc.results}):
            kpis = doc.kpis(clause)
            page = Elements(kpi_trends(kpis, lang))
            figures = page.tagged("figure", **{"class": "qk-trend"})
            assert len(figures) == len(kpis)
            own = [a for a, _ in page.tagged("g", data_kind="own")]
            assert [series_values(a) for a in own] == [k.values for k in kpis]
            drawn = {(a["data-name"], tuple(series_values(a).items())) for a, _ in page.tagged("g", data_kind="comparison")}
            expected = {(name, tuple(sorted(points.items()))) for k in kpis for name, points in k.comparisons.items()}
            assert drawn == expected
            assert len(page.tagged("line", **{"class": "qk-target"})) == sum(k.target is not None for k in kpis)
            lower = [t for _, t in page.tagged("span", **{"class": "qk-trend-lower"})]
            assert len(lower) == sum(k.better == "lower" for k in kpis)
            assert all(("越低越好" if lang == "zh" else "lower is better") in " ".join(t) for t in lower)


def test_points_lie_in_the_plot_and_the_ticks_cover_the_values():
    for kpi in all_kpis():
        chart = trend(kpi)
        left, top, right, bottom = chart.plot
        for line in chart.series:
            assert len(line.points) == len(line.values)
            assert all(left < x < right and top <= y <= bottom for x, y in line.points)
        own = chart.series[0]
        ys = dict(zip((v for _, v in own.values), (y for _, y in own.points)))
        higher = sorted(ys)
        assert [ys[v] for v in higher] == sorted((ys[v] for v in higher), reverse=True)  # higher is drawn higher
        ticks = [float(label.replace(",", "")) for _, label in chart.yticks]
        assert len(ticks) >= 2 and ticks == sorted(ticks)
        assert chart.latest[2] and chart.latest[1] == own.points[-1][1]


def test_nice_ticks_are_round_and_labelled_alike():
    assert nice_ticks(35.5, 66.7) == ([40, 50, 60], 0)
    ticks, decimals = nice_ticks(0.0431, 0.0629)
    assert [tick_label(t, decimals) for t in ticks] == ["0.045", "0.050", "0.055", "0.060"]
    ticks, decimals = nice_ticks(-0.2, 0.1)
    assert [tick_label(t, decimals) for t in ticks] == ["-0.2", "-0.1", "0.0", "0.1"]
    ticks, decimals = nice_ticks(1.2e6, 3.4e6)
    assert tick_label(ticks[0], decimals) == "1,500,000"


def test_one_year_and_flat_values_still_draw():
    for kpi in (KPI("5.7.1", "只有一年", "", "higher", None, {2025: 5.0}),
                KPI("5.7.1", "持平", "%", "higher", 5.0, {2023: 5.0, 2024: 5.0, 2025: 5.0})):
        chart = trend(kpi)
        assert len(chart.yticks) >= 2 and chart.xticks
        assert all(chart.plot[1] < y < chart.plot[3] for _, y in chart.series[0].points)


def test_what_users_typed_is_text():
    kpi = KPI("5.7.1", "营业收入 <script>x()</script>", "<b>亿元</b>", "higher", 1.0, {2024: 1.0, 2025: 2.0},
              {'对手 "A" <i>': {2024: 1.5}})
    html = str(kpi_trends([kpi]))
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "营业收入 &lt;script&gt;x()&lt;/script&gt;" in html and "&lt;b&gt;亿元&lt;/b&gt;" in html
    page = Elements(html)
    assert [a["data-name"] for a, _ in page.tagged("g", data_kind="comparison")] == ['对手 "A" <i>']


def test_no_kpis_no_markup():
    assert kpi_trends([]) == ""
