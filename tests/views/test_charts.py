"""Charts: every chart renders Chinese for every sample, and shows the scorecard's own numbers."""

from __future__ import annotations

import subprocess
import sys
import warnings

import matplotlib
import pytest
from matplotlib import font_manager

from support.documents import full_document, ROOT, sample_cards, sample_paths
from qkit import KPI, QkitError, from_data, load_rubric, score
from qkit import charts

CARDS = sample_cards()
SAMPLES = {stem: card.assessment for stem, card in CARDS.items()}


def draw(fig):
    """Render the figure with every warning an error: a missing glyph must fail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    return fig


def make(chart, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return draw(chart(*args, **kwargs))


def test_symbols_the_cjk_font_lacks_are_drawn_from_a_fallback_font_without_a_warning():
    """CO₂ and ‱ in the Jiangcheng sample's KPI names and units: Noto Sans CJK has neither glyph, and a missing
    glyph (a warning, an empty box in the Word report) fails here."""
    doc = SAMPLES["hubei-service-jiangcheng"]
    odd = [k for k in doc.results if any(ch in f"{k.name}{k.unit}" for ch in "₂‱")]
    assert len(odd) >= 2
    for lang in ("zh", "en"):
        for kpi in odd:
            make(charts.kpi_trend, kpi, lang)
    fig = charts._figure(4, 2)
    fig.add_subplot().set_title("吨CO₂e/万元 · 货损率 1.0‱")
    draw(fig)


@pytest.mark.parametrize("stem", sorted(SAMPLES))
def test_every_chart_draws_for_every_sample(stem):
    card, doc = CARDS[stem], SAMPLES[stem]
    for lang in ("zh", "en"):
        for chart in (charts.item_radar, charts.clause_bars, charts.priority_chart, charts.factor_heatmap):
            fig = make(chart, card, lang)
            assert fig.axes and fig.get_suptitle()
        for kpi in doc.results[:: max(1, len(doc.results) // 6)]:
            make(charts.kpi_trend, kpi, lang)
    make(charts.item_radar, card, compare=card)


def test_cohort_chart_shows_every_applicant_highest_total_first():
    given = [CARDS[s] for s in sorted(CARDS)]
    cards = sorted(given, key=lambda c: -c.percent)
    assert cards != given  # the chart really sorts
    for lang in ("zh", "en"):
        fig = make(charts.cohort_chart, given, lang)
        totals, items = fig.axes
        bars = totals.containers[0]
        assert [b.get_width() for b in bars] == pytest.approx([c.percent for c in cards])
        labels = [t.get_text() for t in totals.get_yticklabels()]
        assert labels == [c.assessment.applicant.get("short_name") or c.assessment.name for c in cards]
        grid = items.images[0].get_array()
        for r, card in enumerate(cards):
            assert sorted(v for v in grid[r].compressed()) == pytest.approx(sorted(i.percent for i in card.items))


def test_radar_has_one_vertex_per_item():
    for stem, card in CARDS.items():
        fig = make(charts.item_radar, card)
        (polygon,) = [line for line in fig.axes[0].lines if line.get_gid() == "polygon"]
        angles, radii = polygon.get_data()
        units = card.clauses if card.rubric.kind == "individual" else card.items
        assert len(angles) == len(units) + 1  # closed: the first vertex repeated
        assert len(set(round(a, 9) for a in angles[:-1])) == len(units)
        expected = [u.score if card.rubric.kind == "individual" else u.percent for u in units]
        assert list(radii[:-1]) == pytest.approx(expected)
    other = CARDS["wuhan-manufacturing-guanggu"]
    fig = make(charts.item_radar, CARDS["hubei-manufacturing-huake"], compare=other)
    assert len([line for line in fig.axes[0].lines if line.get_gid() == "polygon"]) == 2


def test_clause_bars_show_points_and_earned_of_every_clause():
    for card in CARDS.values():
        ax = make(charts.clause_bars, card).axes[0]
        available, earned = ax.containers
        assert [b.get_width() for b in available] == [c.points for c in card.clauses]
        assert [b.get_width() for b in earned] == pytest.approx([c.earned or 0 for c in card.clauses])
        assert [t.get_text().split()[0] for t in ax.get_yticklabels()] == [c.id for c in card.clauses]


def test_unscored_clauses_say_so_in_the_bars():
    rubric = load_rubric("hubei-service")
    data = full_document(rubric, 50)
    first = rubric.clauses[0].id
    del data["clauses"][first]["score"]
    ax = make(charts.clause_bars, score(from_data(data), rubric)).axes[0]
    assert ax.containers[1][0].get_width() == 0
    assert any(t.get_text().startswith("未评分") for t in ax.texts)


def test_priority_chart_ranks_the_points_at_stake():
    for card in CARDS.values():
        for top in (3, 10):
            ax = make(charts.priority_chart, card, top=top).axes[0]
            gaps = [c for c in card.gaps() if c.at_stake > 0][:top]
            widths = [b.get_width() for b in ax.containers[0]]
            assert widths == pytest.approx([c.at_stake for c in gaps])
            assert widths == sorted(widths, reverse=True)
            assert [t.get_text().split()[0] for t in ax.get_yticklabels()] == [c.id for c in gaps]
    rubric = load_rubric("wuhan-service")
    perfect = make(charts.priority_chart, score(from_data(full_document(rubric, 100)), rubric)).axes[0]
    assert not perfect.containers and [t.get_text() for t in perfect.texts] == ["所有条款均为满分，没有可提升分"]


def _cells(ax) -> dict[tuple[int, int], str]:
    return {tuple(round(v) for v in t.get_position()): t.get_text() for t in ax.texts}


def test_heatmap_cells_show_each_factor_band():
    card = CARDS["hubei-manufacturing-huake"]
    fig = make(charts.factor_heatmap, card)
    process, results = fig.axes
    dim = card.rubric.guidelines
    for ax, kind in ((process, "process"), (results, "results")):
        clauses = [c for c in card.clauses if c.kind == kind]
        factors = dim.dimension(kind).factor_ids
        assert [t.get_text().split()[0] for t in ax.get_xticklabels()] == factors + [ax.get_xticklabels()[-1].get_text()]
        cells = _cells(ax)
        for r, c in enumerate(clauses):
            rating = card.assessment.rating(c.id).factors
            for col, f in enumerate(factors):
                low, high = rating[f].split("-")
                assert cells[(col, r)] == f"{low}%–{high}%"
            band = dim.dimension(kind).band_of(c.score)
            assert cells[(len(factors), r)] == f"{band.min}%–{band.max}%"


def test_heatmap_leaves_unrated_factors_blank_and_shows_individual_bands():
    rubric = load_rubric("hubei-medical")
    data = full_document(rubric, 60)
    first = rubric.clauses[0].id
    data["clauses"][first]["factors"] = {"A": "50-65"}
    ax = make(charts.factor_heatmap, score(from_data(data), rubric)).axes[0]
    assert [_cells(ax)[(col, 0)] for col in range(4)] == ["50%–65%", "—", "—", "—"]
    card = CARDS["wuhan-individual-chen"]
    ax = make(charts.factor_heatmap, card).axes[0]
    cells = _cells(ax)
    for r, c in enumerate(card.clauses):
        band = card.rubric.band_of(c.score)
        assert cells[(0, r)] == f"{band.min}%–{band.max}%"


def kpi_shapes():
    """One KPI of every shape in the samples: direction × with comparisons × with target."""
    shapes = {}
    for doc in SAMPLES.values():
        for kpi in doc.results:
            shapes.setdefault((kpi.better, bool(kpi.comparisons), kpi.target is None), kpi)
    return [*shapes.values(), KPI("5.2.4", "未设目标值的指标", "", "higher", None, {2023: 1.0, 2024: 2.0})]


def test_trend_chart_has_target_own_and_one_line_per_comparison():
    assert {k.better for k in kpi_shapes()} == {"higher", "lower"}
    for kpi in kpi_shapes():
        ax = make(charts.kpi_trend, kpi).axes[0]
        lines = {line.get_gid(): line for line in ax.lines}
        own = lines["own"]
        assert dict(zip(own.get_xdata(), own.get_ydata())) == kpi.values
        assert sorted(g for g in lines if g.startswith("comparison:")) == sorted(
            f"comparison:{s}" for s in kpi.comparisons)
        for series, points in kpi.comparisons.items():
            line = lines[f"comparison:{series}"]
            assert dict(zip(line.get_xdata(), line.get_ydata())) == points
        if kpi.target is None:
            assert "target" not in lines
        else:
            assert set(lines["target"].get_ydata()) == {kpi.target}
        lower = [t for t in ax.texts if t.get_gid() == "lower_is_better"]
        assert bool(lower) == (kpi.better == "lower")
        if lower:
            assert "越低越好" in lower[0].get_text()


def test_trend_chart_in_english_marks_lower_is_better():
    kpi = next(k for d in SAMPLES.values() for k in d.results if k.better == "lower")
    ax = make(charts.kpi_trend, kpi, "en").axes[0]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "lower_is_better"] == ["↓ lower is better"]
    assert "target" in ax.get_legend_handles_labels()[1][-1]


def test_cjk_font_is_found_and_used(monkeypatch):
    family = charts.use_cjk_font()
    assert charts.use_cjk_font() == family
    assert matplotlib.rcParams["font.sans-serif"].count(family) == 1
    assert matplotlib.rcParams["font.sans-serif"][0] == family
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert "CJK" in path or "wqy" in path or "SourceHan" in path


def test_no_cjk_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(charts, "FONT_DIRS", [str(tmp_path)])
    with pytest.raises(QkitError) as caught:
        charts.use_cjk_font()
    assert "fonts-noto-cjk" in caught.value.render("zh") and "中文字体" in caught.value.render("zh")
    assert "fonts-noto-cjk" in caught.value.render("en")
    with pytest.raises(QkitError):
        charts.item_radar(CARDS["hubei-manufacturing-huake"])


@pytest.mark.slow  # a fresh Python that imports matplotlib
def test_charts_leave_no_pyplot_state_behind():
    code = (
        "import sys; from qkit import load, load_rubric, score; from qkit import charts\n"
        "doc = load(sys.argv[1]); card = score(doc, load_rubric(doc.rubric))\n"
        "for f in (charts.item_radar, charts.clause_bars, charts.priority_chart, charts.factor_heatmap):\n"
        "    f(card).savefig(sys.argv[2], format='png')\n"
        "charts.kpi_trend(doc.results[0]).savefig(sys.argv[2], format='png')\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    sample = sample_paths()[0]
    result = subprocess.run([sys.executable, "-c", code, str(sample), "/dev/null"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
