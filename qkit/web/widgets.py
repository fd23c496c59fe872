"""The web form's widgets: a view over ``qkit.web.session.Session``.

Each workbook notebook is one call, ``workbook("<rubric id>")``. Every value
shown comes from the session and every edit goes straight to it; checking,
scoring, hints and exports live in the model and the core. Nothing about an
applicant is built before the page's access key has been checked. Text a user
typed is only ever placed in input values, or in an HTML widget through a
macro of ``templates/web_form.html.j2``, which escapes it.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import functools
import sys
import time
import traceback
from typing import Any, Callable
from urllib.parse import parse_qs

import ipywidgets as w

from ..document import THEME_KINDS
from ..errors import QkitError
from ..merge import MISSING, changes
from ..html import macro, macros
from ..i18n import fmt_band, fmt_percent, join_list, tr
from ..radar import radar_svg
from ..rubric import STEP, RubricIndex
from ..scoring import Scorecard
from .places import year_of
from .preheat import query_string
from .session import EXPORTS, Path, Session, field_of, parse_integer, parse_names, parse_number, parse_year

UNSCORED = -1  # the score picker's "not scored" entry; the document leaves the score out
FORM = "web_form.html.j2"  # the macros of every HTML fragment below


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


def _denied(lang: str, detail: str = "") -> w.Widget:
    return w.VBox([_html(fragment("style")), _html(fragment("denied", detail=detail, lang=lang))])


# --- the form -----------------------------------------------------------------


class Form:
    """What every editor shares: the session, the language, the per-field messages and the inputs by field."""

    def __init__(self, session: Session, lang: str):
        self.session, self.lang = session, lang
        self._messages: dict[str, w.HTML] = {}
        self._rows: list[tuple[Path, Callable[[], list[Path]], w.HTML]] = []
        self._inputs: dict[str, w.Widget] = {}
        self._bound: list[tuple[Path, w.Widget, Callable[[Any], Any]]] = []  # inputs shown from the session
        self._warnings: dict[str, tuple[Path, w.HTML]] = {}  # feedback-quality lines, by field
        self.changes = 0  # edits so far; a cursor put somewhere later is not put there once the person went on
        session.observe(self._refresh_messages)
        session.observe(self._refresh_warnings)

    def safe(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """``callback`` with a last resort: an error nobody foresaw becomes a short message on the page and a
        log line with its traceback (a kernel's stderr is the server's log); the page goes on working.

        Every button and input of the form calls through this (a test walks the built form to check)."""
        if getattr(callback, "qkit_safe", False):
            return callback

        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the last resort: logged whole, said in words
                print(f"qkit: unexpected error in the form\n{traceback.format_exc()}", file=sys.stderr, flush=True)
                self.session.failed()
                return None

        run.qkit_safe = True
        return run

    def focus_soon(self, widget: w.Widget | None, delay: float = 0.25) -> None:
        """Put the cursor in a widget once the browser has drawn it (a view made just now misses a message
        sent now), unless the person has changed something meanwhile: the cursor is never taken from them."""
        if widget is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a test, a script): there is no browser to wait for
            widget.focus()
            return
        seen = self.changes
        loop.call_later(delay, lambda: widget.focus() if self.changes == seen else None)

    def messages(self, path: Path) -> w.HTML:
        """A line under a field showing that field's problems, kept up to date."""
        widget = _html("", "qkit-problem")
        self._messages[field_of(path)] = widget
        widget.value = self._render(self.session.messages(path, self.lang))
        return widget

    def moving_messages(self, owner: Path, paths: Callable[[], list[Path]]) -> w.HTML:
        """A line showing the problems of fields whose paths change (a grid row whose year is edited)."""
        widget = _html("", "qkit-problem")
        self._rows.append((owner, paths, widget))
        widget.value = self._render([m for p in paths() for m in self.session.messages(p, self.lang)])
        return widget

    def register(self, path: Path, widget: w.Widget) -> w.Widget:
        """The input to put the cursor in when the person asks to go to the field at path.

        A field the signed-in member may not change (another writer's item) is shown read-only.
        """
        self._inputs[field_of(path)] = widget
        if widget is not None and hasattr(widget, "disabled") and not self.session.editable(path):
            widget.disabled = True
        return widget

    def bind(self, path: Path, widget: w.Widget, shown: Callable[[Any], Any]) -> None:
        """Keep ``widget`` showing the session's value at path when others' changes are taken in."""
        self._bound.append((path, widget, shown))

    def sync(self) -> None:
        """Show what the session holds now in every bound input (after taking in others' changes).

        Setting an input to the value it already stands for changes nothing in the session.
        """
        for path, widget, shown in self._bound:
            wanted = shown(self.session.value(path))
            if widget.value != wanted and (not isinstance(widget, w.Dropdown) or wanted in widget.options_values()):
                widget.value = wanted

    def unregister(self, path: Path) -> None:
        self._inputs.pop(field_of(path), None)

    def input_for(self, path: Path) -> w.Widget | None:
        """The input of the field at path, or of the nearest field containing it."""
        for end in range(len(path), 0, -1):
            found = self._inputs.get(field_of(path[:end]))
            if found is not None:
                return found
        return None

    def forget(self, path: Path) -> None:
        """Drop the message lines and inputs of the fields under path: their editors are being rebuilt."""
        prefix = field_of(path) + "/"
        for registry in (self._messages, self._inputs, self._warnings):
            for key in [k for k in registry if k.startswith(prefix)]:
                del registry[key]
        self._rows = [row for row in self._rows if not (field_of(row[0]) + "/").startswith(prefix)]

    def _refresh_messages(self, path: Path) -> None:
        self.changes += 1
        by_field: dict[str, list[str]] = {}
        for problem in self.session.shown_problems:
            by_field.setdefault(problem.field, []).append(self.session.describe(problem, self.lang))
        for where, widget in self._messages.items():
            widget.value = self._render(by_field.get(where, []))
        for _, paths, widget in self._rows:
            widget.value = self._render([m for p in paths() for m in by_field.get(field_of(p), [])])

    @staticmethod
    def _render(messages: list[str]) -> str:
        return fragment("problems", messages=messages)

    def warnings(self, path: Path) -> w.HTML:
        """A line under a comment or a list showing its feedback-quality warnings (``Session.warnings``), kept up
        to date; muted hints, apart from the problems."""
        widget = _html("", "qkit-lint")
        widget.shown = self.session.warnings(path, self.lang)
        widget.value = fragment("feedback", messages=widget.shown, lang=self.lang)
        self._warnings[field_of(path)] = (path, widget)
        return widget

    def _refresh_warnings(self, path: Path) -> None:
        if path == ("_saved",):
            return
        for where, widget in self._warnings.values():
            messages = self.session.warnings(where, self.lang)
            if messages != widget.shown:  # most lines stay as they are: drawn again only when they change
                widget.shown = messages
                widget.value = fragment("feedback", messages=messages, lang=self.lang)

    # inputs bound to the session ------------------------------------------------

    def text(self, path: Path, label: str, *, multiline: bool = False, parse: Callable[[str], Any] | None = None,
             shown: Callable[[Any], str] | None = None, placeholder: str = "", rows: int = 3,
             width: str = "100%") -> w.VBox:
        """A text box for the value at path; what is typed goes to the session at each keystroke."""
        raw = self.session.value(path)
        value = "" if raw is None else (shown(raw) if shown else str(raw))
        cls = w.Textarea if multiline else w.Text
        box = cls(value=value, placeholder=placeholder, continuous_update=True,
                  layout=w.Layout(width="100%", **({"height": f"{rows * 24 + 12}px"} if multiline else {})))
        box.observe(self.safe(lambda change: self.session.set(path, parse(change["new"]) if parse else change["new"])),
                    "value")
        self.register(path, box)
        self.bind(path, box, lambda raw: "" if raw is None else (shown(raw) if shown else str(raw)))
        parts = [w.HTML(fragment("label", value=label))] if label else []
        field = w.VBox(parts + [box, self.messages(path)], layout=w.Layout(width=width))
        field.add_class("qkit-field")
        return field

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
        picker.observe(self.safe(lambda change: self.session.set(path, None if change["new"] == empty
                                                                 else change["new"])), "value")
        picker.options_values = lambda: [v for _, v in picker.options]
        self.register(path, picker)
        self.bind(path, picker, lambda raw: empty if raw is None else raw)
        return picker

    def labeled(self, label: str, widget: w.Widget, path: Path, width: str = "auto") -> w.VBox:
        """A field with its name above and its problems below."""
        field = w.VBox([w.HTML(fragment("label", value=label)), widget, self.messages(path)],
                       layout=w.Layout(width=width))
        field.add_class("qkit-field")
        return field

    def text_list(self, path: Path, label: str, hint: str = "") -> "TextList":
        return TextList(self, path, label, hint)


class TextList(w.VBox):
    """Editable entries of a list field (strengths, OFIs, evidence), one text box each."""

    def __init__(self, form: Form, path: Path, label: str, hint: str = ""):
        super().__init__()
        self.form, self.path = form, path
        self.header = w.HTML(fragment("label", value=label, hint=hint))
        self.add = w.Button(description=tr("wb_add_entry", form.lang), icon="plus", layout=w.Layout(width="auto"))
        self.add.on_click(form.safe(self._add))
        form.register(path, self.add)
        self.entries = w.VBox()
        self.own = form.messages(path)
        self.lint = form.warnings(path)  # about the list as a whole: no evidence, too few or too many comments
        self._build()
        self.children = [self.header, self.entries, self.own, self.lint, w.HBox([self.add])]
        self.add_class(f"qkit-list-{path[-1]}")

    def _build(self) -> None:
        self.form.forget(self.path)
        entries = self.form.session.value(self.path, [])
        entries = entries if isinstance(entries, list) else []
        self.entries.children = [self._row(i, text) for i, text in enumerate(entries)]

    def _row(self, i: int, entry: Any) -> w.Widget:
        """One entry: its text in a box; an entry with authors (a merged consensus comment) names them beside it,
        and editing changes its text only."""
        structured = isinstance(entry, dict)
        where = self.path + (i, "text") if structured else self.path + (i,)
        box = w.Textarea(value=_entry_text(entry), continuous_update=True, layout=w.Layout(width="100%", height="64px"))
        box.observe(self.form.safe(lambda change: self.form.session.set(where, change["new"])), "value")
        self.form.register(self.path + (i,), box)
        authors = entry.get("by") if structured and isinstance(entry.get("by"), list) else []
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_entry", self.form.lang), layout=w.Layout(width="40px"),
                          disabled=not self.form.session.editable(self.path + (i,)))
        remove.on_click(self.form.safe(lambda _: self._remove(i)))
        number = w.HTML(fragment("entry_number", n=i + 1), layout=w.Layout(width="24px"))
        by = [_html(fragment("comment_by", names=authors, lang=self.form.lang), "qkit-by")] if authors else []
        row = w.VBox([w.HBox([number, box, remove]), *by, self.form.messages(self.path + (i,)),
                      self.form.warnings(self.path + (i,))])
        row.box = box
        return row

    def _add(self, _: Any = None) -> None:
        """A new empty box, with the cursor in it; it is called empty only if the person leaves it so."""
        i = self.form.session.append(self.path, "")
        if i < 0:  # refused (the page says why)
            return
        row = self._row(i, "")
        self.entries.children = list(self.entries.children) + [row]
        self.form.focus_soon(row.box)

    def _remove(self, i: int) -> None:
        self.form.session.remove(self.path + (i,))
        self._build()

    def resync(self) -> None:
        """Redraw the entries when the session's list is no longer what is shown (others' changes taken in)."""
        entries = self.form.session.value(self.path, [])
        entries = entries if isinstance(entries, list) else []
        shown = [row.box.value for row in self.entries.children]
        if shown != [_entry_text(e) for e in entries]:
            self._build()


def _entry_text(entry: Any) -> str:
    """What a list entry's box shows: its text (an entry may be ``{text: …, by: [authors]}``)."""
    text = entry.get("text") if isinstance(entry, dict) else entry
    return "" if text is None else str(text)


def walk(widget: w.Widget):
    """A widget and everything inside it."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def lock(widget: w.Widget) -> None:
    """Make every input inside ``widget`` read-only (another member writes this part)."""
    for inner in walk(widget):
        if hasattr(inner, "disabled") and not isinstance(inner, w.Tab):
            inner.disabled = True


POLL_SECONDS = 3  # how often an open page looks for what others saved


class Workbook:
    """The whole form: a header with the live total and saving, then one tab per part."""

    def __init__(self, session: Session, lang: str):
        self.session, self.lang = session, lang
        self.form = Form(session, lang)
        rubric = session.rubric
        self.header = Header(self.form, self.jump)
        self.summary: SummaryPanel | None = None
        parts: list[tuple[str, Callable[[], w.Widget]]] = []
        parts.append((tr(rubric.words["profile_tab"], lang),
                      lambda: ProfileEditor(self.form)))
        self._tab_of_item: dict[str, int] = {}
        for item in rubric.items:
            self._tab_of_item[item.id] = len(parts)
            parts.append((f"{item.id} {item.name(lang)}", lambda item=item: ItemPanel(self.form, item)))
        self._results_tab = len(parts)
        parts.append((tr("wb_results_tab", lang), lambda: KpiEditor(self.form)))
        parts.append((tr("sec_key_themes", lang), lambda: KeyThemesPanel(self.form)))
        parts.append((tr("wb_summary_tab", lang), self._summary))
        parts.append((tr("wb_export_tab", lang), lambda: ExportPanel(self.form)))
        if session.member is not None and session.member.role == "lead":  # the assessors' layers, brought together
            parts.append((tr("wb_consensus_tab", lang), lambda: ConsensusPanel(self.form)))
        if session.member is not None and not session.assessing:  # a store keeps the history; a file its own
            parts.append((tr("wb_history_tab", lang), lambda: HistoryPanel(self.form)))
        self._builders = [build for _, build in parts]
        self.tabs = w.Tab(children=[w.VBox() for _ in parts], titles=[title for title, _ in parts])
        self.tabs.observe(self.form.safe(self._open_tab), "selected_index")
        self._open_tab({"new": 0})
        self.widget = w.VBox([_html(fragment("style")), self.header, self.tabs])
        self.widget.add_class("qkit-form")
        session.observe(self._taken_in)
        self._poll()

    def _poll(self) -> None:
        """Every few seconds, take in what others saved (only while this page has no unsaved edits)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a test, a script): nothing to poll for
            return

        def tick() -> None:
            try:
                self.session.refresh()
            except Exception as exc:  # noqa: BLE001 - a store out of reach now is tried again later
                print(f"qkit: could not look for new revisions: {exc}", file=sys.stderr)
            if not self.session.ended:  # a page whose access ended takes in nothing more
                loop.call_later(POLL_SECONDS, tick)

        loop.call_later(POLL_SECONDS, tick)

    def _taken_in(self, path: Path) -> None:
        """Others' changes were taken in (``()``): every input, list and KPI shows the session's data."""
        if path == ("_submitted",):  # an assessor's layer handed in: it no longer changes
            for holder in self.tabs.children:
                lock(holder)
            return
        if path != ():
            return
        self.form.sync()
        for holder in self.tabs.children:
            for inner in walk(holder):
                if isinstance(inner, TextList):
                    inner.resync()
        results = self.tabs.children[self._results_tab]
        if results.children:
            results.children = [self._builders[self._results_tab]()]
            self._lock(self._results_tab, results.children[0])

    def _summary(self) -> "SummaryPanel":
        self.summary = SummaryPanel(self.form)
        return self.summary

    def _open_tab(self, change: dict) -> None:
        """Tabs are built when first opened, so the page appears fast; summary and export redraw when shown."""
        index = change["new"]
        if index is None:
            return
        self.session.settle()  # what was being filled in on the last tab is flagged as it stands
        holder = self.tabs.children[index]
        if not holder.children:
            holder.children = [self._builders[index]()]
            self._lock(index, holder.children[0])
        elif hasattr(holder.children[0], "show"):
            holder.children[0].show()
        for other in self.tabs.children:
            if other.children and hasattr(other.children[0], "visible"):
                other.children[0].visible = other is holder

    def _lock(self, index: int, content: w.Widget) -> None:
        """Show read-only what the signed-in member does not write: other writers' items and KPIs."""
        session = self.session
        if index in self._tab_of_item.values():
            item = next(i for i in session.rubric.items if self._tab_of_item[i.id] == index)
            if not session.editable(("clauses", item.clauses[0].id)):
                lock(content)
                content.children = [_html(fragment("read_only", lang=self.lang))] + list(content.children)
        elif index == self._results_tab:
            for i, card in enumerate(content.list.children):
                if not session.editable(("results", i)):
                    lock(card)

    def tab_of(self, path: Path) -> int | None:
        """The tab holding the field at path."""
        if not path:
            return None
        if path[0] in ("applicant", "assessment", "profile"):
            return 0
        if path[0] == "results":
            return self._results_tab
        if path[0] == "clauses" and len(path) > 1:
            item = next((i.id for i in self.session.rubric.items if any(c.id == path[1] for c in i.clauses)), None)
            return self._tab_of_item.get(item)
        return None

    def jump(self, field: str) -> None:
        """Take the person to a flagged field: its tab, then the cursor in it (the browser scrolls to it)."""
        path = self.session.path_of(field)
        index = self.tab_of(path)
        if index is None:
            return
        self.tabs.selected_index = index
        target = self.form.input_for(path)
        self.form.focus_soon(target)


class Header(w.VBox):
    """Applicant, live total, problems and the save state, always in view."""

    SHOWN = 40  # entries listed under 需要修改的内容; the rest are counted

    def __init__(self, form: Form, jump: Callable[[str], None] | None = None):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.jump = jump or (lambda field: None)
        lang = self.lang
        self.title = _html("", "qkit-title")
        self.total = _html("", "qkit-total")
        self.detail = _html("", "qkit-muted", "qkit-detail")
        self.status = _html("")
        self.alert = _html("", "qkit-alert")
        self.save_button = w.Button(description=tr("wb_save", lang), icon="save", button_style="primary",
                                    layout=w.Layout(width="auto"))
        self.save_button.on_click(form.safe(lambda _: self.session.save()))
        self.overwrite = w.Button(description=tr("wb_keep_all_mine", lang), button_style="warning",
                                  layout=w.Layout(width="auto", display="none"))
        self.overwrite.on_click(form.safe(lambda _: self.session.save(overwrite=True)))
        self.who = _html(fragment("muted", value=self.session.who(lang)), "qkit-who")
        self.submit = w.Button(description=tr("wb_submit", lang), button_style="success",
                               layout=w.Layout(width="auto", display="inline-flex" if self.session.assessing
                                               and not self.session.submitted else "none"))
        self.submit.on_click(form.safe(lambda _: self.session.submit()))
        self.assessing = _html(fragment("muted", value=tr("wb_submitted" if self.session.submitted else "wb_assessing",
                                                          lang)) if self.session.assessing else "", "qkit-assessing")
        self.conflicts = w.VBox()
        self.conflicts_box = w.Accordion(children=[self.conflicts], layout=w.Layout(display="none"))
        self.conflicts_box.add_class("qkit-conflicts")
        self._fields: list[str] = []
        self.entries = w.VBox()
        self.more = _html("", "qkit-muted")
        self.problems = w.VBox([_html(fragment("muted", value=tr("wb_jump_hint", lang))), self.entries, self.more])
        self.problems_box = w.Accordion(children=[self.problems], layout=w.Layout(display="none"))
        self.problems_box.add_class("qkit-problems")
        self.total.add_class("qkit-total-value")
        self.status.add_class("qkit-save-status")
        top = w.HBox([w.VBox([self.title], layout=w.Layout(flex="1 1 auto", min_width="0")), self.total],
                     layout=w.Layout(align_items="center"))
        top.add_class("qkit-header-top")
        line = w.HBox([self.save_button, self.submit, self.overwrite, self.status, self.detail, self.who],
                      layout=w.Layout(align_items="center", flex_flow="row wrap"))
        line.add_class("qkit-header-line")
        self.children = [top, line, self.alert, self.assessing, self.conflicts_box, self.problems_box]
        self.add_class("qkit-header")
        self.session.observe(self.refresh)
        self.refresh(())

    def refresh(self, path: Path) -> None:
        session, lang = self.session, self.lang
        if path in (("_alert",), ("_access",)):
            self._alert(path)
            return
        if path != ("_saved",):
            if Session.affects_score(path):
                self._score(session.scorecard)
            flagged = session.shown_problems
            self._list([(p.field, session.describe(p, lang)) for p in flagged])
            self.problems_box.set_title(0, tr("wb_problems", lang, n=len(flagged)))
            self.problems_box.layout.display = "flex" if flagged else "none"
        state, text = session.status(lang)
        self.status.value = fragment("save_status", state=state, message=text)
        if path == ("_submitted",):
            self.submit.layout.display = "none"
            self.assessing.value = fragment("muted", value=tr("wb_submitted", lang))
        self.overwrite.layout.display = "inline-flex" if state == "conflict" else "none"
        if state == "ended":  # nothing more is saved: no button invites it; what was typed stays to copy
            self.save_button.layout.display = self.submit.layout.display = "none"
            self.alert.value = ""
        self._conflicts()

    def _alert(self, path: Path) -> None:
        """Say once what just happened: a change refused and why, a new assignment, a failure."""
        session, lang = self.session, self.lang
        if path == ("_access",):
            items = join_list(session.member.items, lang) if session.member.items else tr("wb_everything", lang)
            message = tr("access_changed", lang, items=items)
            self.who.value = fragment("muted", value=session.who(lang))
        else:
            message = session.describe(session.alert, lang) if session.alert is not None else ""
        self.alert.value = fragment("notice", message=message)

    def _conflicts(self) -> None:
        """Each field changed both here and by someone else: both values, and what to keep."""
        session, lang = self.session, self.lang
        rows = []
        for i, conflict in enumerate(session.conflicts):
            author = session.latest_author or tr("someone_else", lang)
            text = fragment("conflict", place=session.place(conflict.path, lang), theirs=_shown(conflict.theirs, lang),
                            mine=_shown(conflict.mine, lang), author=author, lang=lang)
            buttons = []
            for which, label in (("theirs", "wb_keep_theirs"), ("mine", "wb_keep_mine"), ("both", "wb_keep_both")):
                if which == "both" and not (isinstance(conflict.theirs, str) and isinstance(conflict.mine, str)):
                    continue
                button = w.Button(description=tr(label, lang), layout=w.Layout(width="auto"))
                button.on_click(self.form.safe(lambda _, i=i, which=which: session.choose(i, which)))
                buttons.append(button)
            row = w.VBox([_html(text), w.HBox(buttons, layout=w.Layout(flex_flow="row wrap"))])
            row.add_class("qkit-conflict")
            rows.append(row)
        self.conflicts.children = rows
        self.conflicts_box.set_title(0, tr("wb_conflicts", lang, n=len(rows)))
        self.conflicts_box.selected_index = 0 if rows else None
        self.conflicts_box.layout.display = "flex" if rows else "none"

    def _list(self, entries: list[tuple[str, str]]) -> None:
        """One button per flagged field (reused as the list changes); a click goes to the field."""
        shown = entries[:self.SHOWN]
        buttons = list(self.entries.children)
        while len(buttons) < len(shown):
            button = w.Button(layout=w.Layout(width="auto", max_width="100%"))
            button.add_class("qkit-jump")
            button.on_click(self.form.safe(lambda _, n=len(buttons): self.jump(self._fields[n])))
            buttons.append(button)
        for button, (_, text) in zip(buttons, shown):
            button.description = f"⚠ {text}"
            button.tooltip = text
        self._fields = [field for field, _ in shown]
        if len(buttons) != len(shown):
            buttons = buttons[:len(shown)]
        if list(self.entries.children) != buttons:
            self.entries.children = buttons
        rest = len(entries) - len(shown)
        self.more.value = fragment("text", value=tr("wb_more_problems", self.lang, n=rest)) if rest > 0 else ""

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
            parts.append(NarrativeEditor(form, profile.id, ("profile", "narrative"),
                                         f"{profile.id} {profile.name(lang)} · {tr('wb_narrative', lang)}",
                                         tr("wb_profile_narrative_intro", lang)))
        self.children = parts
        self.add_class("qkit-profile")


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class NarrativeEditor(w.VBox):
    """The 自评报告's text of the profile or a clause: a large box, its length in Word's 字数 against the limit
    (red over it) and the sub-points it seems to leave out, as the session measures them while it is typed."""

    def __init__(self, form: Form, part: str, path: Path, title: str = "", intro: str = ""):
        super().__init__()
        self.session, self.lang, self.part, self.path = form.session, form.lang, part, path
        heading = [_html(fragment("heading", value=title, level=4)), _html(fragment("muted", value=intro))] if title \
            else [_html(fragment("label", value=tr("wb_narrative", form.lang)))]
        self.box = form.text(path, "", multiline=True, rows=14)
        self.status = _html("", "qkit-narrative-status")
        self.children = [*heading, self.box, self.status]
        self.add_class("qkit-narrative")
        self.session.observe(self._refresh)
        self._refresh(())

    def _refresh(self, path: Path) -> None:
        if path not in ((), self.path):
            return
        status = self.session.writing(self.part)
        points = join_list([c.label(self.lang) for c in status.unaddressed], self.lang)
        self.status.value = fragment("narrative_status", status=status, points=points, lang=self.lang)


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
        parts: list[w.Widget] = [head, self._writing()]
        self.suggestion = _html("")
        self.apply = w.Button(description=tr("wb_apply_suggestion", lang), layout=w.Layout(width="auto",
                                                                                        display="none"))
        self.apply.on_click(form.safe(self._apply))
        self.descriptors: dict[str, w.HTML] = {}
        self.dimension = rubric.dimension(clause)
        if self.dimension is not None:
            parts.append(self._factors())
            parts.append(w.HBox([self.suggestion, self.apply], layout=w.Layout(align_items="center",
                                                                               flex_flow="row wrap")))
        options = [(tr("unscored", lang), UNSCORED)] + [(f"{s}%", s) for s in range(0, 101, STEP)]
        self.score = form.choice(self.path + ("score",), options, empty=UNSCORED, label=tr("score", lang))
        form.register(self.path, self.score)
        self.score.add_class("qkit-score")
        self.earned = _html("")
        self.flag = _html("", "qkit-warn")
        self.previous = _html("", "qkit-previous-score")  # a carried-over clause: last cycle's score, 待复核
        self.hint = _html("", "qkit-muted")
        if clause.kind in ("results", "indicator"):
            parts.append(self.hint)
        score_row = w.HBox([self.score, self.previous, self.earned, self.flag],
                           layout=w.Layout(align_items="center", flex_flow="row wrap"))
        score_row.add_class("qkit-score-row")
        parts.append(score_row)
        parts.append(form.messages(self.path + ("score",)))
        parts.append(form.messages(self.path))
        parts += [
            form.text_list(self.path + ("strengths",), tr("wb_strengths", lang)),
            form.text_list(self.path + ("ofis",), tr("ofis", lang)),
            *([] if self.session.judging else  # a round reads the team's evidence beside the text
              [form.text_list(self.path + ("evidence",), tr("wb_evidence", lang), tr("wb_evidence_hint", lang))]),
            form.text(self.path + ("notes",), tr("wb_notes", lang), multiline=True, rows=2),
        ]
        self.children = parts
        self.add_class("qkit-card")
        self.session.observe(self._refresh)
        self._refresh(self.path)

    def _requirement(self) -> str:
        return fragment("requirement", clause=self.clause, rubric=self.session.rubric, lang=self.lang)

    def _writing(self) -> w.Widget:
        """The requirement, and beside it the clause's text in the 自评报告 (one under the other when narrow).

        In an assessment round the text is the application's, to read: set as
        the report sets it, with the team's evidence and the trends of the
        clause's KPIs beneath."""
        if self.session.judging:
            from ..markup import parse
            from ..trends import kpi_trends

            written = self.session.value(self.path + ("narrative",), "")
            evidence = self.session.value(self.path + ("evidence",), [])
            kpis = self.session.document.kpis(self.clause.id) if self.session.document else []
            beside = _html(fragment("written", blocks=parse(written if isinstance(written, str) else ""),
                                    evidence=[_entry_text(e) for e in evidence] if isinstance(evidence, list) else [],
                                    trends=kpi_trends(kpis, self.lang), lang=self.lang), "qkit-written")
        else:
            beside = self.narrative = NarrativeEditor(self.form, self.clause.id, self.path + ("narrative",))
        row = w.HBox([_html(self._requirement(), "qkit-req"), beside])
        row.add_class("qkit-writing")
        return row

    def _factors(self) -> w.Widget:
        lang, dimension = self.lang, self.dimension
        options = [(tr("wb_unrated", lang), "")] + [(fmt_band(b), b.key) for b in dimension.bands]
        columns = []
        for factor in dimension.factors:
            path = self.path + ("factors", factor.id)
            picker = self.form.choice(path, options, empty="", tooltip=factor.explained(lang), width="150px")
            self.descriptors[factor.id] = _html("", "qkit-muted")
            column = w.VBox([
                w.HTML(fragment("factor_heading", factor=factor, lang=lang)),
                picker, self.form.messages(path), self.descriptors[factor.id],
            ])
            column.add_class("qkit-factor")
            columns.append(column)
        title = _html(fragment("factors_title", dimension=dimension, lang=lang))
        grid = w.HBox(columns)
        grid.add_class("qkit-factors")
        return w.VBox([title, grid, self.form.messages(self.path + ("factors",))])

    def _refresh(self, path: Path) -> None:
        if path[:2] != self.path and path[:1] != ("results",) and path != ():
            return
        if path[2:3] == ("narrative",):  # typing the 自评报告 changes no score: only its count (NarrativeEditor)
            return
        lang = self.lang
        scored = self.session.clause_score(self.clause.id)
        dimension = self.dimension
        if dimension is not None:
            for factor in dimension.factors:
                key = self.session.value(self.path + ("factors", factor.id))
                band = next((b for b in dimension.bands if b.key == key), None)
                self.descriptors[factor.id].value = fragment("descriptor", band=band, factor=factor, lang=lang)
            suggestion = scored.suggestion if scored else None
            self.suggestion.value = fragment("suggestion", suggestion=suggestion, lang=lang)
            self.apply.layout.display = "inline-flex" if suggestion and scored.score != suggestion.score else "none"
        self.earned.value = fragment("earned", scored=scored, lang=lang)
        self.flag.value = fragment("flag", text=self.session.flag_text(self.clause.id, lang))
        self._previous()
        if self.clause.kind in ("results", "indicator"):
            self.hint.value = fragment("data_hint", hint=self.session.data_hint(self.clause.id, lang), lang=lang)

    def _previous(self) -> None:
        """The previous cycle's score of a carried-over clause, and 待复核 until it is scored again."""
        previous = self.session.value(self.path + ("previous_score",))
        if isinstance(previous, bool) or not isinstance(previous, int):  # a wrong value is flagged, not shown
            previous = None
        to_review = previous is not None and self.session.value(self.path + ("score",)) is None
        self.previous.value = fragment("previous_score", previous=previous, to_review=to_review, lang=self.lang)

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
                                   tooltip=tr("wb_import", lang), layout=w.Layout(width="auto"))
        self.upload.add_class("qkit-upload")  # shows its tooltip, not the count of files uploaded so far
        self.upload.observe(form.safe(self._import), "value")
        self.import_note = _html("")
        self.add = w.Button(description=tr("wb_add_kpi", lang), icon="plus", button_style="info",
                            layout=w.Layout(width="auto"))
        self.add.on_click(form.safe(self._add))
        self.list = w.VBox()
        intro = _html(fragment("section_intro", title=tr("wb_results_tab", lang), intro=tr("wb_results_intro", lang)))
        self.own = form.messages(("results",))
        form.register(("results",), self.add)
        self.children = [intro, w.HBox([self.add, self.upload], layout=w.Layout(flex_flow="row wrap")),
                         self.import_note, self.own, self.list]
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
        remove.on_click(form.safe(lambda _: self._remove(i)))
        name = form.text(path + ("name",), tr("wb_kpi_name", lang), width="260px")
        form.register(path, form.input_for(path + ("name",)))
        fields = w.HBox([
            form.labeled(tr("col_clause", lang), form.choice(path + ("clause",), self.clause_options, width="100%"),
                         path + ("clause",), width="260px"),
            name,
            form.text(path + ("unit",), tr("col_unit", lang), width="110px"),
            form.labeled(tr("col_better", lang), form.choice(path + ("better",), better, empty="higher",
                                                             width="100%"), path + ("better",), width="120px"),
            form.text(path + ("target",), tr("col_target", lang), parse=parse_number, width="110px"),
        ], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        fields.add_class("qkit-kpi-fields")
        card = w.VBox([w.HBox([_html(fragment("kpi_heading", number=i + 1, lang=lang)), remove],
                              layout=w.Layout(justify_content="space-between")),
                       fields, form.messages(path), KpiGrid(form, i)])
        card.add_class("qkit-card")
        return card

    def _add(self, _: Any) -> None:
        i = self.session.add_kpi()
        if i < 0:  # refused (the page says why)
            return
        self._build()
        self.form.focus_soon(self.form.input_for(("results", i, "name")))

    def _remove(self, i: int) -> None:
        self.session.remove(("results", i))
        self._build()

    _importing = False  # a file being read: another waits for it, however the page sends it

    def _import(self, change: dict) -> None:
        """Read an uploaded table off the page's message loop, a progress line counting the seconds."""
        from .kpi_import import read_kpis

        files = change["new"]
        if not files:
            return
        upload = files[0]
        self.upload.value = ()  # ready for the next file; the button shows no count
        if self._importing:
            return
        name, content = upload["name"], bytes(upload["content"])
        self._importing = self.upload.disabled = True
        in_background(lambda: read_kpis(name, content), self.form.safe(self._imported), self.import_note,
                      lambda s: tr("wb_import_progress", self.lang, s=s))

    def _imported(self, kpis: list[dict[str, Any]] | None, error: Exception | None) -> None:
        """The table read merged into the document, or why it was not."""
        self._importing = self.upload.disabled = False
        if error is not None:
            message = error.render(self.lang) if isinstance(error, QkitError) else tr("unexpected_error", self.lang)
            self.import_note.value = fragment("import_failed", message=message)
            return
        added, updated = self.session.import_kpis(kpis)
        self.import_note.value = fragment("import_done", added=added, updated=updated, lang=self.lang)
        self._build()


def in_background(work: Callable[[], Any], done: Callable[[Any, Exception | None], None], progress: w.HTML,
                  saying: Callable[[int], str]) -> None:
    """Run slow work (reading an upload, making the report) off the page's message loop, ``progress`` saying
    the seconds so far, then ``done(result, error)`` on the loop: whatever goes wrong ends the job. An error nobody
    foresaw is logged with its traceback (a kernel's stderr is the server's log). Without an event loop (a
    test, a script) the work is done here and now."""

    def finish(outcome: Callable[[], Any]) -> None:
        try:
            result, error = outcome(), None
        except Exception as exc:  # noqa: BLE001 - handed to done, which says it in words
            result, error = None, exc
            if not isinstance(exc, QkitError):
                print(f"qkit: unexpected error in the form\n{''.join(traceback.format_exception(exc))}",
                      file=sys.stderr, flush=True)
        progress.value = ""
        done(result, error)

    progress.value = fragment("text", value=saying(0))
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        finish(work)
        return
    started = time.monotonic()
    future = loop.run_in_executor(None, work)

    def tick() -> None:
        if not future.done():
            progress.value = fragment("text", value=saying(round(time.monotonic() - started)))
            loop.call_later(1, tick)

    loop.call_later(1, tick)
    future.add_done_callback(lambda ended: finish(ended.result))


class _Row:
    """A year row of the grid; its year changes when the person edits the year box."""

    def __init__(self, year: Any):
        self.year = year
        self.year_box: w.Text | None = None
        self.cells: list[w.Text] = []


class _Column:
    """A series of the grid: the KPI's own values or a comparison, whose name can change."""

    def __init__(self, series: Path):
        self.series = series


class KpiGrid(w.VBox):
    """One KPI's year × series grid: a row per year, our values then each comparison series.

    Rows keep their place while the person types (a year typed over another
    moves its values, not the row); the rows are put in year order when the
    grid is drawn again: a year or series added or removed, the tab reopened.
    """

    def __init__(self, form: Form, i: int):
        super().__init__()
        self.form, self.session, self.lang, self.i = form, form.session, form.lang, i
        self.note = _html("", "qkit-problem")
        self._draw()
        self.add_class("qkit-grid")

    def _draw(self) -> None:
        form, lang, session, i = self.form, self.lang, self.session, self.i
        for part in ("values", "comparisons", "years"):
            form.forget(("results", i, part))
        comparisons = session.value(("results", i, "comparisons"), {})
        comparisons = comparisons if isinstance(comparisons, dict) else {}
        self.columns = [_Column(("values",))] + [_Column(("comparisons", name)) for name in comparisons]
        years = sorted({y for s in session.kpi_series(i) for y in s}, key=_year_order)
        self.rows = [_Row(year) for year in years]
        head = [_html(fragment("label", value=tr("col_year", lang)), "qkit-year-cell"),
                _html(fragment("label", value=tr("own_series", lang)), "qkit-cell")]
        head += [self._series_head(column) for column in self.columns[1:]]
        head_row = w.HBox(head, layout=w.Layout(align_items="flex-end"))
        head_row.add_class("qkit-grid-head")
        lines: list[w.Widget] = [head_row]
        lines += [self._row(row) for row in self.rows]
        for column in self.columns:
            lines.append(form.messages(("results", i, *column.series)))
        add_year = w.Button(description=tr("wb_add_year", lang), icon="plus", tooltip=tr("wb_add_year_hint", lang),
                            layout=w.Layout(width="auto"))
        add_year.on_click(self.form.safe(self._add_year))
        form.register(("results", i, "values"), add_year)  # a KPI without values: the cursor goes here
        add_series = w.Button(description=tr("wb_add_series", lang), icon="plus", layout=w.Layout(width="auto"))
        add_series.on_click(self.form.safe(self._add_series))
        lines += [w.HBox([add_year, add_series], layout=w.Layout(flex_flow="row wrap")),
                  _html(fragment("muted", value=tr("wb_paste_hint", lang))), self.note]
        self.children = lines

    def _series_head(self, column: _Column) -> w.Widget:
        name = column.series[1]
        box = w.Combobox(value=str(name), options=self.session.series_names(self.lang), ensure_option=False,
                         continuous_update=False, placeholder=tr("wb_series_name", self.lang),
                         tooltip=tr("wb_series_name", self.lang))
        box.observe(self.form.safe(lambda change: self._rename(column, change["new"])), "value")
        self.form.register(("results", self.i, *column.series), box)
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_series", self.lang), layout=w.Layout(width="30px"))
        remove.on_click(self.form.safe(lambda _: self._remove_series(column)))
        label = _html(fragment("muted", value=tr("wb_series_label", self.lang)))
        head = w.VBox([w.HBox([label, remove], layout=w.Layout(justify_content="space-between",
                                                               align_items="center")), box])
        head.add_class("qkit-cell")
        head.add_class("qkit-series-name")
        return head

    def _row(self, row: _Row) -> w.Widget:
        year_box = w.Text(value=str(row.year), continuous_update=False)
        year_box.add_class("qkit-year-cell")
        year_box.observe(self.form.safe(lambda change: self._year(row, change["new"])), "value")
        row.year_box = year_box
        row.cells = []
        for column in self.columns:
            value = self.session.value(("results", self.i, *column.series, row.year))
            cell = w.Text(value="" if value is None else str(value), continuous_update=True)
            cell.add_class("qkit-cell")
            cell.observe(self.form.safe(lambda change, column=column: self._typed(row, column, change)), "value")
            row.cells.append(cell)
        self._register(row)
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_year", self.lang), layout=w.Layout(width="32px",
                                                                                              margin="2px 0"))
        remove.on_click(self.form.safe(lambda _: self._remove_year(row)))
        messages = self.form.moving_messages(("results", self.i, "years"), lambda: self._paths(row))
        line = w.HBox([year_box, *row.cells, remove])
        line.add_class("qkit-grid-row")
        return w.VBox([line, messages])

    def _paths(self, row: _Row) -> list[Path]:
        return [("results", self.i, "years", row.year)] + [("results", self.i, *c.series, row.year)
                                                            for c in self.columns]

    def _register(self, row: _Row) -> None:
        self.form.register(("results", self.i, "years", row.year), row.year_box)
        for column, cell in zip(self.columns, row.cells):
            self.form.register(("results", self.i, *column.series, row.year), cell)

    def _typed(self, row: _Row, column: _Column, change: dict) -> None:
        text, before = change["new"], change["old"] or ""
        if _pasted(text, before):
            below = [r.year for r in self.rows[self.rows.index(row):]]
            filled = self.session.paste_row(self.i, column.series, below, text)
            if filled is not None:
                self._after_paste(column, filled)
                return
        self.session.set_kpi_value(self.i, column.series, row.year, text)

    def _after_paste(self, column: _Column, filled: list[Any]) -> None:
        if any(year not in {r.year for r in self.rows} for year in filled):
            self._draw()  # years were added below: the grid grows
            return
        at = self.columns.index(column)
        for row in self.rows:
            value = self.session.value(("results", self.i, *column.series, row.year))
            row.cells[at].value = "" if value is None else str(value)

    def _year(self, row: _Row, text: str) -> None:
        problem = self.session.set_year(self.i, row.year, text)
        if problem is not None:
            self.note.value = fragment("problems", messages=[self.session.describe(problem, self.lang)])
            return
        self.note.value = ""
        for path in self._paths(row):
            self.form.unregister(path)
        row.year = parse_year(text)
        self._register(row)
        self.form._refresh_messages(())

    def _rename(self, column: _Column, name: str) -> None:
        old = column.series[1]
        problem = self.session.rename_series(self.i, old, name)
        if problem is not None:
            self.note.value = fragment("problems", messages=[self.session.describe(problem, self.lang)])
            return
        self.note.value = ""
        new = ("comparisons", name.strip())
        for row in self.rows:
            self.form.unregister(("results", self.i, *column.series, row.year))
        column.series = new
        for row in self.rows:
            self._register(row)
        self.form._refresh_messages(())

    def _add_year(self, _: Any) -> None:
        self.session.add_year(self.i)
        self._draw()

    def _add_series(self, _: Any) -> None:
        comparisons = self.session.value(("results", self.i, "comparisons"), {})
        taken = set(comparisons) if isinstance(comparisons, dict) else set()
        suggested = [name for name in self.session.series_names(self.lang) if name not in taken]
        self.session.add_series(self.i, suggested[0] if suggested else tr("wb_new_series", self.lang))
        self._draw()

    def _remove_year(self, row: _Row) -> None:
        self.session.remove_year(self.i, row.year)
        self._draw()

    def _remove_series(self, column: _Column) -> None:
        self.session.remove_series(self.i, column.series[1])
        self._draw()


def _year_order(key: Any) -> tuple:
    """Years in order, then anything typed that is not a year yet."""
    year = year_of(key)
    return (year is None, year or 0, str(key))


def _pasted(text: str, before: str) -> bool:
    """Whether a cell's new text is a row of values pasted at once rather than typed.

    A tab or a line break cannot be typed into a cell; values separated by
    spaces (a column pasted into a one-line box) count when they arrived at once.
    """
    if "\t" in text or "\n" in text:
        return True
    parts = text.split()
    return len(parts) > 1 and len(text) - len(before) > 1 and all(_number(p) for p in parts)


def _number(text: str) -> bool:
    return isinstance(parse_number(text), (int, float))


def _shown(value: Any, lang: str) -> str:
    """A conflicting or earlier value as the person reads it: a score as 55%, a removed one as (已删除)."""
    if value is MISSING or value is None:
        return tr("wb_removed", lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_percent(value) if value == int(value) and 0 <= value <= 100 else str(value)
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


class ConsensusPanel(w.VBox):
    """The lead's consensus: the layers handed in side by side, widest spread first, and the agreed judgement.

    The agreed scores and comments are a record of their own (a session over
    the consensus round): adopting the proposal and agreeing each clause
    never changes the application the team wrote. Each assessor's hand-in can
    be sent back with a reason.
    """

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.agreed = self.session.consensus()
        self.agreed_form = Form(self.agreed, lang)
        self.status = _html("", "qkit-consensus-status")
        self.assessors = w.VBox()
        self.adopt = w.Button(description=tr("wb_adopt", lang), button_style="info", layout=w.Layout(width="auto"))
        self.adopt.on_click(form.safe(self._adopt))
        self.gaps = _html("", "qkit-self-gaps")
        self.rows = w.VBox()
        self._cards: dict[str, tuple[w.Button, w.HTML]] = {}
        self.children = [_html(fragment("section_intro", title=tr("wb_consensus_tab", lang),
                                        intro=tr("wb_consensus_intro", lang))), self.status, self.assessors,
                         self.adopt, self.gaps, self.rows]
        self.add_class("qkit-consensus")
        self.agreed.observe(self._changed)
        self.show()

    def show(self) -> None:
        """Draw again from the store: who has handed in, the side-by-side table, the agreed judgement."""
        self._assessors()
        side = self.session.side_by_side()
        self.adopt.disabled = side is None
        self._cards = {}
        if side is None:
            self.rows.children = [_html(fragment("muted", value=tr("wb_no_layers", self.lang)))]
        else:
            self.rows.children = [self._card(row, side.names) for row in side.table.clauses]
        self._changed(())

    def _assessors(self) -> None:
        """Each assessor: not begun, scoring, handed in (with a way to send it back) or sent back."""
        lang, rows = self.lang, []
        for record in self.session.assessors():
            name = record.assessor.name
            line = _html(fragment("assessor_state", name=name, record=record, lang=lang))
            parts: list[w.Widget] = [line]
            if record.submitted:
                reason = w.Text(placeholder=tr("wb_reopen_reason", lang), layout=w.Layout(width="320px"))
                back = w.Button(description=tr("wb_reopen", lang), layout=w.Layout(width="auto"))
                back.on_click(self.form.safe(lambda _, n=name, r=reason: self._reopen(n, r.value)))
                parts += [reason, back]
            row = w.HBox(parts, layout=w.Layout(align_items="center", flex_flow="row wrap"))
            row.add_class("qkit-assessor")
            rows.append(row)
        self.assessors.children = rows

    def _reopen(self, name: str, reason: str) -> None:
        if self.session.reopen(name, reason):
            self.show()

    def _card(self, row: Any, names: list[str]) -> w.Widget:
        form, lang = self.agreed_form, self.lang
        clause = self.session.rubric.clause(row.id)
        path = ("clauses", row.id)
        options = [(tr("unscored", lang), UNSCORED)] + [(f"{s}%", s) for s in range(0, 101, STEP)]
        score = form.choice(path + ("score",), options, empty=UNSCORED, label=tr("consensus_score", lang))
        confirm = w.Button(description=tr("wb_confirm_proposal", lang), button_style="success",
                           layout=w.Layout(width="auto"))
        confirm.on_click(form.safe(lambda _: self.agreed.confirm(row.id)))
        flag = _html("", "qkit-warn")
        self._cards[row.id] = (confirm, flag)
        card = w.VBox([_html(fragment("consensus_row", clause=clause, row=row, names=names, lang=lang)),
                       w.HBox([score, confirm], layout=w.Layout(align_items="center", flex_flow="row wrap")),
                       flag, form.messages(path + ("score",)),
                       form.text_list(path + ("strengths",), tr("strengths", lang)),
                       form.text_list(path + ("ofis",), tr("ofis", lang)),
                       form.text(path + ("notes",), tr("wb_notes", lang), multiline=True, rows=2)])
        card.add_class("qkit-card")
        card.add_class("qkit-consensus-clause")
        return card

    def _changed(self, path: Path) -> None:
        """Keep the save state, each card's proposal and warning, and the self-assessment table current."""
        agreed, lang = self.agreed, self.lang
        state, text = agreed.status(lang)
        alert = agreed.describe(agreed.alert, lang) if path == ("_alert",) and agreed.alert is not None else ""
        self.status.value = fragment("save_status", state=state, message=text) + fragment("notice", message=alert)
        for cid, (confirm, flag) in self._cards.items():
            confirm.layout.display = "inline-flex" if agreed.value(("clauses", cid, "proposed")) else "none"
            flag.value = fragment("notice", message=agreed.flag_text(cid, lang))
        if Session.affects_score(path):
            card = agreed.scorecard
            self.gaps.value = fragment("self_gaps", card=card, lang=lang) if card is not None else ""

    def _adopt(self, _: Any) -> None:
        proposal = self.session.proposal()
        if proposal is None:
            return
        self.agreed.adopt(proposal, proposal["assessment"]["assessors"])
        self.agreed_form.sync()
        for holder in walk(self.rows):
            if isinstance(holder, TextList):
                holder.resync()


class HistoryPanel(w.VBox):
    """The revisions: who saved each and what it changed; any of them compared with now, or restored."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.rows = w.VBox()
        self.detail = _html("")
        self.rounds = _html("", "qkit-rounds")  # the lead's: every cycle's assessment rounds
        self.children = [_html(fragment("section_intro", title=tr("wb_history_tab", self.lang),
                                        intro=tr("wb_history_intro", self.lang))), self.rounds, self.detail, self.rows]
        self.add_class("qkit-history")
        self.show()

    def show(self) -> None:
        session, lang = self.session, self.lang
        rows = []
        for revision in session.history():
            when = revision.created_at.strftime("%Y-%m-%d %H:%M")
            fields = join_list([session.place(session.path_of(f), lang) or f for f in revision.changed[:6]], lang)
            text = fragment("history_row", number=revision.number, author=revision.author or "—", when=when,
                            note=revision.note, fields=fields, more=max(0, len(revision.changed) - 6), lang=lang)
            compare = w.Button(description=tr("wb_compare", lang), layout=w.Layout(width="auto"))
            compare.on_click(self.form.safe(lambda _, n=revision.number: self._compare(n)))
            restore = w.Button(description=tr("wb_restore", lang), layout=w.Layout(width="auto"),
                               disabled=revision.number == session.base or session.member.role != "lead")
            restore.on_click(self.form.safe(lambda _, n=revision.number: self._restore(n)))
            row = w.HBox([_html(text), compare, restore], layout=w.Layout(align_items="center", flex_flow="row wrap"))
            row.add_class("qkit-revision")
            rows.append(row)
        self.rows.children = rows
        self.rounds.value = fragment("rounds_history", rounds=session.rounds(), lang=lang)

    def _compare(self, number: int) -> None:
        session, lang = self.session, self.lang
        then = session.store.revision(session.applicant_id, number).data
        lines = [tr("wb_difference", lang, place=session.place(session.path_of(f), lang) or f,
                    then=_shown(_at(then, session.path_of(f)), lang), now=_shown(session.value(session.path_of(f)), lang))
                 for f in changes(then, session.data)]
        self.detail.value = fragment("history_diff", number=number, lines=lines, lang=lang)

    def _restore(self, number: int) -> None:
        if self.session.restore(number, self.lang):
            self.show()
            self.detail.value = ""


def _at(data: Any, path: Path) -> Any:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return data


class KeyThemesPanel(w.VBox):
    """The application's key themes: process and results strengths and OFIs, each citing its clauses."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.kinds = w.VBox()
        self.children = [_html(fragment("section_intro", title=tr("sec_key_themes", self.lang),
                                        intro=tr("wb_themes_intro", self.lang))), self.kinds]
        self.add_class("qkit-themes")
        self._build()

    def _build(self) -> None:
        self.form.forget(("key_themes",))
        self.kinds.children = [self._kind(kind) for kind in THEME_KINDS]

    def _kind(self, kind: str) -> w.Widget:
        form, lang = self.form, self.lang
        path = ("key_themes", kind)
        entries = self.session.value(path, [])
        rows = []
        for i, _ in enumerate(entries if isinstance(entries, list) else []):
            text = form.text(path + (i, "text"), "", multiline=True, rows=2, width="62%")
            cited = form.text(path + (i, "clauses"), tr("wb_theme_clauses", lang), parse=parse_names,
                              shown=lambda v: join_list(v, lang) if isinstance(v, list) else str(v), width="30%",
                              placeholder="5.2.2、5.3.3")
            remove = w.Button(icon="trash", tooltip=tr("wb_remove_entry", lang), layout=w.Layout(width="40px"),
                              disabled=not self.session.editable(path + (i,)))
            remove.on_click(form.safe(lambda _, i=i: self._remove(kind, i)))
            rows.append(w.HBox([text, cited, remove], layout=w.Layout(flex_flow="row wrap", align_items="flex-start")))
        add = w.Button(description=tr("wb_add_entry", lang), icon="plus", layout=w.Layout(width="auto"),
                       disabled=not self.session.editable(path + (len(rows),)))
        add.on_click(form.safe(lambda _: self._add(kind)))
        box = w.VBox([_html(fragment("label", value=tr(f"theme_{kind}", lang))), *rows, form.messages(path), add])
        box.add_class("qkit-card")
        return box

    def _add(self, kind: str) -> None:
        self.session.append(("key_themes", kind), {"text": "", "clauses": []})
        self._build()

    def _remove(self, kind: str, i: int) -> None:
        self.session.remove(("key_themes", kind, i))
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
        self.radar = _html("", "qkit-radar")
        self.priorities = _html("")
        self.unscored = _html("")
        self.children = [self.total, w.HBox([self.items, self.radar], layout=w.Layout(flex_flow="row wrap")),
                         self.priorities, self.unscored]
        self.add_class("qkit-summary")
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
        summary, lang = self.session.summary(self.lang), self.lang
        if summary is None:
            self.total.value = ""
            return
        self.total.value = fragment("summary_total", summary=summary, lang=lang)
        self.items.value = fragment("summary_items", card=summary.card, lang=lang)
        self.radar.value = str(radar_svg(summary.card, lang))
        self.priorities.value = fragment("summary_priorities", summary=summary, lang=lang)
        self.unscored.value = fragment("summary_unscored", summary=summary, lang=lang)


class ExportPanel(w.VBox):
    """The document (YAML) and the Excel workbook as direct downloads; the HTML report made on request.

    The two files are made again whenever the tab is shown after a change;
    the report takes a while, so its button makes it (with a progress line)
    and its download appears in the same place. All three stay in view.
    """

    KINDS = EXPORTS
    REPORT = "report"

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.visible = True
        self.stale = True
        self.links = {kind: _html("", "qkit-export-link") for kind in self.KINDS}
        self.make_report = w.Button(description=tr("wb_make_report", lang), icon="file",
                                    layout=w.Layout(width="auto"))
        self.make_report.on_click(form.safe(self._report))
        self.progress = _html("", "qkit-muted")
        self._report_made: str | None = None  # the document the report was made from
        rows = []
        for kind in self.KINDS:
            title = _html(fragment("label", value=tr(f"wb_export_{kind}", lang)))
            parts = [title] + ([w.HBox([self.make_report, self.progress], layout=w.Layout(align_items="center",
                                                                                        flex_flow="row wrap"))]
                               if kind == self.REPORT else []) + [self.links[kind]]
            row = w.VBox(parts)
            row.add_class("qkit-export-row")
            row.add_class(f"qkit-export-{kind}")
            rows.append(row)
        intro = fragment("section_intro", title=tr("wb_export_tab", lang), intro=tr("wb_export_intro", lang))
        self.children = [_html(intro), *rows]
        self.session.observe(self._changed)
        self.show()

    def _changed(self, path: Path) -> None:
        if path not in (("_saved",), ("_settled",)):
            self.stale = True

    def show(self) -> None:
        """Make the document and the workbook from what is on the page now."""
        if not self.stale:
            return
        self.stale = False
        for kind in self.KINDS:
            if kind != self.REPORT:
                self._make(kind)
        if self.session.problems:  # what to correct before a report can be made, said before anyone asks
            self.links[self.REPORT].value = fragment(
                "problems", messages=[self.session.describe(p, self.lang) for p in self.session.problems],
                css="qkit-problem")
        elif self._report_made is None:
            self.links[self.REPORT].value = ""
        elif self._report_made != self.session.yaml():
            self.progress.value = fragment("text", value=tr("wb_report_outdated", self.lang))

    def _make(self, kind: str) -> None:
        try:
            name, content, mime = self.session.export(kind, self.lang)
        except QkitError as exc:
            self.links[kind].value = fragment("problems", messages=[self.session.describe(p, self.lang)
                                                                    for p in exc.problems], css="qkit-problem")
            return
        data = base64.b64encode(content).decode("ascii")
        self.links[kind].value = fragment("download", name=name, mime=mime, data=data, lang=self.lang)

    _reporting = False  # a report being made: a second one waits for it, whatever the page's button shows

    def _report(self, _: Any = None) -> None:
        """Make the report in the background, saying how long it has taken so far; one at a time."""
        if self._reporting:
            return
        made_from = self.session.yaml()
        # the report is made from the page as it is now, while the person may go on editing
        snapshot = Session(self.session.rubric, self.session.data, index=self.session.index, autosave_delay=None)
        self._reporting = self.make_report.disabled = True
        self.links[self.REPORT].value = ""
        in_background(lambda: snapshot.export(self.REPORT, self.lang),
                      self.form.safe(lambda file, error: self._report_done(made_from, file, error)),
                      self.progress, lambda s: tr("wb_report_progress", self.lang, s=s))

    def _report_done(self, made_from: str, file: tuple[str, bytes, str] | None, error: Exception | None) -> None:
        self._reporting = self.make_report.disabled = False
        if error is not None:
            messages = ([self.session.describe(p, self.lang) for p in error.problems] if isinstance(error, QkitError)
                        else [tr("unexpected_error", self.lang)])
            self.links[self.REPORT].value = fragment("problems", messages=messages, css="qkit-problem")
            return
        name, content, mime = file
        self._report_made = made_from
        data = base64.b64encode(content).decode("ascii")
        self.links[self.REPORT].value = fragment("download", name=name, mime=mime, data=data, lang=self.lang)
