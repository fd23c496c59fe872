"""The feedback report's sections as HTML, for the report notebook to display.

The report template (``parameterized/report.ipynb``) keeps no logic: each of
its cells shows one section built here from the Scorecard. The HTML comes from
Jinja2 macros with autoescaping, so whatever an assessor typed (a strength
containing ``<script>``) appears as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import analytics, charts, compare, document, html, narrative, tables
from .files import write_atomic
from .i18n import fmt_date, fmt_value, join_list, tr
from .rubric import RubricIndex
from .scoring import Scorecard, score
from .radar import radar_svg
from .trends import kpi_trends


@dataclass(frozen=True)
class Html:
    """Markup that Jupyter displays as HTML (and nbconvert exports as such)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def _render(macro: str, **context: Any) -> Html:
    return Html(str(html.macro("report_sections.html.j2", macro, **context)))


def load_scorecard(assessment: str | Path, rubrics: list[str | Path] | None = None) -> Scorecard:
    """Read, check and score one assessment document (QkitError lists every problem)."""
    index = RubricIndex.scan([Path(d) for d in rubrics or []])
    doc = document.load(assessment, index)
    return score(doc, index.load(doc.rubric))


def scores_name(assessment: str | Path) -> str:
    """The scores file's default name: the document's, with .scores.json."""
    return f"{Path(assessment).stem}.scores.json"


def write_scores(card: Scorecard, path: str | Path, lang: str = "zh") -> Path:
    """The scores as JSON (``Scorecard.to_dict``) for other tools."""
    return write_atomic(path, json.dumps(card.to_dict(lang), ensure_ascii=False, indent=2))


def cover(card: Scorecard, lang: str = "zh") -> Html:
    """Title page: award, category, applicant, date and the people involved."""
    doc = card.assessment
    fields = [f for f in card.rubric.applicant_fields if f not in ("name", "short_name")]
    facts = [(tr(card.rubric.words["applicant"], lang), doc.name)]
    facts += [(tr(f, lang), doc.applicant[f]) for f in fields if doc.applicant.get(f) not in (None, "")]
    facts.append((tr("standard", lang), card.rubric.document.title))
    meta = doc.assessment
    facts.append((tr("date", lang), fmt_date(meta.get("date"), lang)))
    if meta.get("stage"):
        facts.append((tr("stage", lang), meta["stage"]))
    if meta.get("assessors"):
        facts.append((tr("assessors", lang), join_list(meta["assessors"], lang)))
    return _render("cover", card=card, facts=facts, lang=lang)


def summary(card: Scorecard, lang: str = "zh") -> Html:
    """Total, maturity band with its descriptors, missing clauses and scores to justify."""
    descriptors = [(tr(f"{kind}_descriptors", lang), [(f.name(lang), texts[f.id]) for f in dimension.factors])
                   for kind, texts in card.maturity.descriptors.items()
                   for dimension in [card.rubric.guidelines.dimension(kind)]]
    flagged = [(c, c.flag.message(lang)) for c in card.flagged]
    return _render("summary", card=card, band=tables.maturity_label(card, lang), descriptors=descriptors,
                   flagged=flagged, lang=lang)


def items(card: Scorecard, lang: str = "zh") -> Html:
    """The item (or indicator group) table under its heading."""
    return _render("items", frame=tables.item_frame(card, lang), percent=(tr("score", lang),), lang=lang)


def radar(card: Scorecard, lang: str = "zh", compare: Scorecard | None = None) -> Html:
    """The item radar as inline SVG; with ``compare``, the other assessment's polygon beside it."""
    return Html(str(radar_svg(card, lang, compare)))


def factor_heatmap(card: Scorecard, lang: str = "zh") -> Html:
    """The factor ratings as bands, a table per kind of clause, coloured as ``charts.factor_heatmap`` is."""
    grids = tables.factor_grids(card, lang)
    title = tr("chart_factors_individual" if grids[0].kind is None else "chart_factors", lang)
    return _render("factor_heatmap", grids=grids, title=title, subtitle=card.applicant_name, lang=lang)


def key_themes(card: Scorecard, lang: str = "zh") -> Html | None:
    """The application's key themes, first in the report: process and results strengths and OFIs."""
    themes = card.assessment.key_themes
    if not any(themes.values()):
        return None
    return _render("key_themes", themes=themes, lang=lang)


def consensus(card: Scorecard, lang: str = "zh") -> list:
    """A consensus document: the independent scores beside the agreed one, the spread chart, the calibration."""
    if not any(c.independent for c in card.clauses):
        return []
    return [_render("consensus", frame=tables.consensus_frame(card, lang), calibration=tables.calibration_frame(card, lang),
                    lang=lang), charts.spread_chart(card, lang)]


def feedback(card: Scorecard, lang: str = "zh") -> Html:
    """Strengths, OFIs, evidence and notes of every clause, item by item."""
    return _render("feedback", card=card, lang=lang)


def priorities(card: Scorecard, lang: str = "zh", top: int = 10) -> Html:
    """The clauses with the most points at stake, with their OFIs."""
    return _render("priorities", frame=tables.priority_frame(card, lang).head(top), percent=(tr("score", lang),),
                   lang=lang)


KPI_COLUMNS = ["kpi", "unit", "better", "latest_year", "latest", "target", "met", "trend", "comparisons"]


def _kpi_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The KPI summary as shown in the report: values as entered, met as ✓/✗."""
    shown = frame[KPI_COLUMNS].astype(object)
    for col in ("latest", "target"):
        shown[col] = [fmt_value(v) if v is not None and not pd.isna(v) else None for v in frame[col]]
    shown["latest_year"] = [None if pd.isna(y) else str(int(y)) for y in frame["latest_year"]]
    shown["met"] = [None if m is None else "✓" if m else "✗" for m in frame["met"]]
    return analytics.localize_columns(shown, lang)


def results(card: Scorecard, lang: str = "zh") -> list[Html]:
    """Per results clause: its LeTCI hint, its KPI table and each KPI's trend chart."""
    doc = card.assessment
    summary = analytics.kpi_summary_frame(doc, lang)
    by_id = {c.id: c for c in card.clauses}
    parts = [_render("results_intro", lang=lang)]
    for clause in analytics.analyze_results(doc, card.rubric, lang):
        kpis = summary[summary["clause"] == clause.id]
        parts.append(_render("results_clause", clause=clause, score=by_id[clause.id], frame=_kpi_table(kpis, lang),
                             lang=lang))
        parts.append(Html(kpi_trends(doc.kpis(clause.id), lang)))  # small multiples, as SVG
    return parts


def appendix(card: Scorecard, lang: str = "zh") -> Html:
    """The full clause table."""
    frame = tables.clause_frame(card, lang)
    frame = frame.drop(columns=frame.columns[0])  # the item: the clause id names it
    return _render("appendix", frame=frame, percent=(tr("score", lang),), lang=lang)


# --- 与上期比较: the previous assessment compared (qkit.compare) ---------------------------


def load_comparison(card: Scorecard, previous: str | Path,
                    rubrics: list[str | Path] | None = None) -> compare.Comparison:
    """The previous assessment document read, checked (its problems name its file) and compared with ``card``."""
    index = RubricIndex.scan([Path(d) for d in rubrics or []])
    return compare.compare(compare.load_card(previous, index), card)


def comparison(card: Scorecard, previous: str | Path, lang: str = "zh",
               rubrics: list[str | Path] | None = None) -> list[Any]:
    """与上期比较: the headline, the radar of both assessments, the item change bars, the clause changes,
    the OFIs gone and new and the KPI values revised."""
    comp = load_comparison(card, previous, rubrics)
    frame = tables.clause_change_frame(comp, lang)
    frame = frame.drop(columns=frame.columns[0])  # the item: the clause id names it
    cols = tables.change_columns(lang)
    unscored = tr("unscored", lang)
    for col in (cols["old"], cols["new"]):
        frame[col] = [unscored if pd.isna(v) else v for v in frame[col].astype(object)]
    facts = tables.comparison_facts(comp, lang)
    intro = _render("compare_intro", facts=facts, lang=lang)
    details = _render("compare_details", frame=frame, percent=(cols["old"], cols["new"]),
                      signed=(cols["delta_percent"], cols["delta_points"]), movers=facts["movers"], ofis=comp.ofis,
                      revisions=tables.revision_lines(comp, lang), lang=lang)
    return [intro, radar(card, lang, comp.old), charts.item_changes(comp, lang), details]


# --- 自评报告撰写情况: the writing of the self-assessment report (qkit.narrative) ---------------


def writing(card: Scorecard, lang: str = "zh", limits: str | Path = "") -> Html:
    """Each narrative's length against its limit and the sub-points it seems to leave out; nothing
    when no narrative is written. ``limits`` is a limits file ("" for the shipped one)."""
    status = narrative.writing_status(card.assessment, card.rubric, narrative.load_limits(limits or None))
    if not status.written:
        return Html("")
    frame, totals = narrative.writing_frame(status, lang)
    return _render("writing", frame=frame, totals=totals, file=Path(status.limits.source).name, lang=lang)
