"""What every part of the web form is built from: the form's shared state, bound inputs, lists of entries.

``Form`` binds inputs to the session (what is typed goes straight to it;
what others saved is shown again), keeps each field's problem line current,
and runs every callback through a last resort. Text a user typed is only
ever placed in input values, or in an HTML widget through a macro of
``templates/web_form.html.j2``, which escapes it.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
import traceback
from typing import Any, Callable

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from ...errors import QkitError
from ...html import macro
from ...i18n import tr
from ...paths import FieldPath, field_of
from ..session import Session

UNSCORED = -1  # the score picker's "not scored" entry; the document leaves the score out
FORM = "web_form.html.j2"  # the macros of every HTML fragment below


def fragment(macro_name: str, /, **context: Any) -> str:
    """One macro of the form's template, its arguments escaped."""
    return str(macro(FORM, macro_name, **context)).strip()


def html_box(markup: str, *classes: str, width: str | None = None) -> w.HTML:
    """An HTML widget; markup is a fragment (or empty). Its layout and style are shared (``shared``)."""
    widget = w.HTML(markup, layout=shared(w.Layout, **({"width": width} if width else {})), style=shared(HTMLStyle))
    for cls in classes:
        widget.add_class(cls)
    return widget


_SHARED: dict[tuple, w.Widget] = {}


def shared(kind: type[w.Widget], **traits: Any) -> w.Widget:
    """One ``kind`` (a Layout, a style) with these traits for all the page's widgets that never change theirs.

    A layout and a style of its own for each HTML box made half of a
    tab's widgets, every one sent to the browser and made there one after
    the other. Nothing may set a trait on a shared one (a test builds every
    tab and checks)."""
    key = (kind, tuple(sorted(traits.items())))
    widget = _SHARED.get(key)
    if widget is None or widget.comm is None:  # closed: another is made
        widget = _SHARED[key] = kind(**traits)
    return widget


# --- entry points ---------------------------------------------------------------


class Form:
    """What every editor shares: the session, the language, the per-field messages and the inputs by field."""

    def __init__(self, session: Session, lang: str):
        self.session, self.lang = session, lang
        self._messages: dict[str, w.HTML] = {}
        self._rows: list[tuple[FieldPath, Callable[[], list[FieldPath]], w.HTML]] = []
        self._inputs: dict[str, w.Widget] = {}
        self._bound: list[tuple[FieldPath, w.Widget, Callable[[Any], Any]]] = []  # inputs shown from the session
        self._warnings: dict[str, tuple[FieldPath, w.HTML]] = {}  # feedback-quality lines, by field
        self.changes = 0  # the person's edits so far: a cursor put somewhere later is not, once they went on
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

    def messages(self, path: FieldPath) -> w.HTML:
        """A line under a field showing that field's problems, kept up to date."""
        widget = html_box("", "qkit-problem")
        self._messages[field_of(path)] = widget
        widget.value = self._render(self.session.messages(path, self.lang))
        return widget

    def moving_messages(self, owner: FieldPath, paths: Callable[[], list[FieldPath]]) -> w.HTML:
        """A line showing the problems of fields whose paths change (a grid row whose year is edited)."""
        widget = html_box("", "qkit-problem")
        self._rows.append((owner, paths, widget))
        widget.value = self._render([m for p in paths() for m in self.session.messages(p, self.lang)])
        return widget

    def register(self, path: FieldPath, widget: w.Widget) -> w.Widget:
        """The input to put the cursor in when the person asks to go to the field at path.

        A field the signed-in member may not change (another writer's item) is shown read-only.
        """
        self._inputs[field_of(path)] = widget
        if widget is not None and hasattr(widget, "disabled") and not self.session.editable(path):
            widget.disabled = True
        return widget

    def bind(self, path: FieldPath, widget: w.Widget, shown: Callable[[Any], Any]) -> None:
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

    def unregister(self, path: FieldPath) -> None:
        self._inputs.pop(field_of(path), None)

    def input_for(self, path: FieldPath) -> w.Widget | None:
        """The input of the field at path, or of the nearest field containing it."""
        for end in range(len(path), 0, -1):
            found = self._inputs.get(field_of(path[:end]))
            if found is not None:
                return found
        return None

    def forget(self, path: FieldPath) -> None:
        """Drop the message lines and inputs of the fields under path: their editors are being rebuilt."""
        prefix = field_of(path) + "/"
        for registry in (self._messages, self._inputs, self._warnings):
            for key in [k for k in registry if k.startswith(prefix)]:
                del registry[key]
        self._rows = [row for row in self._rows if not (field_of(row[0]) + "/").startswith(prefix)]
        self._bound = [bound for bound in self._bound if not field_of(bound[0]).startswith(prefix)]

    def _refresh_messages(self, path: FieldPath) -> None:
        if path and not str(path[0]).startswith("_"):  # the person's own edit; a save or others' changes are not
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

    def warnings(self, path: FieldPath) -> w.HTML:
        """A line under a comment or a list showing its feedback-quality warnings (``Session.warnings``), kept up
        to date; muted hints, apart from the problems."""
        widget = html_box("", "qkit-lint")
        widget.shown = self.session.warnings(path, self.lang)
        widget.value = fragment("feedback", messages=widget.shown, lang=self.lang)
        self._warnings[field_of(path)] = (path, widget)
        return widget

    def _refresh_warnings(self, path: FieldPath) -> None:
        if path == ("_saved",):
            return
        for where, widget in self._warnings.values():
            messages = self.session.warnings(where, self.lang)
            if messages != widget.shown:  # most lines stay as they are: drawn again only when they change
                widget.shown = messages
                widget.value = fragment("feedback", messages=messages, lang=self.lang)

    # inputs bound to the session ------------------------------------------------

    def text(self, path: FieldPath, label: str, *, multiline: bool = False, parse: Callable[[str], Any] | None = None,
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
        parts = [html_box(fragment("label", value=label))] if label else []
        field = w.VBox(parts + [box, self.messages(path)], layout=w.Layout(width=width))
        field.add_class("qkit-field")
        return field

    def choice(self, path: FieldPath, options: list[tuple[str, Any]], *, empty: Any = None, label: str = "",
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

    def labeled(self, label: str, widget: w.Widget, path: FieldPath, width: str = "auto") -> w.VBox:
        """A field with its name above and its problems below."""
        field = w.VBox([html_box(fragment("label", value=label)), widget, self.messages(path)],
                       layout=w.Layout(width=width))
        field.add_class("qkit-field")
        return field

    def text_list(self, path: FieldPath, label: str, hint: str = "",
                  beside: Callable[[int], list[w.Widget]] | None = None) -> "TextList":
        return TextList(self, path, label, hint, beside)


class TextList(w.VBox):
    """Editable entries of a list field (strengths, OFIs, evidence), one text box each; ``beside`` gives the
    widgets shown beside an entry's box (an OFI's 加入改进计划)."""

    def __init__(self, form: Form, path: FieldPath, label: str, hint: str = "",
                 beside: Callable[[int], list[w.Widget]] | None = None):
        super().__init__()
        self.form, self.path, self.beside = form, path, beside
        self.header = html_box(fragment("label", value=label, hint=hint))
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
        box = w.Textarea(value=entry_text(entry), placeholder=tr("wb_entry_placeholder", self.form.lang),
                         continuous_update=True, layout=w.Layout(width="100%", height="64px"))
        box.observe(self.form.safe(lambda change: self.form.session.set(where, change["new"])), "value")
        self.form.register(self.path + (i,), box)
        authors = entry.get("by") if structured and isinstance(entry.get("by"), list) else []
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_entry", self.form.lang), layout=w.Layout(width="40px"),
                          disabled=not self.form.session.editable(self.path + (i,)))
        remove.on_click(self.form.safe(lambda _: self._remove(i)))
        number = html_box(fragment("entry_number", n=i + 1), width="24px")
        by = [html_box(fragment("comment_by", names=authors, lang=self.form.lang), "qkit-by")] if authors else []
        extra = self.beside(i) if self.beside else []
        row = w.VBox([w.HBox([number, box, *extra, remove]), *by, self.form.messages(self.path + (i,)),
                      self.form.warnings(self.path + (i,))])
        row.add_class("qkit-entry")  # a box left empty is said at once by the page's style, before the next change
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
        if shown != [entry_text(e) for e in entries]:
            self._build()


def entry_text(entry: Any) -> str:
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
