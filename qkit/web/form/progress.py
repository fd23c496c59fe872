"""The 进度 tab: the team's progress part by part and the assessors' state; the lead also assigns and sets dates."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ...i18n import fmt_day, join_list, tr
from .fields import Form, fragment, html_box


class ProgressPanel(w.VBox):
    """Per part: owners, scored, 字数, comments, KPIs, last edit, due date (overdue marked); the assessors invited,
    opened and handed in (the lead's only). The lead assigns items and clauses to writers and sets due dates
    here; writers read it. Drawn again when shown and when the page's poll finds something changed."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.visible = True
        self._mark: Any = None
        self._writers: list[tuple[str, tuple[str, ...]]] | None = None  # the writers' rows as drawn
        self.table = html_box("", "qkit-progress")
        self.assessors = html_box("", "qkit-progress-assessors")
        self.writers = w.VBox()
        parts: list[w.Widget] = [html_box(fragment("section_intro", title=tr("wb_progress_tab", lang),
                                                   intro=tr("wb_progress_intro", lang))), self.table]
        if self.session.leads:
            parts += [self.assessors, self._assignments(), self._due_dates()]
        self.children = parts
        self.add_class("qkit-progress-tab")
        self.show()

    def _assignments(self) -> w.Widget:
        """Each writer's items and clauses, typed and saved; their open page follows without a new link."""
        box = w.VBox([html_box(fragment("label", value=tr("wb_assignments", self.lang),
                                        hint=tr("wb_assign_hint", self.lang))), self.writers])
        box.add_class("qkit-card")
        box.add_class("qkit-assignments")
        return box

    def _writer_rows(self) -> list[w.Widget]:
        lang, rows = self.lang, []
        for writer in self.session.writers():
            items = w.Text(value=join_list(writer.items, lang), placeholder="5.3、5.4.4",
                           layout=w.Layout(width="280px"))
            save = w.Button(description=tr("wb_assign_save", lang), layout=w.Layout(width="auto"))
            save.on_click(self.form.safe(lambda _, name=writer.name, box=items: self._assign(name, box.value)))
            row = w.HBox([html_box(fragment("label", value=writer.name)), items, save],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
            row.add_class("qkit-assignment")
            rows.append(row)
        return rows

    def _due_dates(self) -> w.Widget:
        """A due date for the whole application, the assessors' hand-in, 5.1, an item or a clause."""
        lang, rubric = self.lang, self.session.rubric
        names = {p.id: f"{p.id} {p.name(lang)}" for p in [*([rubric.profile] if rubric.profile else []),
                                                          *rubric.items, *rubric.clauses]}
        names.update(application=tr("due_application", lang), assessors=tr("due_assessors", lang))
        self.target = w.Dropdown(options=[(names[t], t) for t in self.session.due_targets()],
                                 description=tr("wb_due_target", lang), style={"description_width": "initial"},
                                 layout=w.Layout(width="300px"))
        self.due = w.Text(placeholder="2026-12-10", layout=w.Layout(width="140px"))
        self.target.observe(self.form.safe(lambda _: self._show_due()), "value")
        set_due = w.Button(description=tr("wb_due_set", lang), layout=w.Layout(width="auto"))
        set_due.on_click(self.form.safe(lambda _: self._set_due()))
        box = w.VBox([html_box(fragment("label", value=tr("wb_due_dates", lang), hint=tr("wb_due_hint", lang))),
                      w.HBox([self.target, self.due, set_due], layout=w.Layout(align_items="center",
                                                                              flex_flow="row wrap"))])
        box.add_class("qkit-card")
        box.add_class("qkit-due-dates")
        self._show_due()
        return box

    def _show_due(self) -> None:
        """The chosen target's due date as set, ready to change."""
        due = self.session.deadlines_set().get(self.target.value)
        self.due.value = due.due.isoformat() if due else ""

    def _assign(self, writer: str, typed: str) -> None:
        if self.session.assign(writer, typed):
            self.show(force=True)

    def _set_due(self) -> None:
        if self.session.set_due(self.target.value, self.due.value):
            self.show(force=True)

    def show(self, force: bool = False) -> None:
        """Draw the progress as saved now (only when something changed since it was drawn, unless forced)."""
        mark = self.session.progress_mark()
        if mark == self._mark and not force:
            return
        self._mark = mark
        progress, lang = self.session.progress(), self.lang
        if progress is None:
            return
        self.table.value = fragment("progress_table", progress=progress, due_text=self.session.due_text,
                                    day=fmt_day, lang=lang)
        if self.session.leads:
            self.assessors.value = fragment("progress_assessors", progress=progress, due_text=self.session.due_text,
                                            day=fmt_day, lang=lang)
            writers = [(m.name, m.items) for m in self.session.writers()]
            if writers != self._writers:  # a box the lead is typing in is never drawn anew by a poll
                self._writers = writers
                self.writers.children = self._writer_rows()

    def poll(self) -> None:
        """The page's poll: what others saved, handed in or opened meanwhile, drawn while the tab is in view."""
        if self.visible:
            self.show()
