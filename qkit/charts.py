"""Charts of a scorecard and its results data, for reports, workbooks and batch summaries.

Every function returns a matplotlib ``Figure`` drawn on the Agg canvas and
never touches pyplot, so figures are not kept in a global registry (no
leaks in long batch runs) and work the same in notebooks, Voila and
scripts. Titles and labels are Chinese unless ``lang="en"``. Chinese text
needs a CJK font: ``use_cjk_font`` finds one (Debian: fonts-noto-cjk) and
raises a clear ``QkitError`` instead of letting matplotlib draw empty boxes.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .compare import Comparison, assessment_label, signed
from .document import KPI
from .errors import Problem, QkitError
from .i18n import fmt_band, fmt_percent, fmt_points, fmt_value, paren, tr
from .palette import AXIS, AVAILABLE, BAND_COLOURS, DOWN, GRID, INK, MUTED, POLAR_GRID, PRIMARY, RESULTS, SERIES, TARGET, UP
from .radar import polygon_labels, radar_title, vertices
from .rubric import Band
from .scoring import Scorecard
from .tables import FactorGrid, band_range, clause_band_label, factor_grids, maturity_label

# None searches the system's fonts; tests point it at other directories.
FONT_DIRS: list[str] | None = None
CJK_FILE_MARKERS = ("NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "SourceHanSerif", "wqy-")
FALLBACK_FAMILY = "DejaVu Sans"  # for the symbols a CJK font lacks
PREFERRED_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Serif CJK SC", "Source Han Serif SC",
                      "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")



@cache
def _cjk_family(font_dirs: tuple[str, ...] | None) -> str:
    files = [f for f in font_manager.findSystemFonts(fontpaths=font_dirs)
             if any(m in Path(f).name for m in CJK_FILE_MARKERS)]
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for f in files:
        if f not in known:
            font_manager.fontManager.addfont(f)
    names = {entry.name for entry in font_manager.fontManager.ttflist if entry.fname in files}
    for name in PREFERRED_FAMILIES:
        if name in names:
            return name
    if not names:
        raise QkitError(Problem("", "no_cjk_font"))
    return sorted(names)[0]


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese with a CJK font, and name the family used.

    Finding the font is cached; setting it is cheap and repeated on every
    call, so a notebook that reset matplotlib's settings still gets it.
    """
    family = _cjk_family(tuple(FONT_DIRS) if FONT_DIRS is not None else None)
    # a list of families falls back glyph by glyph: what the CJK font lacks (CO₂'s ₂, ‱) comes from DejaVu Sans,
    # which matplotlib ships; the generic sans-serif alone would resolve to one font and draw empty boxes
    matplotlib.rcParams["font.family"] = [family, FALLBACK_FAMILY]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    matplotlib.rcParams["font.sans-serif"] = [family, *rest]
    return family


def _figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    use_cjk_font()
    fig = Figure(figsize=(width, height), dpi=110, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _title(ax, text: str, subtitle: str = "") -> None:
    """A bold left-aligned figure title, with the applicant or context in grey beneath it."""
    ax.figure.suptitle(text, x=0.01, ha="left", fontsize=12, fontweight="bold", color="#1a1a1a")
    if subtitle:
        ax.set_title(subtitle, loc="left", fontsize=8.5, color=MUTED)


def _tidy(ax, grid_axis: str = "x") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(AXIS)
    ax.spines["bottom"].set_color(AXIS)
    ax.tick_params(colors=INK, labelsize=8.5)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _label(unit, lang: str) -> str:
    return f"{unit.id} {unit.name(lang)}"


def item_radar(card: Scorecard, lang: str = "zh", compare: Scorecard | None = None) -> Figure:
    """Score % per item, one vertex per item; ``compare`` adds a second polygon, matched by item id.

    The individual award's two groups would make no polygon, so its radar
    has one vertex per indicator. With ``compare`` the legend names each
    polygon by applicant and assessment date (a previous year's assessment,
    or another applicant).
    """
    fig = _figure(6.4, 5.6)
    ax = fig.add_subplot(projection="polar")
    units = vertices(card, lang)
    angles = [2 * math.pi * i / len(units) for i in range(len(units))]
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.tick_params(axis="y", labelsize=7.5, colors=MUTED)
    ax.set_rlabel_position(180 / len(units))
    ax.set_xticks(angles)
    ax.set_xticklabels([u.label for u in units], fontsize=9)
    ax.tick_params(axis="x", pad=10)
    ax.grid(color=POLAR_GRID, linewidth=0.8)
    ax.spines["polar"].set_color(AXIS)
    labels = polygon_labels(card, compare, lang) if compare is not None else (card.applicant_name or card.rubric.id,)
    polygons = [(card, PRIMARY, "-")] + ([(compare, SERIES[0], "--")] if compare is not None else [])
    for (other, colour, style), label in zip(polygons, labels):
        by_id = {u.id: u.percent for u in vertices(other, lang)}
        values = [by_id.get(u.id, math.nan) for u in units]
        ax.plot(angles + angles[:1], values + values[:1], color=colour, linestyle=style, linewidth=2,
                marker="o", markersize=4, label=label, gid="polygon")
        ax.fill(angles, values, color=colour, alpha=0.12)
    for angle, unit in zip(angles, units):
        ax.text(angle, unit.percent + 9, unit.value_label, ha="center", va="center",
                fontsize=8, color=PRIMARY, fontweight="bold")
    if compare is not None:
        ax.legend(loc="upper right", bbox_to_anchor=(1.15, 1.12), fontsize=8.5, frameon=False)
    _title(ax, radar_title(card, lang), card.applicant_name)
    return fig


def item_changes(comparison: Comparison, lang: str = "zh") -> Figure:
    """One bar per item: its change in score, in percentage points; green up, red down, each with its value.

    An item with a clause unscored on either side has no bar, and says so.
    """
    items = comparison.items
    deltas = [i.delta_percent for i in items]
    largest = max([abs(d) for d in deltas if d is not None] + [1.0])
    fig = _figure(7.2, 1.5 + 0.42 * max(len(items), 2))
    ax = fig.add_subplot()
    _tidy(ax)
    y = np.arange(len(items))
    values = [0.0 if d is None else d for d in deltas]
    colours = [UP if v > 0 else DOWN for v in values]
    ax.barh(y, values, height=0.6, color=colours, gid="changes")
    ax.axvline(0, color="#8a939e", linewidth=1)
    for i, (item, delta) in enumerate(zip(items, deltas)):
        if delta is None:
            ax.text(largest * 0.03, i, tr("chart_partial", lang), va="center", ha="left", fontsize=7.5, color=MUTED)
            continue
        text = paren(signed(round(delta, 1)), tr("cmp_points", lang, delta=signed(item.delta_points)), lang)
        offset = largest * 0.03 if delta >= 0 else -largest * 0.03
        ax.text(delta + offset, i, text, va="center", ha="left" if delta >= 0 else "right", fontsize=7.5,
                color=UP if delta > 0 else DOWN if delta < 0 else INK)
    ax.set_yticks(y, [_label(i, lang) for i in items])
    ax.invert_yaxis()
    ax.set_xlim(-largest * 1.6, largest * 1.6)
    ax.set_xlabel(tr("chart_percentage_points", lang), fontsize=9)
    sides = tr("cmp_sides", lang, old=assessment_label(comparison.old, lang),
               new=assessment_label(comparison.new, lang))
    _title(ax, tr("chart_item_changes", lang), sides)
    return fig


def clause_bars(card: Scorecard, lang: str = "zh") -> Figure:
    """Points earned against points available per clause, grouped by item."""
    clauses = card.clauses
    most = max(c.points for c in clauses)
    fig = _figure(7.6, 1.4 + 0.3 * len(clauses))
    ax = fig.add_subplot()
    y = np.arange(len(clauses))
    ax.barh(y, [c.points for c in clauses], height=0.7, color=AVAILABLE, label=tr("points", lang))
    colours = [RESULTS if c.kind == "results" else PRIMARY for c in clauses]
    ax.barh(y, [c.earned or 0 for c in clauses], height=0.7, color=colours, label=tr("earned", lang))
    for i, c in enumerate(clauses):
        if c.score is None:
            text = f"{tr('unscored', lang)} / {c.points}"
        else:
            text = paren(f"{fmt_points(c.earned)} / {c.points}", fmt_percent(c.score), lang)
        ax.text(c.points + most * 0.015, i, text, va="center", fontsize=7.5, color=INK)
    start = 0
    for item in card.items[:-1]:
        start += len(item.clauses)
        ax.axhline(start - 0.5, color=AXIS, linewidth=0.8)
    ax.set_yticks(y, [_label(c, lang) for c in clauses])
    ax.invert_yaxis()
    ax.set_xlim(0, most * 1.3)
    ax.set_xlabel(tr("points", lang), fontsize=9)
    _tidy(ax)
    handles = [Patch(color=AVAILABLE, label=tr("points", lang))]
    for kind, colour in (("process", PRIMARY), ("results", RESULTS)):
        if any(c.kind == kind for c in clauses):
            handles.append(Patch(color=colour, label=paren(tr("earned", lang), tr(kind, lang), lang)))
    if len(handles) == 1:
        handles.append(Patch(color=PRIMARY, label=tr("earned", lang)))
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True, facecolor="white", edgecolor="none")
    total = paren(f"{tr('total', lang)} {fmt_points(card.total)} / {card.max}", fmt_percent(round(card.percent, 1)), lang)
    _title(ax, tr("chart_clauses", lang), f"{card.applicant_name} · {total}")
    return fig


def clause_bands(card: Scorecard, lang: str = "zh") -> Figure:
    """Each clause's score as the band it falls in, a bar across the band, grouped by item: the clause chart
    of a report that releases bands only (``clause_bars`` would show the exact scores)."""
    clauses = card.clauses
    fig = _figure(7.6, 1.4 + 0.3 * len(clauses))
    ax = fig.add_subplot()
    y = np.arange(len(clauses))
    ax.barh(y, [100] * len(clauses), height=0.7, color=AVAILABLE)
    for i, c in enumerate(clauses):
        span = band_range(card, c)
        if span is None:
            ax.text(1.5, i, tr("unscored", lang), va="center", fontsize=7.5, color=MUTED)
            continue
        low, high = span
        ax.barh(i, high - low, left=low, height=0.7, color=RESULTS if c.kind == "results" else PRIMARY)
        label = clause_band_label(card, c, lang)
        ax.text(101.5, i, paren(label, tr("proposed_score", lang), lang) if c.proposed else label, va="center",
                fontsize=7.5, color=INK)
    start = 0
    for item in card.items[:-1]:
        start += len(item.clauses)
        ax.axhline(start - 0.5, color=AXIS, linewidth=0.8)
    ax.set_yticks(y, [_label(c, lang) for c in clauses])
    ax.invert_yaxis()
    ax.set_xlim(0, 130)
    ax.set_xticks(sorted({0, 100, *(b.min for b in card.rubric.bands)}))  # the bands' edges
    ax.xaxis.set_major_formatter(PercentFormatter())
    ax.set_xlabel(tr("score_band", lang), fontsize=9)
    _tidy(ax)
    handles = []
    for kind, colour in (("process", PRIMARY), ("results", RESULTS)):
        if any(c.kind == kind for c in clauses):
            handles.append(Patch(color=colour, label=paren(tr("score_band", lang), tr(kind, lang), lang)))
    if not handles:
        handles.append(Patch(color=PRIMARY, label=tr("score_band", lang)))
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(handles), fontsize=8,
              frameon=False)
    total = f"{tr('total', lang)} {maturity_label(card, lang)}"
    _title(ax, tr("chart_clause_bands", lang), f"{card.applicant_name} · {total}")
    return fig


def priority_chart(card: Scorecard, lang: str = "zh", top: int = 10) -> Figure:
    """The ``top`` clauses with the most points at stake, largest first."""
    gaps = card.priorities(top)
    fig = _figure(7.2, 1.5 + 0.36 * max(len(gaps), 2))
    ax = fig.add_subplot()
    _tidy(ax)
    if not gaps:
        ax.text(0.5, 0.5, tr("chart_no_gaps", lang), ha="center", va="center", transform=ax.transAxes,
                fontsize=10, color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        y = np.arange(len(gaps))
        ax.barh(y, [c.at_stake for c in gaps], height=0.65, color=TARGET, alpha=0.85, label=tr("at_stake", lang))
        most = gaps[0].at_stake
        for i, c in enumerate(gaps):
            score = tr("unscored", lang) if c.score is None else fmt_percent(c.score)
            ax.text(c.at_stake + most * 0.015, i, paren(fmt_points(c.at_stake), f"{tr('score', lang)} {score}", lang),
                    va="center", fontsize=7.5, color=INK)
        ax.set_yticks(y, [_label(c, lang) for c in gaps])
        ax.invert_yaxis()
        ax.set_xlim(0, most * 1.35)
        ax.set_xlabel(tr("at_stake", lang), fontsize=9)
    _title(ax, tr("chart_priorities", lang, n=len(gaps)), card.applicant_name)
    return fig


def _band_text(band: Band | None) -> str:
    return "—" if band is None else fmt_band(band)


def _heat(ax, grid: FactorGrid) -> None:
    """Cells coloured by band (darker is higher), each with its band as text."""
    steps = len(grid.scale)
    shades = np.array([[np.nan if b is None else grid.shade(b) for b in bands] for _, bands in grid.rows], dtype=float)
    ax.imshow(np.ma.masked_invalid(shades), cmap=ListedColormap(grid.colours), vmin=-0.5, vmax=steps - 0.5,
              aspect="auto")
    for r, (_, bands) in enumerate(grid.rows):
        for c, band in enumerate(bands):
            ax.text(c, r, _band_text(band), ha="center", va="center", fontsize=7.5,
                    color="white" if band is not None and grid.dark(band) else INK)
    ax.set_xticks(range(len(grid.columns)), grid.columns, fontsize=8.5)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(grid.rows)), [label for label, _ in grid.rows], fontsize=8.5)
    ax.set_xticks(np.arange(len(grid.columns) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(grid.rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def factor_heatmap(card: Scorecard, lang: str = "zh") -> Figure:
    """Each clause's factor ratings (A D L I, or Le T C I for results) and its score, as bands
    (``tables.factor_grids``; the HTML report shows the same grids as a table).

    Cells show the band compactly (``50–65%``); blank cells are factors not
    yet rated. The individual award has no factors, so its chart shows
    the band of each indicator's score.
    """
    grids = factor_grids(card, lang)
    if grids[0].kind is None:
        fig = _figure(4.6, 1.4 + 0.36 * len(grids[0].rows))
        ax = fig.add_subplot()
        _heat(ax, grids[0])
        _title(ax, tr("chart_factors_individual", lang), card.applicant_name)
        return fig
    fig = _figure(7.0, 1.6 + 0.34 * sum(len(g.rows) for g in grids) + 0.5 * len(grids))
    axes = fig.subplots(len(grids), 1, gridspec_kw={"height_ratios": [len(g.rows) + 1.2 for g in grids]},
                        squeeze=False)[:, 0]
    for ax, grid in zip(axes, grids):
        _heat(ax, grid)
        ax.axvline(len(grid.columns) - 1.5, color="white", linewidth=6)  # the factors apart from the score
        ax.set_ylabel(tr(grid.kind, lang), fontsize=9, color=MUTED)
    _title(axes[0], tr("chart_factors", lang), card.applicant_name)
    return fig


def kpi_trend(kpi: KPI, lang: str = "zh") -> Figure:
    """One KPI over the years: our values, the target and every comparison series.

    Reports draw one per KPI, dozens per applicant, so the layout is fixed
    rather than constrained: solving the layout took a third of the drawing time.
    """
    fig = _figure(6.4, 3.8, layout=None)
    fig.subplots_adjust(left=0.12, right=0.95, top=0.84, bottom=0.27)
    ax = fig.add_subplot()
    _tidy(ax, "y")
    own = sorted(kpi.values.items())
    ax.plot([y for y, _ in own], [v for _, v in own], color=PRIMARY, linewidth=2.4, marker="o", markersize=5,
            label=tr("own_series", lang), gid="own", zorder=3)
    year, value = own[-1]
    ax.annotate(fmt_value(value), (year, value), xytext=(6, 0), textcoords="offset points", va="center",
                fontsize=8, color=PRIMARY, fontweight="bold")
    for (series, points), colour in zip(kpi.comparisons.items(), SERIES * len(kpi.comparisons)):
        line = sorted(points.items())
        ax.plot([y for y, _ in line], [v for _, v in line], color=colour, linewidth=1.6, linestyle="--",
                marker="s", markersize=3.5, label=series, gid=f"comparison:{series}")
    if kpi.target is not None:
        ax.axhline(kpi.target, color=TARGET, linewidth=1.2, linestyle=(0, (4, 3)),
                   label=f"{tr('col_target', lang)} {fmt_value(kpi.target)}", gid="target")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.08, y=0.15)
    ax.set_xlabel(tr("col_year", lang), fontsize=9)
    if kpi.unit:
        ax.set_ylabel(kpi.unit, fontsize=9)
    if kpi.better == "lower":
        ax.text(1, 1.01, "↓ " + tr("better_lower", lang), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8.5, color=TARGET, gid="lower_is_better")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8, frameon=False)
    _title(ax, kpi.name, paren(kpi.clause, kpi.unit, lang) if kpi.unit else kpi.clause)
    return fig


def cohort_chart(cards: list[Scorecard], lang: str = "zh") -> Figure:
    """Several applicants side by side, highest total first: total as % of the maximum, and each item's score %."""
    cards = sorted(cards, key=lambda c: -c.percent)
    names = [c.applicant_name or c.rubric.id for c in cards]
    columns: dict[str, set[str]] = {}
    for card in cards:
        for unit in card.items:
            columns.setdefault(unit.id, set()).add(unit.name(lang))
    headings = [f"{i} {next(iter(t))}" if len(t) == 1 else i for i, t in columns.items()]
    grid = np.full((len(cards), len(columns)), np.nan)
    for r, card in enumerate(cards):
        for unit in card.items:
            grid[r, list(columns).index(unit.id)] = unit.percent
    fig = _figure(3.2 + 0.95 * len(columns), 1.8 + 0.42 * len(cards))
    left, right = fig.subplots(1, 2, width_ratios=[1.2, 0.5 + 0.62 * len(columns)], sharey=True)
    y = np.arange(len(cards))
    left.barh(y, [c.percent for c in cards], height=0.6, color=PRIMARY, label=tr("total", lang))
    for i, card in enumerate(cards):
        left.text(card.percent + 1.5, i, f"{fmt_points(card.total)} / {card.max}", va="center", fontsize=7.5,
                  color=INK)
    left.set_yticks(y, names, fontsize=8.5)
    left.invert_yaxis()
    left.set_xlim(0, 119)
    left.set_xticks([0, 25, 50, 75, 100])
    left.xaxis.set_major_formatter(PercentFormatter())
    left.set_xlabel(tr("chart_total_percent", lang), fontsize=9)
    _tidy(left)
    right.imshow(np.ma.masked_invalid(grid), cmap=ListedColormap(BAND_COLOURS), vmin=0, vmax=100, aspect="auto")
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            value = grid[r, c]
            right.text(c, r, "—" if np.isnan(value) else fmt_percent(round(value)), ha="center", va="center",
                       fontsize=7.5, color="white" if value >= 50 else INK)
    right.set_xticks(range(len(headings)), headings, fontsize=8, rotation=30, ha="right", rotation_mode="anchor")
    right.tick_params(which="both", length=0, labelleft=False)
    for spine in right.spines.values():
        spine.set_visible(False)
    _title(left, tr("chart_cohort", lang), tr("chart_cohort_note", lang, n=len(cards)))
    return fig


def spread_chart(card: Scorecard, lang: str = "zh") -> Figure:
    """A consensus document: per clause a bar from the lowest to the highest independent score, and the agreed
    score as a point (hollow while it is only proposed)."""
    clauses = [c for c in card.clauses if c.independent_range is not None]
    fig = _figure(7.2, 1.5 + 0.32 * max(len(clauses), 2))
    ax = fig.add_subplot()
    _tidy(ax)
    y = np.arange(len(clauses))
    for i, c in enumerate(clauses):
        low, high = c.independent_range
        ax.plot([low, high], [i, i], color=SERIES[0], linewidth=5, solid_capstyle="round", alpha=0.45)
        for _, own in c.independent:
            if own is not None:
                ax.plot(own, i, "|", color=SERIES[0], markersize=9)
        if c.score is not None:
            ax.plot(c.score, i, "o", color=PRIMARY, markersize=6, markerfacecolor="white" if c.proposed else PRIMARY)
    ax.set_yticks(y, [_label(c, lang) for c in clauses], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter())
    handles = [Patch(color=SERIES[0], alpha=0.45, label=tr("independent_range", lang)),
               Line2D([], [], marker="o", color=PRIMARY, linestyle="", label=tr("consensus_score", lang))]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True, facecolor="white", edgecolor="none")
    _title(ax, tr("chart_spread", lang), card.applicant_name)
    return fig
