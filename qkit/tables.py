"""The scorecard as tables, with headers in the user's language.

One set of tables serves the report's item table and appendix, the Excel
workbook and the batch summary, so the same numbers never get computed twice.
Cells hold numbers (not formatted text) so Excel can sum and sort them; empty
cells are ``None``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .cohort import ClauseStats, Entry
from .compare import Comparison, assessment_label, signed
from .consensus import calibration
from .i18n import fmt_band, fmt_cell, fmt_percent, fmt_points, fmt_value, join_list, tr
from .palette import BAND_COLOURS
from .rubric import Band
from .scoring import Scorecard


def maturity_label(card: Scorecard, lang: str = "zh") -> str:
    """The maturity band as 50%–65%, or (individual award) a total below the lowest described band."""
    maturity = card.maturity
    if maturity.band is None:
        return tr("below_described", lang, band=fmt_band(maturity.below))
    return fmt_band(maturity.band)


def item_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """One row per item (or indicator group): points, earned, percent; the total last."""
    rows = [(i.id, i.name(lang), i.points, i.earned, round(i.percent, 1)) for i in card.items]
    rows.append(("", tr("total", lang), card.max, card.total, round(card.percent, 1)))
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["item"], lang), tr("title", lang), tr("points", lang),
                                       tr("earned", lang), tr("score", lang)])


def clause_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """One row per clause: score, points earned, the suggested band and any flag."""
    rows = []
    for item in card.items:
        for c in item.clauses:
            rows.append((item.id, c.id, c.name(lang), tr(c.kind, lang), c.points, c.score, c.earned,
                         fmt_band(c.suggestion.band) if c.suggestion else None,
                         c.suggestion.score if c.suggestion else None,
                         c.flag.short(lang) if c.flag else tr("to_review", lang) if c.to_review else None,
                         c.notes or None))
    return pd.DataFrame(rows, columns=[
        tr(card.rubric.words["item"], lang), tr(card.rubric.words["clause"], lang), tr("title", lang),
        tr("kind", lang), tr("points", lang),
        tr("score", lang), tr("earned", lang), tr("suggested", lang), tr("suggested_score", lang),
        tr("flag", lang), tr("justified", lang)])


def consensus_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """A consensus document's clauses: each assessor's independent score, their range, the agreed score, flags."""
    names = list(dict.fromkeys(name for c in card.clauses for name, _ in c.independent))
    rows = []
    for c in card.clauses:
        own = dict(c.independent)
        span = c.independent_range
        rows.append([c.id, c.name(lang), *(own.get(n) for n in names),
                     None if span is None else f"{span[0]}%–{span[1]}%", c.score,
                     tr("proposed", lang) if c.proposed else None,
                     c.flag.short(lang) if c.flag else None])
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), *names,
                                       tr("independent_range", lang), tr("consensus_score", lang),
                                       tr("state", lang), tr("flag", lang)])


def calibration_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Each assessor's mean deviation from the consensus: lenient above zero, severe below."""
    rows = [(name, deviation, tr("lenient" if deviation > 0 else "severe" if deviation < 0 else "on_consensus", lang))
            for name, deviation in calibration(card).items()]
    return pd.DataFrame(rows, columns=[tr("assessors", lang), tr("mean_deviation", lang), tr("tendency", lang)])


def feedback_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Every strength and OFI, one per row, in clause order."""
    rows = []
    for c in card.clauses:
        rating = card.assessment.rating(c.id)
        for kind, texts in (("strengths", rating.strengths), ("ofis", rating.ofis)):
            for n, text in enumerate(texts, 1):
                rows.append((c.id, c.name(lang), tr(kind, lang), n, text))
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), tr("kind", lang),
                                       tr("number", lang), tr("content", lang)])


def priority_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Clauses with points still at stake, largest first, each with its OFIs."""
    rows = [(rank, c.id, c.name(lang), c.points, c.score, c.at_stake, "\n".join(c.ofis) or None)
            for rank, c in enumerate(card.priorities(), 1)]
    return pd.DataFrame(rows, columns=[tr("rank", lang), tr(card.rubric.words["clause"], lang), tr("title", lang), tr("points", lang),
                                       tr("score", lang), tr("at_stake", lang), tr("ofis", lang)])


def summary_frame(cards: list[Scorecard], files: list[str], lang: str = "zh") -> pd.DataFrame:
    """The cohort, one row per applicant: its file, each item's points, total and maturity band.

    Applicants of different standards have different items; every item column
    comes before the totals, empty where an applicant's standard lacks it.
    """
    lead = [tr("file", lang), tr("applicant", lang), tr("standard", lang)]
    tail = [tr("total", lang), tr("total_points", lang), tr("score", lang), tr("maturity", lang), tr("unscored", lang)]
    items: dict[str, None] = {}
    rows = []
    for card, file in zip(cards, files):
        row = dict(zip(lead, (file, card.assessment.name, card.rubric.title(lang))))
        for item in card.items:
            items[f"{item.id} {item.name(lang)}"] = None
            row[f"{item.id} {item.name(lang)}"] = item.earned
        row.update(zip(tail, (card.total, card.max, round(card.percent, 1), maturity_label(card, lang),
                              join_list(card.missing, lang) or None)))
        rows.append(row)
    return pd.DataFrame(rows, columns=lead + list(items) + tail)


# --- a cohort (qkit.cohort) ----------------------------------------------------------------


def rank_frame(entries: list[Entry], lang: str = "zh") -> pd.DataFrame:
    """One standard's applicants ranked by total: rank, applicant, assessors, stage, items, total, maturity.

    An applicant scored by several assessors is one row: the median of their totals (and of each item).
    """
    rubric = entries[0].rubric
    items = [f"{i.id} {i.name(lang)}" for i in rubric.items]
    head = [tr("rank", lang), tr(rubric.words["applicant"], lang), tr("assessors", lang), tr("stage", lang),
            tr("file", lang)]
    tail = [tr("total", lang), tr("total_points", lang), tr("score", lang), tr(rubric.words["maturity"], lang)]
    rows = []
    for rank, entry in enumerate(entries, 1):
        earned = [statistics.median(card.items[n].earned for card in entry.cards) for n in range(len(rubric.items))]
        card = min(entry.cards, key=lambda c: abs(c.total - entry.total))  # the assessment nearest the median
        rows.append([rank, entry.name, join_list(entry.assessors, lang) or None, entry.stage or None,
                     join_list(list(entry.files), lang), *earned, entry.total, rubric.total_points,
                     round(entry.percent, 1), maturity_label(card, lang)])
    return pd.DataFrame(rows, columns=head + items + tail)


def cohort_clause_frame(stats: list[ClauseStats], lang: str = "zh") -> pd.DataFrame:
    """Every clause of a standard: each applicant's score, then the cohort's mean, minimum, maximum and spread."""
    names = list(stats[0].scores)
    rows = [[s.id, s.name(lang), *(s.scores[n] for n in names), s.mean, s.low, s.high, s.spread,
             tr("cohort_weakest", lang) if s.weakest else None] for s in stats]
    return pd.DataFrame(rows, columns=[tr("clause", lang), tr("title", lang), *names, tr("cohort_mean", lang),
                                       tr("cohort_min", lang), tr("cohort_max", lang), tr("range", lang),
                                       tr("flag", lang)])


def spread_frame(entries: list[Entry], lang: str = "zh") -> pd.DataFrame:
    """For every applicant scored by several assessors, each clause's scores side by side and its flags."""
    rows = []
    for entry in entries:
        table = entry.spread()
        if table is None:
            continue
        for c in table.clauses:
            scores = "；".join(f"{a} {fmt_cell(c.scores[a], True)}" for a in table.assessors)
            rows.append([entry.name, c.id, c.name(lang), scores, c.range, c.proposal,
                         join_list([tr(f"spread_{r}", lang) for r in c.reasons], lang) or None])
    return pd.DataFrame(rows, columns=[tr("applicant", lang), tr("clause", lang), tr("title", lang),
                                       tr("assessors", lang), tr("range", lang), tr("suggested_score", lang),
                                       tr("flag", lang)])


# --- the factor ratings as bands (the factor heatmap) ----------------------------------------


@dataclass(frozen=True)
class FactorGrid:
    """One block of the factor heatmap: a kind of clause (None: the individual award's score bands), its
    columns (the factors, then the score), and each clause's row of bands (None: not rated yet)."""

    kind: str | None
    columns: list[str]
    rows: list[tuple[str, list[Band | None]]]
    scale: list[Band]  # lowest first

    def shade(self, band: Band) -> int:
        """The band's step on the scale, 0 for the lowest: darker is higher."""
        return [b.key for b in self.scale].index(band.key)

    @property
    def colours(self) -> tuple[str, ...]:
        """The fill of each step, lowest first: the palette's darkest shades, as many as the scale has steps."""
        return BAND_COLOURS[-len(self.scale):]

    def dark(self, band: Band) -> bool:
        """Whether the band's fill is dark enough to want white text (its three highest steps)."""
        return self.shade(band) >= len(self.scale) - 3


def factor_grids(card: Scorecard, lang: str = "zh") -> list[FactorGrid]:
    """Each clause's factor ratings (A D L I, or Le T C I for results) and its score, as bands, a block per
    kind of clause; a standard without factors (the individual award) gets one column, each score's band."""
    rubric = card.rubric

    def label(clause) -> str:
        return f"{clause.id} {clause.name(lang)}"

    if all(rubric.dimension(c) is None for c in rubric.clauses):
        rows = [(label(c), [None if c.score is None else rubric.band_of(c.score)]) for c in card.clauses]
        return [FactorGrid(None, [tr("chart_score_band", lang)], rows, sorted(rubric.bands, key=lambda b: b.min))]
    grids = []
    for kind in ("process", "results"):
        clauses = [c for c in card.clauses if c.kind == kind]
        if not clauses:
            continue
        dimension = rubric.dimension(clauses[0])
        rows = []
        for c in clauses:
            factors = card.assessment.rating(c.id).factors
            bands = [dimension.band(factors[f]) if f in factors else None for f in dimension.factor_ids]
            rows.append((label(c), bands + [None if c.score is None else dimension.band_of(c.score)]))
        columns = [f"{f.id} {f.name(lang)}" for f in dimension.factors] + [tr("score", lang)]
        grids.append(FactorGrid(kind, columns, rows, sorted(dimension.bands, key=lambda b: b.min)))
    return grids


# --- two assessments compared (qkit.compare) -------------------------------------------


def change_columns(lang: str = "zh") -> dict[str, str]:
    """The headers of the comparison tables, by role: the views find their columns through these."""
    return {"old": tr("cmp_old_score", lang), "new": tr("cmp_new_score", lang),
            "delta_percent": tr("cmp_delta_percent", lang), "delta_points": tr("cmp_delta_points", lang),
            "old_band": tr("cmp_old_band", lang), "new_band": tr("cmp_new_band", lang)}


def _band_cell(band: Band | None, score: int | None, lang: str) -> str | None:
    """A clause's band; a score below the lowest described band (individual award) says so; unscored is empty."""
    if score is None:
        return None
    return fmt_band(band) if band else tr("below_described_short", lang)


def item_change_frame(comparison: Comparison, lang: str = "zh") -> pd.DataFrame:
    """One row per item: score % before and after, the change in percentage points and in points; the total last.

    An item (or the total) with a clause unscored on either side has no change (None).
    """
    cols, card = change_columns(lang), comparison.new
    rows = [(i.id, i.name(lang), i.points, round(i.old_percent, 1), round(i.new_percent, 1),
             _round(i.delta_percent, 1), i.delta_points) for i in comparison.items]
    t = comparison.total
    rows.append(("", tr("total", lang), t.max, round(t.old_percent, 1), round(t.new_percent, 1),
                 _round(t.delta_percent, 1), t.delta))
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["item"], lang), tr("title", lang), tr("points", lang),
                                       cols["old"], cols["new"], cols["delta_percent"], cols["delta_points"]])


def clause_change_frame(comparison: Comparison, lang: str = "zh") -> pd.DataFrame:
    """One row per clause: score % before and after (None when unscored), the changes, the band before and after."""
    cols, card = change_columns(lang), comparison.new
    rows = [(c.item, c.id, c.name(lang), c.points, c.old, c.new, c.delta_percent, c.delta_points,
             _band_cell(c.old_band, c.old, lang), _band_cell(c.new_band, c.new, lang)) for c in comparison.clauses]
    return pd.DataFrame(rows, columns=[
        tr(card.rubric.words["item"], lang), tr(card.rubric.words["clause"], lang), tr("title", lang),
        tr("points", lang), cols["old"], cols["new"], cols["delta_percent"], cols["delta_points"], cols["old_band"],
        cols["new_band"]])


def comparison_facts(comparison: Comparison, lang: str = "zh") -> dict[str, Any]:
    """The comparison's headline as sentences: which assessments, the total, maturity, unscored, movers.

    The CLI and the report's 与上期比较 section both show these.
    """
    total = comparison.total
    shown = {"old": fmt_points(total.old), "new": fmt_points(total.new), "max": total.max}
    if total.complete:
        total_line = tr("cmp_total", lang, delta=signed(total.delta),
                        delta_percent=signed(round(total.delta_percent, 1)), **shown)
    else:
        total_line = tr("cmp_total_partial", lang, **shown)
    maturity = tr("cmp_maturity", lang, old=maturity_label(comparison.old, lang),
                  new=maturity_label(comparison.new, lang))
    unscored = [c.id for c in comparison.unscored]
    movers = [tr("cmp_mover", lang, clause=f"{c.id} {c.name(lang)}", old=fmt_percent(c.old), new=fmt_percent(c.new),
                 delta=signed(c.delta_points)) for c in comparison.movers()]
    return {
        "sides": tr("cmp_sides", lang, old=assessment_label(comparison.old, lang),
                    new=assessment_label(comparison.new, lang)),
        "total": total_line,
        "maturity": maturity,
        "unscored": tr("cmp_unscored", lang, clauses=join_list(unscored, lang)) if unscored else "",
        "movers": movers,
    }


def revision_lines(comparison: Comparison, lang: str = "zh") -> list[str]:
    """Each KPI value given differently by the two documents for the same year."""
    return [tr("cmp_revision", lang, kpi=f"{kpi.clause} {kpi.name}", series=f"{r.series} · " if r.series else "",
               year=r.year, old=fmt_value(r.old), new=fmt_value(r.new)) for kpi, r in comparison.revisions]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
