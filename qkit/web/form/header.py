"""The form's header, always in view: the applicant, the live total, the save state, what needs correcting, the
signed-in member's due dates, and what others changed in their fields."""

from __future__ import annotations

from typing import Callable

import ipywidgets as w

from ...i18n import join_list, tr
from ...paths import FieldPath
from ...scoring import Scorecard
from ..places import shown_value
from ..session import Session
from .fields import Form, fragment, html_box


class Header(w.VBox):
    """Applicant, live total, problems and the save state, always in view."""

    SHOWN = 40  # entries listed under 需要修改的内容; the rest are counted

    def __init__(self, form: Form, jump: Callable[[str], None] | None = None):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.jump = jump or (lambda field: None)
        lang = self.lang
        self.title = html_box("", "qkit-title")
        self.total = html_box("", "qkit-total")
        self.detail = html_box("", "qkit-muted", "qkit-detail")
        self.status = html_box("")
        self.alert = html_box("", "qkit-alert")
        self.deadlines = html_box("", "qkit-deadlines")
        self.save_button = w.Button(description=tr("wb_save", lang), icon="save", button_style="primary",
                                    layout=w.Layout(width="auto"))
        self.save_button.on_click(form.safe(lambda _: self.session.save()))
        self.overwrite = w.Button(description=tr("wb_keep_all_mine", lang), button_style="warning",
                                  layout=w.Layout(width="auto", display="none"))
        self.overwrite.on_click(form.safe(lambda _: self.session.save(overwrite=True)))
        self.who = html_box(fragment("muted", value=self.session.who(lang)), "qkit-who")
        self.submit = w.Button(description=tr("wb_submit", lang), button_style="success",
                               layout=w.Layout(width="auto", display="inline-flex" if self.session.assessing
                                               and not self.session.submitted else "none"))
        self.submit.on_click(form.safe(lambda _: self.session.submit()))
        self.assessing = html_box(fragment("muted", value=tr("wb_submitted" if self.session.submitted else "wb_assessing",
                                                          lang)) if self.session.assessing else "", "qkit-assessing")
        self.conflicts = w.VBox()
        self.conflicts_box = w.Accordion(children=[self.conflicts], layout=w.Layout(display="none"))
        self.conflicts_box.add_class("qkit-conflicts")
        self._fields: list[str] = []
        self.entries = w.VBox()
        self.more = html_box("", "qkit-muted")
        self.problems = w.VBox([html_box(fragment("muted", value=tr("wb_jump_hint", lang))), self.entries, self.more])
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
        self.children = [top, line, self.deadlines, self.alert, self.assessing, self.conflicts_box, self.problems_box]
        self.add_class("qkit-header")
        self.session.observe(self.refresh)
        self.refresh(())

    def refresh(self, path: FieldPath) -> None:
        session, lang = self.session, self.lang
        if path in ((), ("_saved",), ("_deadlines",), ("_access",), ("_submitted",)):
            self.deadlines.value = fragment("deadlines", dues=session.deadlines(), due_text=session.due_text, lang=lang)
        if path == ("_notice",):  # others changed fields this person had edited: said once, in words
            self.alert.value = fragment("told", lines=session.notice_lines(lang))
            return
        if path == ("_deadlines",):
            return
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

    def _alert(self, path: FieldPath) -> None:
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
            text = fragment("conflict", place=session.place(conflict.path, lang), theirs=shown_value(conflict.theirs, lang),
                            mine=shown_value(conflict.mine, lang), author=author, lang=lang)
            buttons = []
            for which, label in (("theirs", "wb_keep_theirs"), ("mine", "wb_keep_mine"), ("both", "wb_keep_both")):
                if which == "both" and not (isinstance(conflict.theirs, str) and isinstance(conflict.mine, str)):
                    continue
                button = w.Button(description=tr(label, lang), layout=w.Layout(width="auto"))
                button.on_click(self.form.safe(lambda _, i=i, which=which: session.choose(i, which)))
                buttons.append(button)
            row = w.VBox([html_box(text), w.HBox(buttons, layout=w.Layout(flex_flow="row wrap"))])
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
        self.detail.value = fragment("text", value=tr(rubric.words["missing"], lang, n=missing, all=len(card.clauses))
                                     if missing else tr(rubric.words["all_scored"], lang))
