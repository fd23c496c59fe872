"""Tables of improvement over time, with headers in the user's language: two assessments compared (what
moved, what the completed actions did, which KPI targets were reached) and the improvement plan (its actions,
and each item's points at its targets). Cells hold numbers and dates, as in ``qkit.tables``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd

from .compare import ActionOutcome, Comparison, TargetOutcome, assessment_label, signed
from .i18n import fmt_date, fmt_percent, fmt_points, fmt_value, join_list, tr
from .plan import KpiTarget, Plan, roadmap, status_label
from .scoring import Scorecard
from .tables import FULL, Edition, band_cell, maturity_label


# --- two assessments compared (qkit.compare) -------------------------------------------


def change_columns(lang: str = "zh") -> dict[str, str]:
    """The headers of the comparison tables, by role: the views find their columns through these."""
    return {"old": tr("cmp_old_score", lang), "new": tr("cmp_new_score", lang),
            "delta_percent": tr("cmp_delta_percent", lang), "delta_points": tr("cmp_delta_points", lang),
            "old_band": tr("cmp_old_band", lang), "new_band": tr("cmp_new_band", lang)}


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
             band_cell(c.old_band, c.old, lang), band_cell(c.new_band, c.new, lang)) for c in comparison.clauses]
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


def moved_text(outcome: ActionOutcome, lang: str = "zh") -> str:
    """Whether a clause's score moved, in words: 上升, 下降, 未变, or unscored on one side."""
    return {"up": tr("moved_up", lang), "down": tr("moved_down", lang), "not": tr("moved_not", lang),
            "unknown": tr("moved_unknown", lang)}[outcome.moved]


def reached_text(outcome: TargetOutcome, lang: str = "zh") -> str:
    """Whether a KPI reached its target, in words; no value for the target's year yet says so."""
    return {True: tr("reached_yes", lang), False: tr("reached_no", lang),
            None: tr("reached_unknown", lang)}[outcome.reached]


def action_outcome_frame(comparison: Comparison, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """Each clause with actions completed in either cycle: the actions, the score before and after and whether
    it moved (with ``bands_only`` the bands before and after)."""
    cols, card = change_columns(lang), comparison.new
    rubric = card.rubric
    rows = []
    for o in comparison.actions:
        done = "\n".join(f"{a.id} {a.action}".strip() or a.id for a in o.actions)
        if edition.bands_only:
            clause = rubric.clause(o.clause)
            rows.append((o.clause, o.name(lang), done, band_cell(rubric.clause_band(clause, o.old), o.old, lang),
                         band_cell(rubric.clause_band(clause, o.new), o.new, lang)))
        else:
            rows.append((o.clause, o.name(lang), done, o.old, o.new, o.delta, moved_text(o, lang)))
    head = [tr(card.rubric.words["clause"], lang), tr("title", lang), tr("col_done_actions", lang)]
    tail = [cols["old_band"], cols["new_band"]] if edition.bands_only else \
        [cols["old"], cols["new"], cols["delta_percent"], tr("col_moved", lang)]
    return pd.DataFrame(rows, columns=head + tail)


def target_outcome_frame(comparison: Comparison, lang: str = "zh") -> pd.DataFrame:
    """Each KPI with a target in the plan: the target and its year, the value then, and whether it was reached."""
    rows = [(t.clause, t.name, t.unit or None, fmt_value(t.target.target), t.target.year, fmt_value(t.value),
             reached_text(t, lang)) for t in comparison.targets]
    return pd.DataFrame(rows, columns=[tr("col_clause", lang), tr("col_kpi", lang), tr("col_unit", lang),
                                       tr("col_target", lang), tr("col_target_year", lang), tr("col_value", lang),
                                       tr("col_reached", lang)])


def revision_lines(comparison: Comparison, lang: str = "zh") -> list[str]:
    """Each KPI value given differently by the two documents for the same year."""
    return [tr("cmp_revision", lang, kpi=f"{kpi.clause} {kpi.name}", series=f"{r.series} · " if r.series else "",
               year=r.year, old=fmt_value(r.old), new=fmt_value(r.new)) for kpi, r in comparison.revisions]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --- the improvement plan (qkit.plan) ----------------------------------------------------------


def kpi_target_text(target: KpiTarget | None, lang: str = "zh") -> str | None:
    """An action's KPI target as a sentence: 顾客满意度：2027年达到 93."""
    if target is None:
        return None
    shown = fmt_value(target.target) if target.target is not None else "—"
    if target.year is None:
        return tr("kpi_target_latest", lang, name=target.name, target=shown)
    return tr("kpi_target_text", lang, name=target.name, target=shown, year=target.year)


def plan_frame(plan: Plan, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """One row per action of a released scorecard's plan: its id, clauses, what will be done, the OFIs it
    answers, owner, start and due days (dates), status, target score, KPI target, whether it is overdue on the
    plan's day, and for the office the progress notes."""
    rows = []
    for a in plan.actions:
        row = [a.id or None, join_list(list(a.clauses), lang), a.action or tr("plan_to_write", lang),
               "\n".join(a.ofis) or None, a.owner or None, a.start, a.due, status_label(a.status, lang),
               a.target_score, kpi_target_text(a.kpi, lang), tr("col_overdue", lang) if a.overdue(plan.today) else None]
        rows.append(row + ([a.notes or None] if edition.internal else []))
    columns = [tr("col_action_id", lang), tr("col_clause", lang), tr("col_action", lang), tr("col_answers", lang),
               tr("col_owner", lang), tr("col_start", lang), tr("col_due", lang), tr("col_status", lang),
               tr("col_target_score", lang), tr("col_kpi_target", lang), tr("col_overdue", lang)]
    return pd.DataFrame(rows, columns=columns + ([tr("col_progress", lang)] if edition.internal else []))


def plan_table(plan: Plan, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """The plan as a report reads it: the actions by due day, their dates written out, without the OFIs they
    answer and their start (the feedback lists the OFIs, the timeline the starts), so a page's width holds it."""
    frame = plan_frame(dataclasses.replace(plan, actions=tuple(plan.by_due())), lang, edition)
    return dates_as_text(frame.drop(columns=[tr("col_answers", lang), tr("col_start", lang)]), lang)


def dates_as_text(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A frame's dates as a Chinese team reads them (2026年12月31日), for the report and the Word file; Excel
    keeps them as dates."""
    return frame.map(lambda v: fmt_date(v, lang) if isinstance(v, dt.date) else v)


def roadmap_frame(card: Scorecard, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """Each item's points now and were every target of the plan met, and the gain; the total last. With
    ``bands_only`` the band now and at the target (the gain would tell an exact score)."""
    items = roadmap(card)
    head = [tr(card.rubric.words["item"], lang), tr("title", lang), tr("points", lang)]
    if edition.bands_only:
        rows = [(i.id, i.name(lang), i.points, band_cell(card.rubric.band_of(i.percent), i.percent, lang),
                 band_cell(card.rubric.band_of(i.target_percent), i.target_percent, lang)) for i in items]
        return pd.DataFrame(rows, columns=head + [tr("col_now_band", lang), tr("col_target_band", lang)])
    rows = [(i.id, i.name(lang), i.points, i.earned, i.target, i.gain) for i in items]
    rows.append(("", tr("total", lang), card.max, card.total, card.total + sum(i.gain for i in items),
                 sum(i.gain for i in items)))
    return pd.DataFrame(rows, columns=head + [tr("col_now", lang), tr("col_at_target", lang), tr("col_gain", lang)])
