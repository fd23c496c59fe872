"""The scorecard as tables, with headers in the user's language.

One set of tables serves the report's item table and appendix, the Excel
workbook and the batch summary, so the same numbers never get computed twice.
Cells hold numbers (not formatted text) so Excel can sum and sort them; empty
cells are ``None``.
"""

from __future__ import annotations

import pandas as pd

from .i18n import fmt_band, join_list, tr
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
                         c.flag.short(lang) if c.flag else None, c.notes or None))
    return pd.DataFrame(rows, columns=[
        tr(card.rubric.words["item"], lang), tr(card.rubric.words["clause"], lang), tr("title", lang),
        tr("kind", lang), tr("points", lang),
        tr("score", lang), tr("earned", lang), tr("suggested", lang), tr("suggested_score", lang),
        tr("flag", lang), tr("justified", lang)])


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
