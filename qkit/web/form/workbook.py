"""The whole form, and the entry point each served workbook calls: ``workbook("<rubric id>")``.

Nothing about an applicant is built before the page's access key has been
checked: the rubric and the templates load first (a preheated kernel does
that while it waits), then the key opens the session or a refusal.
"""

from __future__ import annotations

import asyncio
import atexit
import sys
from typing import Callable
from urllib.parse import parse_qs

import ipywidgets as w

from ...errors import QkitError
from ...html import macros
from ...i18n import tr
from ...paths import FieldPath
from ...rubric_files import RubricIndex
from ..preheat import query_string, running_kernel
from ..session import Session
from .clauses import ClauseEditor, ItemPanel, ProfileEditor
from .consensus import ConsensusPanel
from .fields import FORM, Form, TextList, fragment, html_box, lock, walk
from .header import Header
from .kpis import KpiEditor
from .panels import ExportPanel, HistoryPanel, KeyThemesPanel, SummaryPanel
from .plan import PlanPanel
from .progress import ProgressPanel


def page_lang(query: str) -> str:
    """Chinese unless the link asks for ``lang=en``."""
    return "en" if parse_qs(query or "").get("lang", [""])[0] == "en" else "zh"


def workbook(rubric_id: str, query: str | None = None, data_dir: str | None = None,
             lang: str | None = None) -> w.Widget:
    """The form for the applicant whose key is in the page's link, or a friendly refusal.

    The rubric and the form's template are loaded before the key is read, so a
    preheated kernel has done that work before the page is requested.
    """
    keep_every_message()
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
        if any(p.code == "store_not_found" for p in exc.problems):  # Voila alone: not the link, say how to serve it
            return _denied(lang, reason=tr("wb_no_store", lang))
        return _denied(lang, tr("store_unavailable", lang))
    if session is None:
        return _denied(lang)
    atexit.register(session.flush)  # Voila shuts the kernel down when the tab closes: keep the last edits
    return Workbook(session, lang).widget


def keep_every_message() -> None:
    """Let this kernel's output socket queue every message while the server is busy.

    Opening a tab sends the page a thousand and more widget messages at once.
    zmq's output socket keeps at most 1,000 of them for a reader that is not
    reading (a server starting kernels, say) and silently drops the rest: the
    page then lacked a tab's cards, or its updates, until reloaded. Set on the
    socket's own thread, as zmq sockets are not shared between threads; a
    no-op outside a kernel.
    """
    thread = getattr(running_kernel(), "iopub_thread", None)
    if thread is not None:
        import zmq  # loaded in every kernel already

        thread.io_loop.add_callback(lambda: thread.socket.setsockopt(zmq.SNDHWM, 0))


def _denied(lang: str, detail: str = "", reason: str = "") -> w.Widget:
    return w.VBox([html_box(fragment("style", lang=lang)),
                   html_box(fragment("denied", detail=detail, reason=reason, lang=lang))])


# --- the form -----------------------------------------------------------------


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
        self._plan_tab = len(parts) if not session.judging else None  # the plan is the application's
        if self._plan_tab is not None:
            parts.append((tr("wb_plan_tab", lang), lambda: PlanPanel(self.form)))
        parts.append((tr("wb_export_tab", lang), lambda: ExportPanel(self.form)))
        if session.follows_progress:  # the lead's, and read-only for writers
            parts.append((tr("wb_progress_tab", lang), lambda: ProgressPanel(self.form)))
        if session.member is not None and session.member.role == "lead":  # the assessors' layers, brought together
            parts.append((tr("wb_consensus_tab", lang), lambda: ConsensusPanel(self.form)))
        if session.member is not None and not session.assessing:  # a store keeps the history; a file its own
            parts.append((tr("wb_history_tab", lang), lambda: HistoryPanel(self.form)))
        self._builders = [build for _, build in parts]
        self.tabs = w.Tab(children=[w.VBox() for _ in parts], titles=[title for title, _ in parts])
        self.tabs.observe(self.form.safe(self._open_tab), "selected_index")
        self._open_tab({"new": 0})
        self.widget = w.VBox([html_box(fragment("style", lang=lang)), self.header, self.tabs])
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
                self._poll_shown()
            except Exception as exc:  # noqa: BLE001 - a store out of reach now is tried again later
                print(f"qkit: could not look for new revisions: {exc}", file=sys.stderr)
            if not self.session.ended:  # a page whose access ended takes in nothing more
                loop.call_later(POLL_SECONDS, tick)

        loop.call_later(POLL_SECONDS, tick)

    def _poll_shown(self) -> None:
        """The tab in view that follows the team's work by itself (进度) looks again."""
        index = self.tabs.selected_index
        content = self.tabs.children[index].children if index is not None else ()
        if content and hasattr(content[0], "poll"):
            content[0].poll()

    def _taken_in(self, path: FieldPath) -> None:
        """Others' changes were taken in (``()``): every input, list and KPI shows the session's data."""
        if path == ("_access",):  # the member's items changed: what they write is drawn again, no new link needed
            for index in (0, *self._tab_of_item.values(), self._results_tab, self._results_tab + 1):
                self.tabs.children[index].children = []
            self._open_tab({"new": self.tabs.selected_index})
            return
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
        if index in self._tab_of_item.values():  # an item, or only some of its clauses, written by others
            editors = [e for e in content.children if isinstance(e, ClauseEditor)]
            locked = [e for e in editors if not session.editable(e.path)]
            for editor in locked:
                lock(editor)
            for holder in [content] if locked and len(locked) == len(editors) else locked:
                holder.children = [html_box(fragment("read_only", lang=self.lang))] + list(holder.children)
        elif index == self._results_tab:
            for i, card in enumerate(content.list.children):
                if not session.editable(("results", i)):
                    lock(card)

    def tab_of(self, path: FieldPath) -> int | None:
        """The tab holding the field at path."""
        if not path:
            return None
        if path[0] in ("applicant", "assessment", "profile"):
            return 0
        if path[0] == "results":
            return self._results_tab
        if path[0] == "improvements":
            return self._plan_tab
        if path[0] == "clauses" and len(path) > 1:
            item = next((i.id for i in self.session.rubric.items if any(c.id == path[1] for c in i.clauses)), None)
            return self._tab_of_item.get(item)
        return None

    def jump(self, field: str) -> None:
        """Take the person to a flagged field: its tab, then the cursor in it (the browser scrolls it below the
        header). The list of entries folds, so the header that stays in view is short again and hides nothing."""
        path = self.session.path_of(field)
        index = self.tab_of(path)
        if index is None:
            return
        self.header.problems_box.selected_index = None
        self.tabs.selected_index = index
        target = self.form.input_for(path)
        self.form.focus_soon(target)
