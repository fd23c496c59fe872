"""What the results data (KPIs) say: levels, trends, comparisons and a LeTCI hint.

Assessors score results clauses by judging levels, trends, comparisons and
integration (Le-T-C-I, table A.2). This module reads the KPIs of a document
so they can do that from facts rather than impressions: each KPI's latest
value against its target, its trend and its standing against every named
comparison series, always aware of whether lower is better.

Per results clause (and per individual-award indicator that has KPIs) it
counts the coverage and drafts a *hint*: a band of the results guidelines
with the plain sentences that support it. The hint is advice for the
assessor, shown next to their score; it never changes a score.

The hint rule, in full (``MIN_KPIS`` = 3):

1. Le, T and C each get a share, taken over the clause's KPIs but over at
   least three, so a clause reporting one or two results cannot look
   complete:

   - Le: KPIs whose latest value meets their target;
   - T: KPIs with a favourable trend (three or more years, least-squares
     slope in the good direction);
   - C: for every KPI, the fraction of its comparison series it leads at
     their latest common year, added up.

2. Each share, read as a percentage, falls in a band of the guidelines
   (``band_of``: between two bands the lower one). 4 of 5 KPIs meeting their
   target is 80 %, band 70–85.
3. The hint band is the median of the Le, T and C bands. Integration (I)
   cannot be read from numbers; the hint leaves it to the assessor.

For the individual award the bands are the award's own four described
bands; a share below the lowest (30 %) has no band.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import linear_regression, median
from typing import TYPE_CHECKING

from .document import KPI, Assessment
from .i18n import fmt_value, join_list, tr
from .rubric import Band, IndividualRubric, OrganizationRubric

if TYPE_CHECKING:  # the frames need pandas; the analysis and the hint (the web form's) do not
    import pandas as pd

MIN_TREND_POINTS = 3
MIN_KPIS = 3
FAVOURABLE, UNFAVOURABLE, FLAT = "favourable", "unfavourable", "flat"
LEADING, LEVEL, TRAILING = "leading", "level", "trailing"

VALUE_COLUMNS = ["kpi_no", "clause", "kpi", "unit", "better", "series", "year", "value"]
SUMMARY_COLUMNS = ["kpi_no", "clause", "kpi", "unit", "better", "years", "latest_year", "latest", "target",
                   "met", "gap", "trend", "slope", "favourable_changes", "changes", "comparisons"]


def _good(change: float, better: str) -> float:
    """A difference turned so that positive is good, whatever the KPI's direction."""
    return -change if better == "lower" else change


@dataclass(frozen=True)
class Comparison:
    """Our value against one comparison series at the latest year both have."""

    series: str
    year: int
    ours: float
    theirs: float
    standing: str  # leading, level or trailing, direction-aware

    def describe(self, lang: str = "zh") -> str:
        sep = "" if lang != "en" else " "
        return f"{tr('standing_' + self.standing, lang)}{sep}{self.series}"


@dataclass(frozen=True)
class KpiAnalysis:
    kpi: KPI
    latest_year: int | None
    latest: float | None
    met: bool | None  # None when the KPI has no target
    gap: float | None  # how far the latest value beats the target (negative: short of it)
    trend: str | None  # favourable, unfavourable or flat; None below MIN_TREND_POINTS years
    slope: float | None  # least-squares change per year, in the KPI's unit
    favourable_changes: int
    changes: int
    comparisons: tuple[Comparison, ...]

    @property
    def has_trend(self) -> bool:
        return self.trend is not None

    @property
    def lead_share(self) -> float:
        """The fraction of comparison series this KPI leads (0 without comparisons)."""
        if not self.comparisons:
            return 0.0
        return sum(c.standing == LEADING for c in self.comparisons) / len(self.comparisons)

    @property
    def standing(self) -> str | None:
        """leading (ahead of every series), trailing (behind every series), mixed, or None."""
        if not self.comparisons:
            return None
        standings = {c.standing for c in self.comparisons}
        return standings.pop() if standings in ({LEADING}, {TRAILING}) else "mixed"


def _comparison(kpi: KPI, series: str, points: dict[int, float]) -> Comparison | None:
    common = set(kpi.values) & set(points)
    if not common:
        return None
    year = max(common)
    ours, theirs = kpi.values[year], points[year]
    ahead = _good(ours - theirs, kpi.better)
    standing = LEADING if ahead > 0 else TRAILING if ahead < 0 else LEVEL
    return Comparison(series, year, ours, theirs, standing)


def analyze_kpi(kpi: KPI) -> KpiAnalysis:
    """Level, trend and comparisons of one KPI, each direction-aware."""
    years = sorted(kpi.values)
    values = [kpi.values[y] for y in years]
    latest_year = years[-1] if years else None
    latest = values[-1] if values else None
    met = gap = None
    if kpi.target is not None and latest is not None:
        gap = _good(latest - kpi.target, kpi.better)
        met = gap >= 0
    steps = [_good(b - a, kpi.better) for a, b in zip(values, values[1:])]
    trend = slope = None
    if len(years) >= MIN_TREND_POINTS:
        slope = linear_regression(years, values).slope  # least squares, per year
        scale = max(abs(v) for v in values) or 1.0
        good = _good(slope, kpi.better)
        trend = FLAT if abs(slope) <= 1e-9 * scale else FAVOURABLE if good > 0 else UNFAVOURABLE
    comparisons = tuple(c for series, points in kpi.comparisons.items()
                        if (c := _comparison(kpi, series, points)) is not None)
    return KpiAnalysis(kpi, latest_year, latest, met, gap, trend, slope,
                       sum(s > 0 for s in steps), len(steps), comparisons)


@dataclass(frozen=True)
class Coverage:
    """How much results evidence a clause has."""

    kpis: int
    with_target: int
    met: int
    trended: int
    favourable: int
    unfavourable: int
    compared: int
    leading: int  # KPIs ahead of every comparison series
    trailing: int  # KPIs behind every comparison series

    @classmethod
    def of(cls, analyses: list[KpiAnalysis]) -> "Coverage":
        return cls(
            kpis=len(analyses),
            with_target=sum(a.met is not None for a in analyses),
            met=sum(bool(a.met) for a in analyses),
            trended=sum(a.has_trend for a in analyses),
            favourable=sum(a.trend == FAVOURABLE for a in analyses),
            unfavourable=sum(a.trend == UNFAVOURABLE for a in analyses),
            compared=sum(bool(a.comparisons) for a in analyses),
            leading=sum(a.standing == LEADING for a in analyses),
            trailing=sum(a.standing == TRAILING for a in analyses),
        )


@dataclass(frozen=True)
class LetciHint:
    """A suggested results band with the sentences behind it; advice, never a score."""

    band: Band | None
    factors: dict[str, Band | None]  # Le, T, C: the band each share falls in
    shares: dict[str, float]  # Le, T, C: percentages on the guideline scale
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class ClauseResults:
    id: str
    title: str
    kpis: tuple[KpiAnalysis, ...]
    coverage: Coverage
    hint: LetciHint


def _sentences(cov: Coverage, analyses: list[KpiAnalysis], lang: str, for_applicant: bool = False) -> list[str]:
    if not cov.kpis:
        return [tr("hint_no_kpis", lang)]
    sep = "，" if lang != "en" else "; "
    levels = tr("hint_levels", lang, n=cov.kpis, met=cov.met)
    if cov.with_target < cov.kpis:
        levels += sep + tr("hint_no_target", lang, k=cov.kpis - cov.with_target)
    if cov.trended:
        trends = tr("hint_trends", lang, trended=cov.trended, favourable=cov.favourable)
        if cov.unfavourable:
            trends += sep + tr("hint_trends_unfavourable", lang, k=cov.unfavourable)
    else:
        trends = tr("hint_no_trends", lang)
    compared = [a for a in analyses if a.comparisons]
    if not compared:
        comparisons = tr("hint_no_comparisons", lang)
    elif len(compared) == 1:
        detail = join_list([c.describe(lang) for c in compared[0].comparisons], lang)
        comparisons = tr("hint_one_comparison", lang, detail=detail)
    else:
        comparisons = tr("hint_comparisons", lang, compared=cov.compared, leading=cov.leading)
        if cov.trailing:
            comparisons += sep + tr("hint_comparisons_trailing", lang, k=cov.trailing)
    # integration is the assessors' to judge: said to them, or to an applicant as what the assessors did
    return [levels, trends, comparisons, tr("hint_integration_applicant" if for_applicant else "hint_integration", lang)]


def draft_hint(analyses: list[KpiAnalysis], rubric: OrganizationRubric | IndividualRubric,
               lang: str = "zh", for_applicant: bool = False) -> LetciHint:
    """The LeTCI hint for one clause's KPIs, by the rule in the module docstring; ``for_applicant`` words it for
    the applicant who reads a feedback report rather than for an assessor."""
    band_of = rubric.results_band_of
    cov = Coverage.of(analyses)
    base = max(cov.kpis, MIN_KPIS)
    shares = {
        "Le": 100 * cov.met / base,
        "T": 100 * cov.favourable / base,
        "C": 100 * sum(a.lead_share for a in analyses) / base,
    }
    factors = {f: band_of(share) for f, share in shares.items()}
    return LetciHint(band_of(median(shares.values())), factors, shares,
                     tuple(_sentences(cov, analyses, lang, for_applicant)))


def analyze_results(doc: Assessment, rubric: OrganizationRubric | IndividualRubric,
                    lang: str = "zh", for_applicant: bool = False) -> list[ClauseResults]:
    """Coverage and hint for every results clause, or every indicator with KPIs (``draft_hint``)."""
    out = []
    for clause in (c for c in rubric.results_clauses if rubric.hints_for(c, bool(doc.kpis(c.id)))):
        analyses = [analyze_kpi(k) for k in doc.kpis(clause.id)]
        out.append(ClauseResults(clause.id, clause.name(lang), tuple(analyses),
                                 Coverage.of(analyses), draft_hint(analyses, rubric, lang, for_applicant)))
    return out


def kpi_values_frame(doc: Assessment, lang: str = "zh") -> pd.DataFrame:
    """Every KPI value, tidy: one row per KPI × series × year.

    ``series`` is ``本组织`` (``Our organization`` in English) for the
    applicant's own values, else the comparison's name; ``kpi_no`` is the
    KPI's position in ``results`` (1-based), as in problem field paths.
    """
    import pandas as pd

    own = tr("own_series", lang)
    rows = [
        (no, kpi.clause, kpi.name, kpi.unit, kpi.better, series, year, float(value))
        for no, kpi in enumerate(doc.results, 1)
        for series, points in [(own, kpi.values), *kpi.comparisons.items()]
        for year, value in sorted(points.items())
    ]
    return pd.DataFrame(rows, columns=VALUE_COLUMNS).astype({"kpi_no": int, "year": int, "value": float})


def kpi_summary_frame(doc: Assessment, lang: str = "zh") -> pd.DataFrame:
    """One row per KPI: latest value, target, met, trend, slope, favourable changes, comparisons.

    Column names are stable identifiers (``localize_columns`` gives headings);
    ``better``, ``trend`` and ``comparisons`` are text in the chosen language.
    """
    import pandas as pd

    rows = []
    for no, kpi in enumerate(doc.results, 1):
        a = analyze_kpi(kpi)
        comparisons = join_list([tr("comparison_detail", lang, standing=c.describe(lang), year=c.year,
                                    ours=fmt_value(c.ours), theirs=fmt_value(c.theirs))
                                 for c in a.comparisons], lang)
        rows.append((no, kpi.clause, kpi.name, kpi.unit, tr("better_" + kpi.better, lang), len(kpi.values), a.latest_year, a.latest,
                     kpi.target, a.met, _rounded(a.gap), tr("trend_" + (a.trend or "none"), lang), _rounded(a.slope),
                     a.favourable_changes, a.changes, comparisons))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _rounded(value: float | None) -> float | None:
    """A computed difference without float noise (-0.7, not -0.7000000000000028): six significant digits."""
    return None if value is None else float(f"{value:.6g}")


def localize_columns(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The frame with column headings in the user's language, for reports and Excel."""
    return frame.rename(columns=lambda c: tr("col_" + c, lang))
