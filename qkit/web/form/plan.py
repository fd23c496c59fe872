"""The 改进计划 tab: the improvement plan's actions to edit, filtered by owner, status and item, overdue ones marked."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ...i18n import fmt_date, join_list, tr
from ...paths import FieldPath
from ...plan import STATUSES, status_label
from ...rubric import STEP
from ..session import parse_number, parse_year
from .fields import Form, fragment, html_box, lock

ALL = ""  # a filter's "全部"
NO_TARGET = -1  # the target picker's "不设目标"; the document leaves the target out
PLAN: FieldPath = ("improvements",)


class PlanPanel(w.VBox):
    """The actions as cards of inputs, one under the other, under filters by owner, status and item; a writer's
    actions on other members' items are shown read-only. The session decides everything; this only shows it."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.summary = html_box("", "qkit-plan-summary")
        self.owner = w.Dropdown(description=tr("col_owner", lang), style={"description_width": "initial"},
                                layout=w.Layout(width="auto"))
        self.status = w.Dropdown(options=[(tr("wb_filter_all", lang), ALL)] + [(status_label(s, lang), s)
                                                                           for s in STATUSES],
                                 description=tr("col_status", lang), style={"description_width": "initial"},
                                 layout=w.Layout(width="auto"))
        rubric = self.session.rubric
        self.item = w.Dropdown(options=[(tr("wb_filter_all", lang), ALL)] + [(f"{i.id} {i.name(lang)}", i.id)
                                                                         for i in rubric.items],
                               description=tr(rubric.words["item"], lang),
                               style={"description_width": "initial"}, layout=w.Layout(width="auto"))
        for picker in (self.owner, self.status, self.item):
            picker.observe(form.safe(lambda _: self._build()), "value")
        self.add = w.Button(description=tr("wb_add_action", lang), icon="plus", layout=w.Layout(width="auto"))
        self.add.on_click(form.safe(self._add))
        filters = w.HBox([self.owner, self.status, self.item, self.add],
                         layout=w.Layout(flex_flow="row wrap", align_items="center"))
        filters.add_class("qkit-plan-filters")
        self.count = html_box("", "qkit-muted")
        self.rows = w.VBox()
        self._heads: dict[int, w.HTML] = {}  # each action's heading, by its place in the plan
        self._hints: dict[int, w.HTML] = {}  # each action's line naming an owner who is not a member
        self.children = [html_box(fragment("section_intro", title=tr("wb_plan_tab", lang),
                                        intro=tr("wb_plan_intro", lang))), self.summary, filters, self.count,
                         self.rows]
        self.add_class("qkit-plan")
        self.session.observe(self._changed)
        self.show()

    def show(self) -> None:
        """Draw again (the tab is shown): actions added beside an OFI meanwhile, owners named since."""
        owners = self.session.plan_owners()
        kept = self.owner.value if self.owner.value in owners else ALL
        self.owner.options = [(tr("wb_filter_all", self.lang), ALL)] + [(o, o) for o in owners]
        self.owner.value = kept
        self._build()

    def _filters(self) -> dict[str, Any]:
        return {key: picker.value or None for key, picker in (("owner", self.owner), ("status", self.status),
                                                              ("item", self.item))}

    def _build(self) -> None:
        self.form.forget(PLAN)
        rows = self.session.action_rows(**self._filters())
        self._heads, self._hints = {}, {}
        self.rows.children = [self._card(row) for row in rows] or [
            html_box(fragment("muted", value=tr("wb_plan_empty", self.lang)))]
        self.count.value = fragment("text", value=tr("wb_plan_shown", self.lang, shown=len(rows),
                                                     all=len(self.session.action_rows())))
        self._summary()

    def _summary(self) -> None:
        shown = self.session.plan_today()
        self.summary.value = fragment("plan_summary", lead=shown.lead(self.lang) if shown and shown.actions else "",
                                      gain=shown.gain_text(self.lang) if shown and shown.actions else "")

    def _changed(self, path: FieldPath) -> None:
        if path in ((), ("_access",)):  # others' changes taken in, or the member's items changed
            self.show()
        elif path[:1] == PLAN:
            self._summary()
            if len(path) > 1 and path[1] in self._heads:
                self._head(path[1])

    def _head(self, index: int) -> None:
        """An action's heading: its id and item, its status, and 已逾期 when it is."""
        row = next((r for r in self.session.action_rows() if r.index == index), None)
        if row is None:
            return
        item = next((f"{i.id} {i.name(self.lang)}" for i in self.session.rubric.items if i.id == row.item), "")
        due = row.entry.get("due")
        overdue = tr("wb_overdue", self.lang, due=fmt_date(due, self.lang)) if row.overdue else ""
        self._heads[index].value = fragment("action_heading", id=row.entry.get("id") or index + 1, item=item,
                                            status=status_label(row.status, self.lang), overdue=overdue)
        card = self._heads[index].card
        (card.add_class if row.overdue else card.remove_class)("qkit-action-late")

    def _card(self, row) -> w.Widget:
        form, lang, i = self.form, self.lang, row.index
        path = PLAN + (i,)
        entry = row.entry
        head = html_box("", "qkit-action-head")
        clauses = w.Text(value=join_list(entry.get("clauses") or [], lang) if isinstance(entry.get("clauses"), list)
                         else str(entry.get("clauses") or ""), placeholder="5.2.2、5.2.3", layout=w.Layout(width="100%"))
        clauses.observe(form.safe(lambda change: self.session.set_action_clauses(i, change["new"])), "value")
        form.register(path + ("clauses",), clauses)
        owner = w.Combobox(value=str(entry.get("owner") or ""), options=self.session.plan_owners(),
                           placeholder=tr("wb_owner_hint", lang), ensure_option=False, layout=w.Layout(width="100%"))
        owner.observe(form.safe(lambda change: self._owner(i, change["new"])), "value")
        form.register(path + ("owner",), owner)
        self._hints[i] = html_box("", "qkit-muted")
        status = form.choice(path + ("status",), [(status_label(s, lang), s) for s in STATUSES], empty=STATUSES[0],
                             label=tr("col_status", lang))
        target = form.choice(path + ("target_score",), [(tr("wb_no_target", lang), NO_TARGET)] +
                             [(f"{s}%", s) for s in range(0, 101, STEP)], empty=NO_TARGET,
                             label=tr("col_target_score", lang))
        names = [str(k.get("name")) for k in self.session.value(("results",), []) or []
                 if isinstance(k, dict) and k.get("name")]
        kpi = entry.get("kpi") if isinstance(entry.get("kpi"), dict) else {}
        chosen = str(kpi.get("name") or "")
        kpi_name = w.Dropdown(options=[(tr("wb_kpi_none", lang), "")] + [(n, n) for n in dict.fromkeys(
            names + ([chosen] if chosen else []))], value=chosen, description=tr("col_kpi_target", lang),
                              style={"description_width": "initial"}, layout=w.Layout(width="auto"))
        kpi_name.observe(form.safe(lambda change: self.session.set_action_kpi(i, change["new"])), "value")
        form.register(path + ("kpi", "name"), kpi_name)
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_action", lang), layout=w.Layout(width="40px"),
                          disabled=not row.editable)
        remove.on_click(form.safe(lambda _: self._remove(i)))
        dates = w.HBox([form.text(path + ("start",), tr("col_start", lang), placeholder=tr("wb_date_hint", lang),
                                  width="24%"),  # a date read from a file shows as 2026-03-31, as it is typed
                        form.text(path + ("due",), tr("col_due", lang), placeholder=tr("wb_date_hint", lang),
                                  width="24%"),
                        status, target], layout=w.Layout(flex_flow="row wrap", align_items="flex-end"))
        card = w.VBox([
            w.HBox([head, remove], layout=w.Layout(justify_content="space-between", align_items="center")),
            html_box(fragment("action_ofis", ofis=[str(o) for o in entry.get("ofis") or []], lang=lang)),
            w.HBox([form.labeled(tr("wb_action_clauses", lang), clauses, path + ("clauses",), "24%"),
                    form.labeled(tr("col_owner", lang), owner, path + ("owner",), "36%"), self._hints[i]],
                   layout=w.Layout(flex_flow="row wrap", align_items="flex-start")),
            form.text(path + ("action",), tr("wb_action_text", lang), multiline=True, rows=2),
            dates,
            w.HBox([kpi_name, form.text(path + ("kpi", "target"), tr("wb_kpi_value", lang), width="20%",
                                        parse=parse_number),
                    form.text(path + ("kpi", "year"), tr("col_target_year", lang), width="16%", parse=parse_year)],
                   layout=w.Layout(flex_flow="row wrap", align_items="flex-end")),
            form.messages(path + ("kpi",)),
            form.text(path + ("notes",), tr("col_progress", lang), multiline=True, rows=2),
        ])
        card.add_class("qkit-card")
        card.add_class("qkit-action")
        head.card = card
        self._heads[i] = head
        self._head(i)
        self._hint(i)
        if not row.editable:
            lock(card)
        return card

    def _owner(self, index: int, text: str) -> None:
        self.session.set(PLAN + (index, "owner"), text)
        self._hint(index)

    def _hint(self, index: int) -> None:
        hint = self.session.owner_hint(index)
        self._hints[index].value = fragment("muted", value=hint.message(self.lang)) if hint else ""

    def _add(self, _: Any = None) -> None:
        if self.session.add_action(item=self.item.value or None) >= 0:
            self.owner.value = self.status.value = ALL  # the new action is in view, whatever was filtered
            self._build()
            self.form.focus_soon(self.form.input_for(PLAN + (len(self.session.actions()) - 1, "action")))

    def _remove(self, index: int) -> None:
        self.session.remove_action(index)
        self._build()

