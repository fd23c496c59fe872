"""The web form's widgets: a view over ``qkit.web.session.Session``.

Each workbook notebook is one call, ``workbook("<rubric id>")``. Every value
shown comes from the session and every edit goes straight to it; checking,
scoring, hints and exports live in the model and the core. Nothing about an
applicant is built before the page's access key has been checked. Text a user
typed is only ever placed in input values, or in an HTML widget through a
macro of ``templates/web_form.html.j2``, which escapes it.
"""

from __future__ import annotations

import atexit
import base64
import io
import os
import sys
from typing import Any, Callable
from urllib.parse import parse_qs

import ipywidgets as w

from ..errors import QkitError
from ..html import macro, macros
from ..i18n import fmt_band, join_list, tr
from ..rubric import STEP, RubricIndex
from ..scoring import Scorecard
from .session import EXPORTS, Path, Session, field_of, parse_integer, parse_names, parse_number

UNSCORED = -1  # the score picker's "not scored" entry; the document leaves the score out
PRIORITIES = 5
FORM = "web_form.html.j2"  # the macros of every HTML fragment below


def query_string() -> str:
    """The page's query string: Voila passes it in the environment; a preheated kernel waits for it."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import get_query_string

        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


def page_lang(query: str) -> str:
    """Chinese unless the link asks for ``lang=en``."""
    return "en" if parse_qs(query or "").get("lang", [""])[0] == "en" else "zh"


def fragment(macro_name: str, /, **context: Any) -> str:
    """One macro of the form's template, its arguments escaped."""
    return str(macro(FORM, macro_name, **context)).strip()


def _html(markup: str, *classes: str) -> w.HTML:
    """An HTML widget; markup is a fragment (or empty)."""
    widget = w.HTML(markup)
    for cls in classes:
        widget.add_class(cls)
    return widget


# --- entry points ---------------------------------------------------------------


def workbook(rubric_id: str, query: str | None = None, data_dir: str | None = None,
             lang: str | None = None) -> w.Widget:
    """The form for the applicant whose key is in the page's link, or a friendly refusal.

    The rubric and the form's template are loaded before the key is read, so a
    preheated kernel has done that work before the page is requested.
    """
    index = RubricIndex.scan()
    rubric = index.load(rubric_id)
    macros(FORM)  # compiled while a preheated kernel waits for the page
    query = query_string() if query is None else query
    lang = lang or page_lang(query)
    try:
        session = Session.open(rubric, data_dir, query, index=index)
    except QkitError as exc:
        # the detail names server files: it goes to the server's log, not to the page
        print(exc.render("en"), file=sys.stderr)
        return _denied(lang, tr("store_unavailable", lang))
    if session is None:
        return _denied(lang)
    atexit.register(session.flush)  # Voila shuts the kernel down when the tab closes: keep the last edits
    return Workbook(session, lang).widget


def landing(lang: str | None = None) -> w.Widget:
    """The list of standards served here; it shows no applicant data."""
    lang = lang or page_lang(query_string())
    index = RubricIndex.scan()
    rubrics = [index.load(rid) for rid in index.ids]
    box = w.VBox([_html(fragment("style")), _html(fragment("landing", rubrics=rubrics, lang=lang))])
    box.add_class("qkit-form")
    return box


def _denied(lang: str, detail: str = "") -> w.Widget:
    return w.VBox([_html(fragment("style")), _html(fragment("denied", detail=detail, lang=lang))])


# --- the form -----------------------------------------------------------------


class Form:
    """What every editor shares: the session, the language and the per-field problem messages."""

    def __init__(self, session: Session, lang: str):
        self.session, self.lang = session, lang
        self._messages: dict[str, w.HTML] = {}
        session.observe(self._refresh_messages)

    def messages(self, path: Path) -> w.HTML:
        """A line under a field showing that field's problems, kept up to date."""
        widget = _html("")
        widget.add_class("qkit-problem")
        self._messages[field_of(path)] = widget
        widget.value = self._render(self.session.messages(path, self.lang))
        return widget

    def forget(self, path: Path) -> None:
        """Drop the message lines of the fields under path: their editors are being rebuilt."""
        prefix = field_of(path) + "/"
        for key in [k for k in self._messages if k.startswith(prefix)]:
            del self._messages[key]

    def _refresh_messages(self, path: Path) -> None:
        by_field: dict[str, list[str]] = {}
        for problem in self.session.shown_problems:
            by_field.setdefault(problem.field, []).append(self.session.describe(problem, self.lang))
        for where, widget in self._messages.items():
            widget.value = self._render(by_field.get(where, []))

    @staticmethod
    def _render(messages: list[str]) -> str:
        return fragment("problems", messages=messages)

    # inputs bound to the session ------------------------------------------------

    def text(self, path: Path, label: str, *, multiline: bool = False, parse: Callable[[str], Any] | None = None,
             shown: Callable[[Any], str] | None = None, placeholder: str = "", rows: int = 3,
             width: str = "100%") -> w.VBox:
        """A text box for the value at path; what is typed goes to the session at each keystroke."""
        raw = self.session.value(path)
        value = "" if raw is None else (shown(raw) if shown else str(raw))
        cls = w.Textarea if multiline else w.Text
        box = cls(value=value, placeholder=placeholder, continuous_update=True,
                  layout=w.Layout(width="99%", **({"height": f"{rows * 24 + 12}px"} if multiline else {})))
        box.observe(lambda change: self.session.set(path, parse(change["new"]) if parse else change["new"]),
                    "value")
        parts = [w.HTML(fragment("label", value=label))] if label else []
        return w.VBox(parts + [box, self.messages(path)], layout=w.Layout(width=width))

    def choice(self, path: Path, options: list[tuple[str, Any]], *, empty: Any = None, label: str = "",
               tooltip: str = "", width: str = "auto") -> w.Dropdown:
        """A dropdown for the value at path; a stored value outside the options is kept and shown."""
        raw = self.session.value(path)
        values = [v for _, v in options]
        if raw is not None and raw not in values:
            options = options + [(str(raw), raw)]
        picker = w.Dropdown(options=options, value=empty if raw is None else raw, description=label,
                            tooltip=tooltip or None, layout=w.Layout(width=width),
                            style={"description_width": "initial"})
        picker.observe(lambda change: self.session.set(path, None if change["new"] == empty else change["new"]),
                       "value")
        return picker

    def labeled(self, label: str, widget: w.Widget, path: Path, width: str = "auto") -> w.VBox:
        """A field with its name above and its problems below."""
        return w.VBox([w.HTML(fragment("label", value=label)), widget, self.messages(path)],
                      layout=w.Layout(width=width))

    def text_list(self, path: Path, label: str, hint: str = "") -> "TextList":
        return TextList(self, path, label, hint)


class TextList(w.VBox):
    """Editable entries of a list field (strengths, OFIs, evidence), one text box each."""

    def __init__(self, form: Form, path: Path, label: str, hint: str = ""):
        super().__init__()
        self.form, self.path = form, path
        self.header = w.HTML(fragment("label", value=label, hint=hint))
        self.add = w.Button(description=tr("wb_add_entry", form.lang), icon="plus", layout=w.Layout(width="auto"))
        self.add.on_click(self._add)
        self.entries = w.VBox()
        self.own = form.messages(path)
        self._build()
        self.children = [self.header, self.entries, self.own, w.HBox([self.add])]
        self.add_class(f"qkit-list-{path[-1]}")

    def _build(self) -> None:
        self.form.forget(self.path)
        entries = self.form.session.value(self.path, [])
        entries = entries if isinstance(entries, list) else []
        rows = []
        for i, text in enumerate(entries):
            box = w.Textarea(value="" if text is None else str(text), continuous_update=True,
                             layout=w.Layout(width="100%", height="64px"))
            box.observe(lambda change, i=i: self.form.session.set(self.path + (i,), change["new"]), "value")
            remove = w.Button(icon="trash", tooltip=tr("wb_remove_entry", self.form.lang),
                              layout=w.Layout(width="40px"))
            remove.on_click(lambda _, i=i: self._remove(i))
            number = w.HTML(fragment("entry_number", n=i + 1), layout=w.Layout(width="24px"))
            rows.append(w.VBox([w.HBox([number, box, remove]), self.form.messages(self.path + (i,))]))
        self.entries.children = rows

    def _add(self, _: Any = None) -> None:
        self.form.session.append(self.path, "")
        self._build()

    def _remove(self, i: int) -> None:
        self.form.session.remove(self.path + (i,))
        self._build()


class Workbook:
    """The whole form: a header with the live total and saving, then one tab per part."""

    def __init__(self, session: Session, lang: str):
        self.session, self.lang = session, lang
        self.form = Form(session, lang)
        rubric = session.rubric
        self.header = Header(self.form)
        self.summary: SummaryPanel | None = None
        parts: list[tuple[str, Callable[[], w.Widget]]] = []
        parts.append((tr(rubric.words["profile_tab"], lang),
                      lambda: ProfileEditor(self.form)))
        for item in rubric.items:
            parts.append((f"{item.id} {item.name(lang)}", lambda item=item: ItemPanel(self.form, item)))
        parts.append((tr("wb_results_tab", lang), lambda: KpiEditor(self.form)))
        parts.append((tr("wb_summary_tab", lang), self._summary))
        parts.append((tr("wb_export_tab", lang), lambda: ExportPanel(self.form)))
        self._builders = [build for _, build in parts]
        self.tabs = w.Tab(children=[w.VBox() for _ in parts], titles=[title for title, _ in parts])
        self.tabs.observe(self._open_tab, "selected_index")
        self._open_tab({"new": 0})
        self.widget = w.VBox([_html(fragment("style")), self.header, self.tabs])
        self.widget.add_class("qkit-form")

    def _summary(self) -> "SummaryPanel":
        self.summary = SummaryPanel(self.form)
        return self.summary

    def _open_tab(self, change: dict) -> None:
        """Tabs are built when first opened, so the page appears fast; the summary redraws when shown."""
        index = change["new"]
        if index is None:
            return
        holder = self.tabs.children[index]
        if not holder.children:
            holder.children = [self._builders[index]()]
        elif isinstance(holder.children[0], SummaryPanel):
            holder.children[0].show()
        if self.summary is not None:
            self.summary.visible = isinstance(holder.children[0], SummaryPanel)


class Header(w.VBox):
    """Applicant, live total, problems and the save state, always in view."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.title = _html("", "qkit-title")
        self.total = _html("", "qkit-total")
        self.detail = _html("", "qkit-muted")
        self.status = _html("")
        self.save_button = w.Button(description=tr("wb_save", lang), icon="save", button_style="primary",
                                    layout=w.Layout(width="auto"))
        self.save_button.on_click(lambda _: self.session.save())
        self.overwrite = w.Button(description=tr("wb_overwrite", lang), button_style="warning",
                                  layout=w.Layout(width="auto", display="none"))
        self.overwrite.on_click(lambda _: self.session.save(overwrite=True))
        self.problems = w.HTML()
        self.problems_box = w.Accordion(children=[self.problems], layout=w.Layout(display="none"))
        self.total.add_class("qkit-total-value")
        self.status.add_class("qkit-save-status")
        self.children = [
            w.HBox([w.VBox([self.title], layout=w.Layout(flex="1")), self.total],
                   layout=w.Layout(align_items="center")),
            w.HBox([self.save_button, self.overwrite, self.status, self.detail], layout=w.Layout(align_items="center")),
            self.problems_box,
        ]
        self.add_class("qkit-header")
        self.session.observe(self.refresh)
        self.refresh(())

    def refresh(self, path: Path) -> None:
        session, lang = self.session, self.lang
        if path != ("_saved",):
            if Session.affects_score(path):
                self._score(session.scorecard)
            messages = session.all_messages(lang)
            self.problems.value = fragment("problems", messages=messages, css="qkit-problem")
            self.problems_box.set_title(0, tr("wb_problems", lang, n=len(messages)))
            self.problems_box.layout.display = "flex" if messages else "none"
        state, text = session.status(lang)
        self.status.value = fragment("save_status", state=state, message=text)
        self.overwrite.layout.display = "inline-flex" if state == "stale" else "none"

    def _score(self, card: Scorecard | None) -> None:
        rubric, lang = self.session.rubric, self.lang
        name = self.session.name or tr("wb_unnamed", lang)
        self.title.value = fragment("header_title", name=name, title=rubric.title(lang))
        self.total.value = fragment("header_total", card=card, lang=lang)
        if card is None:
            return
        missing = len(card.missing)
        self.detail.value = fragment("text", value=tr("wb_missing", lang, n=missing, all=len(card.clauses))
                                     if missing else tr("wb_all_scored", lang))


class ProfileEditor(w.VBox):
    """Who is assessed and when, and the organizational profile (5.1) of organization awards."""

    def __init__(self, form: Form):
        super().__init__()
        lang, rubric = form.lang, form.session.rubric
        fields = []
        for key in rubric.applicant_fields:
            parse = parse_integer if key == "employees" else None
            fields.append(form.text(("applicant", key), tr(f"wb_applicant_{key}", lang), parse=parse,
                                    width="48%"))
        applicant = w.VBox([_html(fragment("heading", value=tr("wb_applicant", lang))),
                            w.Box(fields, layout=w.Layout(flex_flow="row wrap", justify_content="space-between"))])
        assessment = w.VBox([
            _html(fragment("heading", value=tr("wb_assessment", lang))),
            w.Box([
                form.text(("assessment", "date"), tr("wb_date", lang), placeholder="2026-10-15", width="30%",
                          shown=_iso),
                form.text(("assessment", "stage"), tr("wb_stage", lang), width="30%"),
                form.text(("assessment", "assessors"), tr("wb_assessors", lang), parse=parse_names,
                          shown=lambda v: join_list(v, lang) if isinstance(v, list) else str(v), width="36%",
                          placeholder=tr("wb_assessors_hint", lang)),
            ], layout=w.Layout(flex_flow="row wrap", justify_content="space-between")),
        ])
        parts = [applicant, assessment]
        profile = rubric.profile
        if profile is not None:
            prompts = []
            for prompt in profile.prompts:
                prompts.append(_html(fragment("profile_prompt", prompt=prompt, lang=lang)))
                prompts.append(form.text(("profile", prompt.id), "", multiline=True, rows=5))
            parts.append(w.VBox([_html(fragment("profile_intro", profile=profile, lang=lang)), *prompts]))
        self.children = parts


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class ItemPanel(w.VBox):
    """One item (or indicator group): its overview and an editor per clause."""

    def __init__(self, form: Form, item: Any):
        super().__init__()
        overview = getattr(item, "overview", "")
        intro = _html(fragment("item_intro", item=item, overview=overview, lang=form.lang))
        self.children = [intro] + [ClauseEditor(form, clause) for clause in item.clauses]


class ClauseEditor(w.VBox):
    """One clause: requirement, factor ratings, suggested band, score, strengths, OFIs, evidence, notes."""

    def __init__(self, form: Form, clause: Any):
        super().__init__()
        self.form, self.session, self.lang, self.clause = form, form.session, form.lang, clause
        lang, rubric = self.lang, self.session.rubric
        self.path = ("clauses", clause.id)
        head = _html(fragment("clause_heading", clause=clause, lang=lang))
        parts: list[w.Widget] = [head, _html(self._requirement(), "qkit-req")]
        self.suggestion = _html("")
        self.apply = w.Button(description=tr("wb_apply_suggestion", lang), layout=w.Layout(width="auto",
                                                                                        display="none"))
        self.apply.on_click(self._apply)
        self.descriptors: dict[str, w.HTML] = {}
        self.dimension = rubric.dimension(clause)
        if self.dimension is not None:
            parts.append(self._factors())
            parts.append(w.HBox([self.suggestion, self.apply], layout=w.Layout(align_items="center")))
        options = [(tr("unscored", lang), UNSCORED)] + [(f"{s}%", s) for s in range(0, 101, STEP)]
        self.score = form.choice(self.path + ("score",), options, empty=UNSCORED, label=tr("score", lang))
        self.score.add_class("qkit-score")
        self.earned = _html("")
        self.flag = _html("", "qkit-warn")
        self.hint = _html("", "qkit-muted")
        if clause.kind in ("results", "indicator"):
            parts.append(self.hint)
        score_row = w.HBox([self.score, self.earned, self.flag], layout=w.Layout(align_items="center"))
        score_row.add_class("qkit-score-row")
        parts.append(score_row)
        parts.append(form.messages(self.path + ("score",)))
        parts.append(form.messages(self.path))
        parts += [
            form.text_list(self.path + ("strengths",), tr("wb_strengths", lang)),
            form.text_list(self.path + ("ofis",), tr("ofis", lang)),
            form.text_list(self.path + ("evidence",), tr("wb_evidence", lang), tr("wb_evidence_hint", lang)),
            form.text(self.path + ("notes",), tr("wb_notes", lang), multiline=True, rows=2),
        ]
        self.children = parts
        self.add_class("qkit-card")
        self.session.observe(self._refresh)
        self._refresh(self.path)

    def _requirement(self) -> str:
        return fragment("requirement", clause=self.clause, rubric=self.session.rubric, lang=self.lang)

    def _factors(self) -> w.Widget:
        lang, dimension = self.lang, self.dimension
        options = [(tr("wb_unrated", lang), "")] + [(fmt_band(b), b.key) for b in dimension.bands]
        columns = []
        for factor in dimension.factors:
            path = self.path + ("factors", factor.id)
            picker = self.form.choice(path, options, empty="", tooltip=factor.definition, width="150px")
            self.descriptors[factor.id] = _html("", "qkit-muted")
            columns.append(w.VBox([
                w.HTML(fragment("factor_heading", factor=factor, lang=lang)),
                picker, self.form.messages(path), self.descriptors[factor.id],
            ], layout=w.Layout(width="24%")))
        title = _html(fragment("factors_title", dimension=dimension, lang=lang))
        return w.VBox([title, w.HBox(columns, layout=w.Layout(justify_content="space-between")),
                       self.form.messages(self.path + ("factors",))])

    def _refresh(self, path: Path) -> None:
        if path[:2] != self.path and path[:1] != ("results",) and path != ():
            return
        lang = self.lang
        scored = self.session.clause_score(self.clause.id)
        dimension = self.dimension
        if dimension is not None:
            for factor in dimension.factors:
                key = self.session.value(self.path + ("factors", factor.id))
                band = next((b for b in dimension.bands if b.key == key), None)
                self.descriptors[factor.id].value = fragment(
                    "text", value=band.descriptors.get(factor.id, "") if band else "")
            suggestion = scored.suggestion if scored else None
            self.suggestion.value = fragment("suggestion", suggestion=suggestion, lang=lang)
            self.apply.layout.display = "inline-flex" if suggestion and scored.score != suggestion.score else "none"
        self.earned.value = fragment("earned", scored=scored, lang=lang)
        self.flag.value = fragment("flag", problem=scored.flag if scored else None, lang=lang)
        if self.clause.kind in ("results", "indicator"):
            self.hint.value = fragment("data_hint", hint=self.session.data_hint(self.clause.id, lang), lang=lang)

    def _apply(self, _: Any) -> None:
        scored = self.session.clause_score(self.clause.id)
        if scored and scored.suggestion:
            self.score.value = scored.suggestion.score


class KpiEditor(w.VBox):
    """Results data: KPIs with their yearly values and comparison series, typed or imported."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        clauses = {c.id: c for c in self.session.rubric.clauses}
        self.clause_options = [(f"{cid} {clauses[cid].name(lang)}", cid) for cid in self.session.results_clauses]
        self.upload = w.FileUpload(accept=".csv,.xlsx", multiple=False, description=tr("wb_import", lang),
                                   layout=w.Layout(width="auto"))
        self.upload.observe(self._import, "value")
        self.import_note = _html("")
        self.add = w.Button(description=tr("wb_add_kpi", lang), icon="plus", button_style="info",
                            layout=w.Layout(width="auto"))
        self.add.on_click(self._add)
        self.list = w.VBox()
        intro = _html(fragment("section_intro", title=tr("wb_results_tab", lang), intro=tr("wb_results_intro", lang)))
        self.own = form.messages(("results",))
        self.children = [intro, w.HBox([self.add, self.upload]), self.import_note,
                         self.own, self.list]
        self._build()

    def _build(self) -> None:
        self.form.forget(("results",))
        kpis = self.session.value(("results",), [])
        kpis = kpis if isinstance(kpis, list) else []
        self.list.children = [self._kpi(i) for i in range(len(kpis))]

    def _kpi(self, i: int) -> w.Widget:
        form, lang = self.form, self.lang
        path = ("results", i)
        better = [(tr("better_higher", lang), "higher"), (tr("better_lower", lang), "lower")]
        remove = w.Button(description=tr("wb_remove_kpi", lang), icon="trash", layout=w.Layout(width="auto"))
        remove.on_click(lambda _: self._remove(i))
        fields = w.HBox([
            form.labeled(tr("col_clause", lang), form.choice(path + ("clause",), self.clause_options, width="260px"),
                         path + ("clause",)),
            form.text(path + ("name",), tr("col_kpi", lang), width="260px"),
            form.text(path + ("unit",), tr("col_unit", lang), width="110px"),
            form.labeled(tr("col_better", lang), form.choice(path + ("better",), better, empty="higher",
                                                             width="120px"), path + ("better",)),
            form.text(path + ("target",), tr("col_target", lang), parse=parse_number, width="110px"),
        ], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        card = w.VBox([w.HBox([_html(fragment("kpi_heading", number=i + 1, lang=lang)), remove],
                              layout=w.Layout(justify_content="space-between")),
                       fields, form.messages(path), self._values(i)])
        card.add_class("qkit-card")
        return card

    def _values(self, i: int) -> w.Widget:
        """The year × series grid: a row per year, our values then each comparison series."""
        form, lang, session = self.form, self.lang, self.session
        path = ("results", i)
        comparisons = session.value(path + ("comparisons",), {})
        comparisons = comparisons if isinstance(comparisons, dict) else {}
        series = [(tr("own_series", lang), path + ("values",))]
        series += [(str(name), path + ("comparisons", name)) for name in comparisons]
        years = sorted({y for s in session.kpi_series(i) for y in s}, key=lambda y: (not isinstance(y, int), str(y)))
        cell = w.Layout(width="130px")
        note = _html("", "qkit-problem")
        head = [w.HTML(fragment("label", value=tr("col_year", lang)), layout=cell)]
        for name, spath in series:
            if spath[-1] == "values":
                head.append(w.HTML(fragment("label", value=name), layout=cell))
                continue
            box = w.Text(value=name, layout=cell, continuous_update=False, tooltip=tr("wb_series_name", lang))
            box.observe(lambda c, old=name: self._after(i, session.rename_series(i, old, c["new"]), note), "value")
            head.append(box)
        rows = [w.HBox(head)]
        for year in years:
            year_box = w.Text(value=str(year), layout=cell, continuous_update=False)
            year_box.observe(lambda c, old=year: self._after(i, session.set_year(i, old, c["new"]), note), "value")
            cells = [year_box]
            for _, spath in series:
                value = session.value(spath + (year,))
                box = w.Text(value="" if value is None else str(value), layout=cell, continuous_update=True)
                box.observe(lambda c, p=spath + (year,): session.set(p, parse_number(c["new"])), "value")
                cells.append(box)
            rows.append(w.VBox([w.HBox(cells)] + [form.messages(p + (year,)) for _, p in series]))
        add_year = w.Button(description=tr("wb_add_year", lang), icon="plus", layout=w.Layout(width="auto"))
        add_year.on_click(lambda _: (session.add_year(i), self._after(i, None, note)))
        add_series = w.Button(description=tr("wb_add_series", lang), icon="plus", layout=w.Layout(width="auto"))
        add_series.on_click(lambda _: (session.add_series(i, tr("wb_new_series", lang)), self._after(i, None, note)))
        own = [form.messages(p) for _, p in series]
        return w.VBox(rows + own + [w.HBox([add_year, add_series]), note])

    def _after(self, i: int, problem: Any, note: w.HTML) -> None:
        """Redraw a KPI after a change of its rows or columns, or say why the change was refused."""
        if problem is not None:
            note.value = fragment("text", value=problem.render(self.lang))
            return
        children = list(self.list.children)
        self.form.forget(("results", i))
        children[i] = self._kpi(i)
        self.list.children = children

    def _add(self, _: Any) -> None:
        self.session.add_kpi(self.session.results_clauses[0])
        self._build()

    def _remove(self, i: int) -> None:
        self.session.remove(("results", i))
        self._build()

    def _import(self, change: dict) -> None:
        from .kpi_import import read_kpis

        files = change["new"]
        if not files:
            return
        upload = files[0]
        try:
            kpis = read_kpis(upload["name"], bytes(upload["content"]))
        except QkitError as exc:
            self.import_note.value = fragment("import_failed", message=exc.render(self.lang))
            return
        added, updated = self.session.import_kpis(kpis)
        self.import_note.value = fragment("import_done", added=added, updated=updated, lang=self.lang)
        self._build()


class SummaryPanel(w.VBox):
    """Live total, maturity, item table, radar and priorities; redrawn on score changes while visible."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.visible = True
        self.stale = True
        self.total = _html("")
        self.items = _html("")
        self.radar = w.Image(format="png", layout=w.Layout(width="480px"))
        self.priorities = _html("")
        self.children = [self.total, w.HBox([self.items, self.radar], layout=w.Layout(flex_flow="row wrap")),
                         self.priorities]
        self.session.observe(self._changed)
        self.show()

    def _changed(self, path: Path) -> None:
        if Session.affects_score(path):
            self.stale = True
            if self.visible:
                self.show()

    def show(self) -> None:
        if not self.stale:
            return
        self.stale = False
        card, lang = self.session.scorecard, self.lang
        if card is None:
            self.total.value = ""
            return
        from ..charts import item_radar
        from ..tables import maturity_label

        self.total.value = fragment("summary_total", card=card, maturity=maturity_label(card, lang), lang=lang)
        self.items.value = fragment("summary_items", card=card, lang=lang)
        self.radar.value = _png(item_radar(card, lang))
        self.priorities.value = fragment("summary_priorities", gaps=card.priorities(PRIORITIES), lang=lang)


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


class ExportPanel(w.VBox):
    """Downloads of the document (YAML), the Excel workbook and the HTML report, made on request."""

    KINDS = EXPORTS

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.link = _html("")
        self.buttons = []
        for kind in self.KINDS:
            button = w.Button(description=tr(f"wb_export_{kind}", lang), icon="download",
                              layout=w.Layout(width="auto", margin="0 12px 0 0"))
            button.on_click(lambda _, kind=kind: self._export(kind))
            self.buttons.append(button)
        intro = fragment("section_intro", title=tr("wb_export_tab", lang), intro=tr("wb_export_intro", lang))
        self.children = [_html(intro), w.HBox(self.buttons), self.link]
        self.link.add_class("qkit-export-link")

    def _export(self, kind: str) -> None:
        self.link.value = fragment("muted", value=tr("wb_preparing", self.lang))
        try:
            name, content, mime = self.session.export(kind, self.lang)
        except QkitError as exc:
            self.link.value = fragment("problems", messages=[p.render(self.lang) for p in exc.problems],
                                       css="qkit-problem")
            return
        data = base64.b64encode(content).decode("ascii")
        self.link.value = fragment("download", name=name, mime=mime, data=data, lang=self.lang)
