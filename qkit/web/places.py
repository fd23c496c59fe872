"""What the form calls each field: a problem's field path as the person sees it on screen.

``qkit validate`` names a field by its path in the document
(``clauses/5.2.2/strengths/1``, ``results/1/values/2025``); the form names
the same field by what is on screen (``5.2.2 引领发展 · 优势第 1 条``,
``指标“顾客满意度指数” · 2025 年``), in the page's language. This module is
the one mapping between the two, built from the rubric (clause names, factor
names, the profile's prompts) and the document (KPI names, comparison series,
years as typed). It also turns a path back into the keys of the document, so
the form can take the person to the field.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import Problem
from ..i18n import fmt_percent, render_problem, tr
from ..merge import MISSING, record_key
from ..paths import FieldPath, as_year, path_of, value_at

SEP = " · "


def place(rubric: Any, data: Any, path: FieldPath, lang: str = "zh") -> str:
    """The on-screen name of the field at ``path``, e.g. ``5.2.2 引领发展 · 优势第 1 条``."""
    if not path:
        return ""
    head, rest = path[0], path[1:]
    if head == "applicant":
        prefix = rubric.words["applicant_form"]  # an organization's details, or a person's
        fields = [str(p) for p in rest[:1]]
        labels = [tr(f"{prefix}_place_name", lang) if f == "name" else tr(f"{prefix}_{f}", lang)
                  if f in rubric.applicant_fields else f for f in fields]
        return _join([tr(prefix, lang)] + labels)
    if head == "assessment":
        labels = {"date": tr("wb_place_date", lang), "stage": tr("wb_stage", lang),
                  "assessors": tr("wb_assessors", lang)}
        return _join([tr("wb_assessment", lang)] + [labels.get(str(p), str(p)) for p in rest[:1]])
    if head == "profile" and rubric.profile is not None:
        profile = rubric.profile
        names = [f"{profile.id} {profile.name(lang)}"]
        prompt = next((p for p in profile.prompts if rest and p.id == str(rest[0])), None)
        if rest and rest[0] == "narrative":
            names.append(tr("wb_narrative", lang))
        elif rest:
            names.append(tr("wb_place_prompt", lang, id=prompt.id, name=prompt.name(lang)) if prompt else str(rest[0]))
        return _join(names)
    if head == "clauses" and rest:
        return _join(_clause_place(rubric, rest, lang))
    if head == "results":
        return _join(_kpi_place(data, rest, lang))
    if head == "improvements":
        return _join(_action_place(data, rest, lang))
    return "/".join(str(p) for p in path)


def locate(data: Any, field: str) -> FieldPath | None:
    """The keys of the value a changed field names (as ``qkit.merge.changes`` names it: ``clauses/5.2.2/score``,
    ``results/5.4.4 顾客满意度``) in ``data``; None where ``data`` has none."""
    head, _, rest = field.partition("/")
    if head == "results" and rest:  # a KPI, by its clause and name
        results = data.get("results") if isinstance(data, dict) else None
        return next((("results", i) for i, kpi in enumerate(results if isinstance(results, list) else [])
                     if isinstance(kpi, dict) and " ".join(record_key(kpi)).rstrip() == rest), None)
    path = path_of(field, data)
    return path if value_at(data, path, MISSING) is not MISSING else None


def shown_value(value: Any, lang: str) -> str:
    """A value as the person reads it: a score as 55%, a removed one as (已删除), a list one entry after another."""
    if value is MISSING or value is None:
        return tr("wb_removed", lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_percent(value) if value == int(value) and 0 <= value <= 100 else str(value)
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


def describe(problem: Problem, rubric: Any, data: Any, lang: str = "zh") -> str:
    """A problem as the form says it: the on-screen name of its field, the message, the value given."""
    if not problem.field:
        return problem.render(lang)
    where = place(rubric, data, path_of(problem.field, data), lang)
    return render_problem(dataclasses.replace(problem, field=where), lang)


def flag_text(problem: Problem | None, lang: str = "zh") -> str:
    """A clause's flag in the form's words: the notes box is called 备注 there, not ``notes``."""
    if problem is None:
        return ""
    if problem.code in ("outside_band", "outside_range"):
        return tr(f"wb_{problem.code}", lang, **problem.params)
    return problem.message(lang)


def _clause_place(rubric: Any, rest: FieldPath, lang: str) -> list[str]:
    clause = rubric.clause(str(rest[0]))
    names = [f"{clause.id} {clause.name(lang)}" if clause else str(rest[0])]
    if len(rest) < 2:
        return names
    field, more = rest[1], rest[2:]
    if field == "factors":
        dimension = rubric.dimension(clause) if clause else None
        factor = next((f for f in dimension.factors if more and f.id == str(more[0])), None) if dimension else None
        if factor is not None:
            return names + [tr("wb_place_factor", lang, name=factor.name(lang), id=factor.id)]
        return names + [tr("wb_place_factors", lang)] + [str(p) for p in more]
    lists = {"strengths": tr("wb_strengths", lang), "ofis": tr("ofis", lang), "evidence": tr("wb_evidence", lang)}
    if field in lists:
        if more and isinstance(more[0], int):
            n = more[0] + 1
            entry = {"strengths": tr("wb_place_strength", lang, n=n), "ofis": tr("wb_place_ofi", lang, n=n),
                     "evidence": tr("wb_place_evidence", lang, n=n)}[field]
            return names + [entry]
        return names + [lists[field]]
    if field == "evidence_files":  # a file by its place in the list, then which of its fields
        if not more or not isinstance(more[0], int):
            return names + [tr("wb_files", lang)]
        labels = {"number": tr("pkg_col_number", lang), "title": tr("wb_file_title", lang),
                  "date": tr("wb_file_date", lang), "owner": tr("wb_file_owner", lang), "file": tr("pkg_col_file", lang)}
        return names + [tr("wb_place_file", lang, n=more[0] + 1)] + [labels.get(str(p), str(p)) for p in more[1:2]]
    labels = {"score": tr("score", lang), "notes": tr("wb_place_notes", lang), "narrative": tr("wb_narrative", lang)}
    return names + [labels.get(str(field), str(field))] + [str(p) for p in more]


def _kpi_place(data: Any, rest: FieldPath, lang: str) -> list[str]:
    names = [tr("wb_results_tab", lang)]
    if not rest:
        return names
    i = rest[0]
    if not isinstance(i, int):
        return names + [str(p) for p in rest]
    kpi = value_at(data, ("results", i))
    name = kpi.get("name") if isinstance(kpi, dict) else None
    names = [tr("wb_place_kpi", lang, name=name) if isinstance(name, str) and name.strip()
             else tr("wb_place_kpi_n", lang, n=i + 1)]
    if len(rest) < 2:
        return names
    field, more = rest[1], rest[2:]
    labels = {"clause": tr("col_clause", lang), "name": tr("wb_kpi_name", lang), "unit": tr("col_unit", lang),
              "better": tr("col_better", lang), "target": tr("col_target", lang)}
    if field in labels:
        return names + [labels[field]]
    if field == "values":
        return names + ([_year_place(more[0], lang)] if more else [tr("own_series", lang)])
    if field == "years":  # a row of the year grid, all series at once
        return names + [_year_place(more[0], lang)] if more else names
    if field == "comparisons":
        if not more:
            return names + [tr("wb_place_comparisons", lang)]
        return names + [str(more[0])] + ([_year_place(more[1], lang)] if len(more) > 1 else [])
    return names + [str(field)] + [str(p) for p in more]


def _action_place(data: Any, rest: FieldPath, lang: str) -> list[str]:
    """An action of the plan by its id (its number while it has none), and the field in it."""
    if not rest or not isinstance(rest[0], int):  # the plan, or an action as a history names it (5.2.2 5.2.2-1)
        return [tr("wb_plan_tab", lang), *(str(p) for p in rest)]
    action = value_at(data, ("improvements", rest[0]))
    code = action.get("id") if isinstance(action, dict) else None
    names = [tr("wb_place_action", lang, id=code if isinstance(code, str) and code.strip() else rest[0] + 1)]
    labels = {"clauses": tr("wb_action_clauses", lang), "action": tr("wb_action_text", lang),
              "owner": tr("col_owner", lang), "start": tr("col_start", lang), "due": tr("col_due", lang),
              "status": tr("col_status", lang), "target_score": tr("col_target_score", lang),
              "kpi": tr("col_kpi_target", lang), "notes": tr("col_progress", lang), "ofis": tr("col_answers", lang),
              "id": tr("col_action_id", lang)}
    kpi = {"name": tr("col_kpi", lang), "target": tr("wb_kpi_value", lang), "year": tr("col_target_year", lang)}
    field, more = (rest[1], rest[2:]) if len(rest) > 1 else (None, ())
    if field == "kpi" and more:
        return names + [labels["kpi"], kpi.get(str(more[0]), str(more[0]))]
    return names + ([labels.get(str(field), str(field))] if field is not None else []) + [str(p) for p in more]


def _year_place(key: Any, lang: str) -> str:
    year = as_year(key)
    return tr("wb_place_year", lang, year=year) if year is not None else tr("wb_place_bad_year", lang, year=key)


def _join(names: list[str]) -> str:
    return SEP.join(n for n in names if n)
