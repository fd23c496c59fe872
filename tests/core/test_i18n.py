"""Messages in Chinese and English, number and date formats, and every key the code asks for exists in both.

The last part reads qkit's own source: every ``tr("key")`` with a literal key
must name a message, and every call whose key is built at run time
(``tr(f"better_{b}")``, ``tr(c.kind)``) must be one of the patterns listed in
``DYNAMIC`` below, whose possible keys are enumerated from where their values
really come from (the rubrics, the scoring, the analytics). A new pattern
fails the test until it is added there.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import string
from pathlib import Path

import jinja2
import numpy as np
import pytest
from jinja2 import nodes

import qkit
from support.documents import full_document, sample_cards
from qkit import analytics, document, from_data, lint, score
from qkit.errors import Problem
from qkit.i18n import (LABELS, MESSAGES, fmt_band, fmt_cell, fmt_date, fmt_percent, fmt_points, fmt_value, join_list,
                       render_problem, tr)
from qkit.rubric_files import RubricIndex
from qkit.consensus import REASONS
from qkit.document import THEME_KINDS
from qkit.rounds import ROUNDS
from qkit.web.store import ROLES

PACKAGE = Path(qkit.__file__).parent
KEYS = {**MESSAGES, **LABELS}
RUBRICS = [RubricIndex.scan().load(rid) for rid in RubricIndex.scan().ids]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


# --- the catalogue ---------------------------------------------------------------------


def test_no_key_is_both_a_message_and_a_label():
    assert not set(MESSAGES) & set(LABELS)  # tr looks in MESSAGES first: a label of the same key would never show


def test_every_key_has_both_languages_with_the_same_placeholders():
    bad = []
    for key, texts in KEYS.items():
        if len(texts) != 2 or not all(isinstance(t, str) and t.strip() for t in texts):
            bad.append((key, "needs a non-empty Chinese and English text"))
        elif placeholders(texts[0]) != placeholders(texts[1]):
            bad.append((key, placeholders(texts[0]), placeholders(texts[1])))
    assert not bad, bad


def test_every_text_formats_with_its_placeholders_filled():
    for key, (zh, en) in KEYS.items():
        params = {name: f"<{name}>" for name in placeholders(zh)}
        for lang in ("zh", "en"):
            shown = tr(key, lang, **params)
            assert all(f"<{name}>" in shown for name in params), (key, lang)


def test_chinese_texts_are_chinese_and_english_texts_are_not():
    def words(text: str) -> str:  # the text without its placeholders
        return "".join(literal for literal, *_ in string.Formatter().parse(text))

    latin_only = [k for k, (zh, _) in KEYS.items()
                  if any(ch.isalpha() for ch in words(zh)) and not any("\u4e00" <= ch <= "\u9fff" for ch in zh)]
    assert latin_only == [], latin_only
    cjk = [k for k, (_, en) in KEYS.items() if any("\u4e00" <= ch <= "\u9fff" for ch in en)]
    assert cjk == [], cjk


def test_tr_picks_the_language_and_fills_params():
    assert tr("valid", "zh", file="a.yaml") == "a.yaml：格式正确"
    assert tr("valid", "en", file="a.yaml") == "a.yaml: valid"
    assert tr("total") == tr("total", None) == tr("total", "fr") == "总分"  # Chinese unless English is asked for
    assert tr("total", "en") == "total"
    assert tr("required", "en") == "this field is required"
    with pytest.raises(KeyError):
        tr("no_such_key")


# --- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, shown", [
    (24.75, "24.75"), (30.0, "30"), (30, "30"), (612.5, "612.5"), (0.1 + 0.2, "0.3"), (2 / 3, "0.67"),
    (0, "0"), (-0.001, "0"), (-12.5, "-12.5"), (1000, "1000"), (None, "—")])
def test_fmt_points(value, shown):
    assert fmt_points(value) == shown


@pytest.mark.parametrize("value, shown", [(55, "55%"), (64.3, "64.3%"), (100.0, "100%"), (0, "0%"), (None, "—")])
def test_fmt_percent(value, shown):
    assert fmt_percent(value) == shown


@pytest.mark.parametrize("value, shown", [
    (0.047, "0.047"), (38.2, "38.2"), (1250.0, "1250"), (0.1 + 0.2, "0.3"), (99.95, "99.95"), (-3.5, "-3.5"),
    (1234567, "1,234,567"), (25_600_000.5, "25,600,000.50"), (None, "—")])
def test_fmt_value_shows_a_kpi_as_entered(value, shown):
    assert fmt_value(value) == shown


def test_fmt_band_shows_both_ends_as_percentages():
    band = RUBRICS[0].bands[2]
    assert fmt_band(band) == f"{band.min}%–{band.max}%"
    dimension = next(r for r in RUBRICS if r.profile is not None).guidelines.process
    assert fmt_band(dimension.band("50-65")) == "50%–65%" and fmt_band(dimension.band("90-100")) == "90%–100%"


@pytest.mark.parametrize("value, percent, shown", [
    (None, False, "—"), (math.nan, False, "—"), (np.float64("nan"), True, "—"), (24.5, False, "24.5"),
    (24.500, False, "24.5"), (65, True, "65%"), (66.4, True, "66.4%"), (np.int64(3), False, "3"),
    (np.float64(32.25), False, "32.25"), (True, False, "True"), ("5.2.2", True, "5.2.2"), ("", False, "")])
def test_fmt_cell(value, percent, shown):
    assert fmt_cell(value, percent) == shown


@pytest.mark.parametrize("value", [dt.date(2026, 4, 6), "2026-04-06"])
def test_fmt_date(value):
    assert fmt_date(value) == "2026年4月6日"
    assert fmt_date(value, "en") == "2026-04-06"


def test_fmt_date_of_nothing_is_a_dash():
    assert fmt_date(None) == fmt_date("", "en") == "—"


def test_join_list():
    assert join_list(["5.2.2", "5.3.4", 7]) == "5.2.2、5.3.4、7"
    assert join_list(["5.2.2", "5.3.4"], "en") == "5.2.2, 5.3.4"
    assert join_list([]) == "" and join_list(["一"]) == "一"


# --- problems --------------------------------------------------------------------------


def test_render_problem_names_field_message_and_value():
    problem = Problem("clauses/5.2.2/score", "score_step", 33)
    assert render_problem(problem) == "clauses/5.2.2/score：得分应为 0 到 100 之间 5 的倍数（0、5、10……100）（当前值：33）"
    assert render_problem(problem, "en") == (
        "clauses/5.2.2/score: the score must be a multiple of 5 from 0 to 100 (0, 5, 10 … 100) (got 33)")
    assert render_problem(Problem("clauses/5.2.2/notes", "not_text", "高")).endswith("（当前值：“高”）")


def test_render_problem_without_a_value_or_a_field():
    assert render_problem(Problem("applicant/name", "required")) == "applicant/name：缺少必填字段"
    assert render_problem(Problem("", "kernel_died"), "en") == "the report template's kernel died"
    assert "None" in render_problem(Problem("applicant/name", "not_text", None))  # None was given: say so


def test_render_problem_joins_the_allowed_values():
    problem = Problem("rubric", "unknown_rubric", "hubei-mining", {"allowed": ["hubei-service", "wuhan-service"]})
    assert render_problem(problem) == "rubric：未知的评定标准；可选：hubei-service、wuhan-service（当前值：“hubei-mining”）"
    assert 'choose one of: hubei-service, wuhan-service (got "hubei-mining")' in render_problem(problem, "en")


@pytest.mark.parametrize("value", ["长" * 5000, "x" * 61, list(range(2000)), {f"k{i}": "v" * 50 for i in range(100)}],
                         ids=["long-text", "just-too-long", "long-list", "big-mapping"])
def test_render_problem_cuts_long_values(value):
    for lang in ("zh", "en"):
        text = render_problem(Problem("clauses/5.2.2/notes", "not_text", value), lang)
        message = render_problem(Problem("clauses/5.2.2/notes", "not_text"), lang)
        shown = text[len(message):]
        assert text.startswith(message) and 60 <= len(shown) <= 60 + len("（当前值：）") + 2, (lang, shown)
        assert "…" in shown
        start = value[:20] if isinstance(value, str) else repr(value)[:20] if not isinstance(value, dict) else \
            "{'k0': 'vvvv"
        assert start in shown, (start, shown)


def test_a_text_value_is_quoted_as_the_language_quotes_and_an_invisible_character_is_shown():
    """“9l.5” in Chinese, "9l.5" in English, never Python's '9l.5'; a control character as its escape."""
    problem = Problem("results/1/values/2025", "not_number", "9l.5")
    assert render_problem(problem).endswith("（当前值：“9l.5”）")
    assert render_problem(problem, "en").endswith('(got "9l.5")')
    assert render_problem(Problem("f", "not_text", "a\x0bb")).endswith("（当前值：“a\\x0bb”）")
    assert "'" not in render_problem(Problem("f", "not_text", "it's")).replace("it's", "")


def test_render_problem_keeps_a_short_value_whole():
    value = "y" * 50
    assert render_problem(Problem("f", "not_text", value), "en").endswith(f'(got "{value}")')


# --- every key the code asks for -------------------------------------------------------


def _flag_codes() -> set[str]:
    """The flag codes scoring really produces: outside the band, outside with a note, below the lowest band."""
    service = RubricIndex.scan().load("hubei-service")
    data = full_document(service, 90)
    data["clauses"]["5.2.2"]["factors"] = data["clauses"]["5.2.3"]["factors"] = dict.fromkeys("ADLI", "50-65")
    data["clauses"]["5.2.3"]["notes"] = "共识评审的理由"
    data["clauses"]["5.3.2"]["independent"] = data["clauses"]["5.3.3"]["independent"] = {"甲": 50, "乙": 60}
    data["clauses"]["5.3.3"]["notes"] = "现场评审的理由"
    individual = RubricIndex.scan().load("wuhan-individual")
    cards = [score(from_data(data), service), score(from_data(full_document(individual, 10)), individual)]
    return {c.flag.code for card in cards for c in card.flagged}


def _constants(node) -> set[str]:
    """The texts an expression can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def _problem_codes() -> set[str]:
    """Every code a Problem is made with: the literals in the source (also as ``code = … if … else …``), the
    flag codes, the lint codes (``lint_`` + a code of qkit.lint) and the codes of a failed write by errno."""
    from qkit import files

    codes = set(_flag_codes()) | {f"lint_{c}" for c in lint.CODES} | set(files.ERRNO_CODES.values())
    for path, node in _calls():
        if _name(node.func) == "Problem":
            arg = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "code"), None)
        elif path.name in ("document.py", "values.py", "plan.py") and _name(node.func) == "add" and len(node.args) > 1:
            arg = node.args[1]  # the checker's self.add(where, code, value, **params)
        else:
            continue
        codes |= _constants(arg)
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                codes |= _constants(node.value)
    return codes


def _words() -> set[str]:
    return {word for rubric in RUBRICS for word in rubric.words.values()}


def _applicant_labels() -> set[str]:
    """The form's label of each detail of the applicant: an organization's (wb_applicant_…) or a person's (wb_nominee_…)."""
    return {f"{r.words['applicant_form']}_{f}" for r in RUBRICS for f in r.applicant_fields}


def _clause_kinds() -> set[str]:
    return {c.kind for rubric in RUBRICS for c in rubric.clauses}


def _better() -> set[str]:
    return {f"better_{b}" for b in document.BETTER}


def _kpi_columns() -> set[str]:
    docs = [card.assessment for card in sample_cards().values()]
    frames = [f(doc) for doc in docs for f in (analytics.kpi_values_frame, analytics.kpi_summary_frame)]
    return {f"col_{c}" for frame in frames for c in frame.columns}


def _import_columns() -> set[str]:
    from qkit.web import kpi_import

    return {f"col_{c}" for c in kpi_import.COLUMNS}


def _application_files(prefix: str) -> set[str]:
    from qkit.web.session import APPLICATION_FILES

    return {f"{prefix}{kind}" for kind in APPLICATION_FILES}


def _export_kinds() -> set[str]:
    from qkit.web.form.panels import ExportPanel

    return {f"wb_export_{kind}" for kind in ExportPanel.KINDS}


def _descriptor_kinds() -> set[str]:
    kinds = {kind for rubric in RUBRICS for band in rubric.bands for kind in rubric.maturity_descriptors(band)}
    return {f"{kind}_descriptors" for kind in kinds}


def _cover_fields() -> set[str]:
    return {f for rubric in RUBRICS for f in rubric.applicant_fields if f not in ("name", "short_name")}


# (file under qkit/, the key expression as written) -> the keys it can take
DYNAMIC = {
    ("analytics.py", "'standing_' + self.standing"):
        lambda: {f"standing_{s}" for s in (analytics.LEADING, analytics.LEVEL, analytics.TRAILING)},
    ("analytics.py", "'better_' + kpi.better"): _better,
    ("analytics.py", "'trend_' + (a.trend or 'none')"):
        lambda: {f"trend_{t}" for t in (analytics.FAVOURABLE, analytics.UNFAVOURABLE, analytics.FLAT, "none")},
    ("analytics.py", "'col_' + c"): _kpi_columns,
    ("radar.py", "'chart_radar' if units and isinstance(units[0], ItemScore) else 'chart_radar_indicators'"):
        lambda: {"chart_radar", "chart_radar_indicators"},
    ("charts.py", "kind"): lambda: _clause_kinds() - {"indicator"},  # the process and the results bars
    ("charts.py", "grid.kind"): lambda: _clause_kinds() - {"indicator"},  # the process and the results grid
    ("sections.py", "'chart_factors_individual' if grids[0].kind is None else 'chart_factors'"):
        lambda: {"chart_factors_individual", "chart_factors"},
    ("templates/report_sections.html.j2", "grid.kind"): lambda: _clause_kinds() - {"indicator"},
    ("cli/documents.py", "rubric.words['item']"): _words,
    ("cli/documents.py", "c.kind"): _clause_kinds,
    ("cli/console.py", "f'role_{member.role}'"): lambda: {f"role_{r}" for r in ROLES},
    ("i18n.py", "params['kind']"): lambda: {"strengths", "ofis", "evidence"},
    ("i18n.py", "f'audience_{a}'"): lambda: {"audience_applicant", "audience_internal"},
    ("web/form/panels.py", "f'audience_{a}'"): lambda: {"audience_applicant", "audience_internal"},
    ("web/places.py", "f'wb_{problem.code}'"): lambda: {"wb_outside_band", "wb_outside_range"},
    ("web/session/writing.py", "f'lint_code_{found.code}'"): lambda: {f"lint_code_{c}" for c in lint.CODES},
    ("excel.py", "'met_yes' if m else 'met_no'"): lambda: {"met_yes", "met_no"},
    ("sections.py", "'results_lead' if edition.internal else 'results_lead_applicant'"):
        lambda: {"results_lead", "results_lead_applicant"},
    ("docx_report.py", "'results_lead' if edition.internal else 'results_lead_applicant'"):
        lambda: {"results_lead", "results_lead_applicant"},
    ("analytics.py", "'hint_integration_applicant' if for_applicant else 'hint_integration'"):
        lambda: {"hint_integration", "hint_integration_applicant"},
    ("excel.py", "key"): lambda: {"sheet_factors", "sheet_evidence", "sheet_narratives"},
    ("tables.py", "grid.kind"): lambda: _clause_kinds() - {"indicator"},
    ("templates/web_form.html.j2", "'round_' ~ r.record.round"): lambda: {f"round_{r}" for r in ROUNDS},
    ("i18n.py", "f\"role_{params['role']}\""): lambda: {f"role_{r}" for r in ROLES},
    ("web/form/header.py", "'wb_submitted' if self.session.submitted else 'wb_assessing'"):
        lambda: {"wb_submitted", "wb_assessing"},
    ("templates/web_form.html.j2", "'spread_' ~ reason"): lambda: {f"spread_{r}" for r in REASONS},
    ("web/form/panels.py", "f'theme_{kind}'"): lambda: {f"theme_{k}" for k in THEME_KINDS},
    ("web/session/rights.py", "f'role_{member.role}'"): lambda: {f"role_{r}" for r in ROLES},
    ("web/form/header.py", "label"): lambda: {"wb_keep_theirs", "wb_keep_mine", "wb_keep_both"},
    ("cli/comparing.py", "f'spread_{r}'"): lambda: {f"spread_{r}" for r in REASONS},
    ("tables.py", "f'spread_{r}'"): lambda: {f"spread_{r}" for r in REASONS},
    ("tables.py", "'lenient' if deviation > 0 else 'severe' if deviation < 0 else 'on_consensus'"):
        lambda: {"lenient", "severe", "on_consensus"},
    ("templates/report_sections.html.j2", "'theme_' ~ kind"): lambda: {f"theme_{k}" for k in THEME_KINDS},
    ("tables.py", "rubric.words['applicant']"): _words,
    ("tables.py", "rubric.words['maturity']"): _words,
    ("cli/documents.py", "card.rubric.words['maturity']"): _words,
    ("cli/documents.py", "card.rubric.words['clause']"): _words,
    ("cli/documents.py", "card.rubric.words['item']"): _words,
    ("docx_report.py", "card.rubric.words['maturity']"): _words,
    ("package.py", "card.rubric.words['clause']"): _words,
    ("package.py", "f'pkg_col_{c}'"): lambda: {f"pkg_col_{c}" for c in ("number", "title", "clause", "date", "owner",
                                                                         "file")},
    ("templates/report_sections.html.j2", "card.rubric.words['maturity']"): _words,
    ("errors.py", "f'{self.code}_short'"): lambda: {f"{code}_short" for code in _flag_codes()},
    ("docx_report.py", "rubric.words['applicant']"): _words,
    ("docx_report.py", "f"): _cover_fields,
    ("docx_report.py", "key"): lambda: {"strengths", "ofis_long", "evidence"},
    ("excel.py", "f'better_{b}'"): _better,
    ("narrative.py", "f'col_{c}'"): lambda: {f"col_{c}" for c in __import__("qkit.narrative").narrative.WRITING_COLUMNS},
    ("i18n.py", "problem.code"): _problem_codes,
    ("sections.py", "card.rubric.words['applicant']"): _words,
    ("sections.py", "f"): _cover_fields,
    ("sections.py", "f'{kind}_descriptors'"): _descriptor_kinds,
    ("tables.py", "card.rubric.words['item']"): _words,
    ("tables.py", "card.rubric.words['clause']"): _words,
    ("improvement_tables.py", "card.rubric.words['item']"): _words,
    ("improvement_tables.py", "card.rubric.words['clause']"): _words,
    ("tables.py", "c.kind"): _clause_kinds,
    ("tables.py", "kind"): lambda: {"strengths", "ofis"},
    ("web/kpi_import.py", "'col_' + c"): _import_columns,
    ("web/kpi_import.py", "LABELS['col_' + key]"): _import_columns,
    ("web/kpi_import.py", "LABELS['better_' + key]"): _better,
    ("web/form/workbook.py", "rubric.words['profile_tab']"): _words,
    ("web/form/clauses.py", "f'{prefix}_{key}'"): lambda: _applicant_labels(),
    ("web/form/clauses.py", "prefix"): lambda: {r.words["applicant_form"] for r in RUBRICS},
    ("web/form/clauses.py", "rubric.words['notes']"): _words,
    ("web/form/header.py", "rubric.words['missing']"): _words,
    ("web/form/header.py", "rubric.words['all_scored']"): _words,
    ("web/places.py", "f'{prefix}_{f}'"): lambda: _applicant_labels(),
    ("web/places.py", "f'{prefix}_place_name'"): lambda: {f"{r.words['applicant_form']}_place_name" for r in RUBRICS},
    ("web/places.py", "prefix"): lambda: {r.words["applicant_form"] for r in RUBRICS},
    ("web/form/panels.py", "f'wb_export_{kind}'"): _export_kinds,
    ("web/form/evidence.py", "f'wb_export_{kind}'"): lambda: _application_files("wb_export_"),
    ("web/form/evidence.py", "f'wb_make_{kind}'"): lambda: _application_files("wb_make_"),
    ("plan.py", "STATUS_KEYS[status]"): lambda: set(__import__("qkit.plan").plan.STATUS_KEYS.values()),
    ("web/form/plan.py", "rubric.words['item']"): _words,
    ("templates/web_form.html.j2", "clause.kind"): _clause_kinds,
}
TR_ITSELF = ("i18n.py", "LABELS[key]")  # the lookup inside tr


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _calls():
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield path, node


def _python_keys() -> list[tuple[str, int, str | None, str]]:
    """(file, line, literal key or None, key expression) of every tr(...) and LABELS[...] / MESSAGES[...]."""
    found = []
    for path in _sources():
        where = str(path.relative_to(PACKAGE))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "tr":
                key = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "key"), None)
                assert key is not None, f"{where}:{node.lineno}: tr() without a key"
                source = ast.unparse(key)
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in (
                    "LABELS", "MESSAGES"):
                key, source = node.slice, ast.unparse(node)  # the whole lookup names the pattern
            else:
                continue
            literal = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
            found.append((where, node.lineno, literal, source))
    return found


def _jinja_source(node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{_jinja_source(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_jinja_source(node.node)}[{_jinja_source(node.arg)}]"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(_jinja_source(n) for n in node.nodes)
    if isinstance(node, nodes.Add):
        return f"{_jinja_source(node.left)} + {_jinja_source(node.right)}"
    return repr(node)


def _template_keys() -> list[tuple[str, int, str | None, str]]:
    """(file, line, literal key or None, key expression) of every tr(...) in the Jinja templates."""
    env = jinja2.Environment()
    found = []
    for path in sorted((PACKAGE / "templates").rglob("*.j2")):
        where = str(path.relative_to(PACKAGE))
        for call in env.parse(path.read_text(encoding="utf-8")).find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "tr":
                key = call.args[0]
                literal = key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else None
                found.append((where, call.lineno, literal, _jinja_source(key)))
    return found


ALL_KEYS = _python_keys() + _template_keys()


def test_the_scan_finds_the_calls_it_should():
    literals = {(where, key) for where, _, key, _ in ALL_KEYS if key}
    assert ("tables.py", "total") in literals and ("templates/report_sections.html.j2", "report_title") in literals
    assert ("web/kpi_import.py", "own_series") in literals  # a LABELS["..."] lookup
    assert len(ALL_KEYS) > 200
    assert ("excel.py", "f'better_{b}'") in {(where, source) for where, _, key, source in ALL_KEYS if key is None}


def test_every_literal_key_exists():
    missing = [f"{where}:{line}: {key}" for where, line, key, _ in ALL_KEYS if key and key not in KEYS]
    assert not missing, missing


def test_every_key_built_at_run_time_is_a_known_pattern():
    unknown = [f"{where}:{line}: tr({source})" for where, line, key, source in ALL_KEYS
               if key is None and (where, source) not in DYNAMIC and (where, source) != TR_ITSELF]
    assert not unknown, ("keys built in a way this test does not know; add the pattern and the source of its "
                         f"values to DYNAMIC: {unknown}")


@pytest.mark.parametrize("pattern", sorted(DYNAMIC), ids=lambda p: f"{p[0]}:{p[1]}")
def test_every_key_a_pattern_can_build_exists_in_both_languages(pattern):
    keys = DYNAMIC[pattern]()
    assert keys, "a pattern with no values enumerates nothing"
    missing = sorted(k for k in keys if k not in KEYS)
    assert not missing, missing


def test_every_known_pattern_is_still_in_the_code():
    used = {(where, source) for where, _, key, source in ALL_KEYS if key is None}
    assert not set(DYNAMIC) - used, sorted(set(DYNAMIC) - used)


def test_the_value_sources_are_real():
    """The enumerations come from the rubrics and the scoring, not from a list that could drift."""
    assert _flag_codes() == {"outside_band", "outside_justified", "below_described", "outside_range",
                             "outside_range_justified"}
    assert _clause_kinds() == {"process", "results", "indicator"}
    assert {"item", "group", "clause", "indicator", "applicant", "applicant_person"} <= _words()
    assert {"industry", "organization", "position"} <= _cover_fields()
    assert {"col_kpi", "col_year", "col_trend", "col_comparisons"} <= _kpi_columns()
    assert {"score_step", "unknown_rubric", "file_missing", "required", "outside_band"} <= _problem_codes()


def test_every_problem_made_in_the_code_fills_its_message():
    """A Problem whose message needs {allowed} or {detail} must be given it, or rendering it fails."""
    unfilled = []
    for path, node in _calls():
        if _name(node.func) == "Problem" and len(node.args) > 1:
            params = node.args[3] if len(node.args) > 3 else next(
                (k.value for k in node.keywords if k.arg == "params"), None)
            if params is not None and not isinstance(params, ast.Dict):
                continue  # built elsewhere
            given = {k.value for k in params.keys} if params is not None else set()
        elif path.name in ("document.py", "values.py", "plan.py") and _name(node.func) == "add" and len(node.args) > 1:
            given = {k.arg for k in node.keywords}  # self.add(where, code, value, **params)
        else:
            continue
        code = node.args[1]
        if isinstance(code, ast.Constant) and code.value in KEYS:
            needed = placeholders(KEYS[code.value][0])
            if not needed <= given:
                unfilled.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {code.value} needs {sorted(needed - given)}")
    assert not unfilled, unfilled


def test_no_message_is_left_unused():
    """Every message and label is said somewhere: a literal key, a pattern known to DYNAMIC, or a problem's code."""
    used = {key for _, _, key, _ in ALL_KEYS if key} | _problem_codes()
    for values in DYNAMIC.values():
        used |= values()
    unused = sorted(k for k in {**MESSAGES, **LABELS} if k not in used)
    assert not unused, ", ".join(unused)
