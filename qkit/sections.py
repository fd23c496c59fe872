"""The feedback report's sections as HTML, for the report notebook to display.

The report template (``parameterized/report.ipynb``) keeps no logic: each of
its cells shows one section built here from the Scorecard. The HTML comes from
Jinja2 macros with autoescaping, so whatever an assessor typed (a strength
containing ``<script>``) appears as text.

Every section takes the report's ``edition`` (``tables.Edition``): the
applicant's shows no assessor, independent score, calibration, note or flag,
and ``bands_only`` shows every score as its band. Without one a section
follows the document (``tables.edition_for``): the applicant's edition for a
consensus document, the internal one for any other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from . import analytics, charts, compare, document, html, improvement_tables, narrative, tables
from .files import write_atomic
from .i18n import fmt_date, fmt_value, join_list, paren, tr
from .plan import day_of, plan_of
from .rubric_files import RubricIndex
from .scoring import Scorecard, score
from .tables import Edition, edition_for
from .radar import radar_svg, radar_title
from .timeline import timeline_svg
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


def edition(card: Scorecard, audience: str | None = None, bands_only: bool = False) -> Edition:
    """The report's edition (``tables.edition_for``): for whom, and whether scores are released as bands."""
    return edition_for(card, audience, bands_only)


def _edition(card: Scorecard, edition: Edition | None) -> Edition:
    return edition or edition_for(card)


APPLICANT_DROPS = ("independent", "outside_band", "suggested_band", "suggested_score")  # the assessors' own


def scores_data(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> dict[str, Any]:
    """The scores as other tools read them (``Scorecard.to_dict``), as the edition may show them.

    The applicant's leave out the independent scores and the assessors' aids
    (the suggested band and its flag); with ``bands_only`` nothing exact is
    left: every clause, item and the total as its band's key (``50-65``,
    None below the individual award's lowest band), the gaps left out.
    """
    edition = _edition(card, edition)
    data = card.to_dict(lang)
    if not edition.bands_only:
        for item in data["items"]:
            for clause in item["clauses"]:
                for key in () if edition.internal else APPLICANT_DROPS:
                    clause.pop(key)
        return data
    rubric = card.rubric

    def key(band) -> str | None:
        return band.key if band else None

    def clause_data(c) -> dict[str, Any]:
        clause = rubric.clause(c.id)
        shown = {"id": c.id, "title": c.name(lang), "kind": c.kind, "points": c.points,
                 "band": key(rubric.clause_band(clause, c.score)), "below_described": c.below_described is not None,
                 "proposed": c.proposed, "self_score": c.self_score}
        if edition.internal:
            shown["independent"] = {n: key(rubric.clause_band(clause, s)) for n, s in c.independent}
        return shown

    return {"rubric": data["rubric"], "applicant": data["applicant"], "bands_only": True,
            "max": data["max"], "complete": data["complete"],
            "missing": data["missing"],
            "maturity": {k: v for k, v in data["maturity"].items() if k != "percent"},  # its band, no exact share
            "items": [{"id": i.id, "title": i.name(lang), "points": i.points, "band": key(rubric.band_of(i.percent)),
                       "clauses": [clause_data(c) for c in i.clauses]} for i in card.items]}


def write_scores(card: Scorecard, path: str | Path, lang: str = "zh", edition: Edition | None = None) -> Path:
    """The scores as JSON (``scores_data``) for other tools."""
    return write_atomic(path, json.dumps(scores_data(card, lang, edition), ensure_ascii=False, indent=2))


def cover(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> Html:
    """Title page: award, category, applicant, date, the edition and (internal) the assessors."""
    edition = _edition(card, edition)
    doc = card.assessment
    fields = [f for f in card.rubric.applicant_fields if f not in ("name", "short_name")]
    facts = [(tr(card.rubric.words["applicant"], lang), doc.name)]
    facts += [(tr(f, lang), doc.applicant[f]) for f in fields if doc.applicant.get(f) not in (None, "")]
    facts.append((tr("standard", lang), card.rubric.document.title))
    meta = doc.assessment
    facts.append((tr("date", lang), fmt_date(meta.get("date"), lang)))
    if meta.get("stage"):
        facts.append((tr("stage", lang), meta["stage"]))
    if meta.get("assessors") and edition.internal:
        facts.append((tr("assessors", lang), join_list(meta["assessors"], lang)))
    return _render("cover", card=card, edition=paren("", edition.label(lang), lang), facts=facts, lang=lang)


def summary(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> Html:
    """Total (or only its band), maturity band with its descriptors, missing clauses, and (internal) the scores
    an assessor must justify."""
    edition = _edition(card, edition)
    descriptors = [(tr(f"{kind}_descriptors", lang), [(f.name(lang), texts[f.id]) for f in dimension.factors])
                   for kind, texts in card.maturity.descriptors.items()
                   for dimension in [card.rubric.guidelines.dimension(kind)]]
    flagged = [(c, c.flag.short(lang) if edition.bands_only else c.flag.message(lang))  # its message may name scores
               for c in card.flagged] if edition.internal else []
    return _render("summary", card=card, band=tables.maturity_label(card, lang), descriptors=descriptors,
                   flagged=flagged, bands_only=edition.bands_only, lang=lang)


def items(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> Html:
    """The item (or indicator group) table under its heading."""
    edition = _edition(card, edition)
    return _render("items", frame=tables.item_frame(card, lang, edition), percent=(tr("score", lang),), lang=lang)


def left_out(what: str, lang: str = "zh") -> Html:
    """The sentence a bands-only report shows where a chart or table of exact scores would be."""
    return _render("left_out", text=tr("left_out_bands", lang, what=what))


def radar(card: Scorecard, lang: str = "zh", compare: Scorecard | None = None,
          edition: Edition | None = None) -> Html:
    """The item radar as inline SVG; with ``compare``, the other assessment's polygon beside it. Bands only:
    left out (its vertices are exact percentages; the item table gives their bands)."""
    if _edition(card, edition).bands_only:
        return left_out(radar_title(card, lang), lang)
    return Html(str(radar_svg(card, lang, compare)))


def clause_chart(card: Scorecard, lang: str = "zh", edition: Edition | None = None):
    """Each clause's points earned of its points, or with ``bands_only`` the band each clause falls in."""
    return charts.clause_bands(card, lang) if _edition(card, edition).bands_only else charts.clause_bars(card, lang)


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


def consensus(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> list:
    """The internal edition of a consensus document: the independent scores beside the agreed one, the spread
    chart, the calibration (with ``bands_only`` the scores as bands, the chart and the calibration left out)."""
    edition = _edition(card, edition)
    if not edition.internal or not tables.is_consensus(card):
        return []
    frame = tables.consensus_frame(card, lang, edition)
    if edition.bands_only:
        return [_render("consensus", frame=frame, calibration=None, lang=lang),
                left_out(tr("chart_spread", lang), lang), left_out(tr("calibration", lang), lang)]
    return [_render("consensus", frame=frame, calibration=tables.calibration_frame(card, lang), lang=lang),
            charts.spread_chart(card, lang)]


def self_assessment(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> Html | None:
    """自评与共识对比: the team's own score of each clause against the agreed one (the team's own data, in both
    editions); nothing when the document has no self-assessed scores."""
    edition = _edition(card, edition)
    frame = tables.self_frame(card, lang, edition)
    if frame.empty:
        return None
    lead = tr("self_gaps_lead_bands", lang) if edition.bands_only else tr("self_gaps_lead", lang)
    return _render("self_assessment", frame=frame, lead=lead, signed=(tr("self_gap", lang),),
                   percent=(tr("self_score", lang), tr("consensus_score", lang)), lang=lang)


def feedback(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> Html:
    """Strengths, OFIs and evidence of every clause, item by item, and (internal) the notes."""
    edition = _edition(card, edition)
    return _render("feedback", card=card, notes=edition.internal, item_score=partial(
        tables.item_score_text, card, lang=lang, edition=edition), score=partial(
        tables.score_text, card, lang=lang, edition=edition), lang=lang)


def priorities(card: Scorecard, lang: str = "zh", top: int = 10, edition: Edition | None = None) -> Html:
    """The clauses with the most points at stake, with their OFIs."""
    edition = _edition(card, edition)
    return _render("priorities", frame=tables.priority_frame(card, lang, edition).head(top),
                   percent=(tr("score", lang),), bands_only=edition.bands_only, lang=lang)


def priority_chart(card: Scorecard, lang: str = "zh", edition: Edition | None = None):
    """The points at stake as bars; with ``bands_only`` left out (they are computed from the exact scores)."""
    if _edition(card, edition).bands_only:
        return left_out(tr("gaps", lang), lang)
    return charts.priority_chart(card, lang)


KPI_COLUMNS = ["kpi", "unit", "better", "latest_year", "latest", "target", "met", "trend", "comparisons"]


def _kpi_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The KPI summary as shown in the report: values as entered, met as ✓/✗."""
    shown = frame[KPI_COLUMNS].astype(object)
    for col in ("latest", "target"):
        shown[col] = [fmt_value(v) if v is not None and not pd.isna(v) else None for v in frame[col]]
    shown["latest_year"] = [None if pd.isna(y) else str(int(y)) for y in frame["latest_year"]]
    shown["met"] = [None if m is None else "✓" if m else "✗" for m in frame["met"]]
    return analytics.localize_columns(shown, lang)


def results(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> list[Html]:
    """Per results clause: its score, its LeTCI hint, its KPI table and each KPI's trend chart."""
    edition = _edition(card, edition)
    doc = card.assessment
    summary = analytics.kpi_summary_frame(doc, lang)
    by_id = {c.id: c for c in card.clauses}
    parts = [_render("results_intro", lead=tr("results_lead" if edition.internal else "results_lead_applicant", lang),
                     lang=lang)]
    for clause in analytics.analyze_results(doc, card.rubric, lang, for_applicant=not edition.internal):
        kpis = summary[summary["clause"] == clause.id]
        parts.append(_render("results_clause", clause=clause, score=tables.score_text(card, by_id[clause.id], lang,
                                                                                      edition),
                             frame=_kpi_table(kpis, lang), lang=lang))
        parts.append(Html(kpi_trends(doc.kpis(clause.id), lang)))  # small multiples, as SVG
    return parts


def appendix(card: Scorecard, lang: str = "zh", edition: Edition | None = None) -> Html:
    """The full clause table."""
    frame = tables.clause_frame(card, lang, _edition(card, edition))
    frame = frame.drop(columns=frame.columns[0])  # the item: the clause id names it
    return _render("appendix", frame=frame, percent=(tr("score", lang),), lang=lang)


# --- 与上期比较: the previous assessment compared (qkit.compare) ---------------------------


def load_comparison(card: Scorecard, previous: str | Path,
                    rubrics: list[str | Path] | None = None) -> compare.Comparison:
    """The previous assessment document read, checked (its problems name its file) and compared with ``card``."""
    index = RubricIndex.scan([Path(d) for d in rubrics or []])
    return compare.compare(compare.load_card(previous, index), card)


def comparison(card: Scorecard, previous: str | Path, lang: str = "zh",
               rubrics: list[str | Path] | None = None, edition: Edition | None = None) -> list[Any]:
    """与上期比较: the headline, the radar of both assessments, the item change bars, the clause changes,
    the OFIs gone and new, the KPI values revised, and (with a plan) what the completed actions did. With ``bands_only`` only the bands before and after:
    no total, movers, radar or change bars."""
    edition = _edition(card, edition)
    comp = load_comparison(card, previous, rubrics)
    frame = improvement_tables.clause_change_frame(comp, lang)
    frame = frame.drop(columns=frame.columns[0])  # the item: the clause id names it
    cols = improvement_tables.change_columns(lang)
    unscored = tr("unscored", lang)
    for col in (cols["old"], cols["new"]):
        frame[col] = [unscored if pd.isna(v) else v for v in frame[col].astype(object)]
    facts = improvement_tables.comparison_facts(comp, lang)
    if edition.bands_only:
        frame = frame.drop(columns=[cols[k] for k in ("old", "new", "delta_percent", "delta_points")])
    intro = _render("compare_intro", facts=facts, bands_only=edition.bands_only, lang=lang)
    details = _render("compare_details", frame=frame, percent=(cols["old"], cols["new"]),
                      signed=(cols["delta_percent"], cols["delta_points"]), movers=facts["movers"], ofis=comp.ofis,
                      revisions=improvement_tables.revision_lines(comp, lang), bands_only=edition.bands_only, lang=lang)
    changes = left_out(tr("chart_item_changes", lang), lang) if edition.bands_only else charts.item_changes(comp, lang)
    parts = [intro, radar(card, lang, comp.old, edition), changes, details]
    return parts + ([_plan_outcomes(comp, lang, edition)] if comp.actions or comp.targets else [])


def _plan_outcomes(comp: compare.Comparison, lang: str, edition: Edition) -> Html:
    """What the completed actions did: per clause whether its score moved, per KPI target whether it was reached."""
    cols = improvement_tables.change_columns(lang)
    return _render("compare_plan", actions=improvement_tables.action_outcome_frame(comp, lang, edition) if comp.actions else None,
                   targets=improvement_tables.target_outcome_frame(comp, lang) if comp.targets else None,
                   percent=(cols["old"], cols["new"]), signed=(cols["delta_percent"],), lang=lang)


# --- 改进计划: the improvement plan (qkit.plan) ------------------------------------------------


def plan(card: Scorecard, lang: str = "zh", edition: Edition | None = None, today: Any = None) -> list[Html]:
    """改进计划: where the plan stands on ``today`` (a date or YYYY-MM-DD; by default the day the report is
    made), the roadmap (each item now and were every target met), the points the plan would gain, the timeline
    of the actions by due day coloured by status, and the actions, overdue ones marked; nothing without a plan.
    With ``bands_only`` the roadmap gives bands and the gain is left out (it would tell exact scores)."""
    edition = _edition(card, edition)
    card = edition.release(card)
    shown = plan_of(card, day_of(today))
    if not shown.actions:
        return []
    lead = shown.lead(lang)
    gain = None if edition.bands_only else shown.gain_text(lang)
    roadmap = improvement_tables.roadmap_frame(card, lang, edition)
    parts = [_render("plan_intro", lead=lead, gain=gain, roadmap=roadmap, bands_only=edition.bands_only,
                     lang=lang)]
    if edition.bands_only:
        parts.append(left_out(tr("col_gain", lang), lang))
    frame = improvement_tables.plan_table(shown, lang, edition)
    overdue = [n for n, a in enumerate(shown.by_due()) if a.overdue(shown.today)]
    return parts + [Html(str(timeline_svg(shown, lang))),
                    _render("plan_actions", frame=frame, overdue=overdue, percent=(tr("col_target_score", lang),))]


# --- 自评报告撰写情况: the writing of the self-assessment report (qkit.narrative) ---------------


def writing(card: Scorecard, lang: str = "zh", limits: str | Path = "") -> Html:
    """Each narrative's length, its tables and figures included, against its limit or guidance, and the
    sub-points it seems to leave out; nothing when no narrative is written. ``limits`` is a limits file
    ("" for the shipped one)."""
    status = narrative.writing_status(card.assessment, card.rubric, narrative.load_limits(limits or None))
    if not status.written:
        return Html("")
    frame, totals = narrative.writing_frame(status, lang)
    return _render("writing", frame=frame, totals=totals, file=Path(status.limits.source).name,
                   figure=status.limits.figure, lang=lang)
