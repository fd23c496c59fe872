"""The improvement plan as the form edits it: actions added (from an OFI in one click), changed and removed, each
checked against the member's items (an action belongs to the item of its first clause), and what the 改进计划 tab
shows: the actions filtered by owner, status and item, overdue ones marked, the owners to choose from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ... import plan
from ...errors import Problem
from ...paths import FieldPath
from ..store import Store
from .typed import parse_names

PLAN: FieldPath = ("improvements",)


@dataclass(frozen=True)
class ActionRow:
    """One action as the tab lists it: its place in the plan, as typed, its item, and what the page marks."""

    index: int
    entry: dict[str, Any]
    item: str | None
    overdue: bool
    editable: bool

    @property
    def status(self) -> str:
        return self.entry.get("status") or plan.NOT_STARTED


class Planning:
    """The plan's edits and the tab's view of it; every edit is the member's to make or refused and said."""

    def actions(self) -> list[Any]:
        entries = self.value(PLAN, [])
        return entries if isinstance(entries, list) else []

    def action_rows(self, owner: str | None = None, status: str | None = None, item: str | None = None,
                    today: dt.date | None = None) -> list[ActionRow]:
        """The actions (as typed) that have this owner, status and item (None: any), overdue on ``today``."""
        today = today or dt.date.today()
        checked = {a.id: a for a in (self.document.improvements if self.document else []) if a.id}
        rows = []
        for i, entry in enumerate(self.actions()):
            if not isinstance(entry, dict):
                continue
            action = checked.get(entry.get("id"))  # as checked: one with a problem is marked once it is right
            row = ActionRow(i, entry, self.item_of(PLAN + (i,)), action is not None and action.overdue(today),
                            self.editable(PLAN + (i,)))
            if (owner is None or str(entry.get("owner") or "") == owner) and (status is None or row.status == status) \
                    and (item is None or row.item == item):
                rows.append(row)
        return rows

    def plan_owners(self) -> list[str]:
        """Whom an action can be given to: the team's members, then the other owners the plan names."""
        named = [str(e.get("owner")) for e in self.actions() if isinstance(e, dict) and e.get("owner")]
        return list(dict.fromkeys([*self._members(), *named]))

    def _members(self) -> list[str]:
        if not isinstance(self.store, Store):  # a document file: owners are free text
            return []
        return [m.name for m in self.store.members(self.applicant_id) if m.active and m.role != "assessor"]

    def owner_hint(self, index: int) -> Problem | None:
        """An owner who is not one of the team's members is named (and kept as typed: a department will do)."""
        members = self._members()
        entry = self.actions()[index] if 0 <= index < len(self.actions()) else None
        owner = str(entry.get("owner") or "").strip() if isinstance(entry, dict) else ""
        if not members or not owner or owner in members:
            return None
        return Problem(f"improvements/{index + 1}/owner", "owner_not_member", params={"owner": owner,
                                                                                    "allowed": members})

    def plan_today(self) -> "plan.Plan | None":
        """The checked plan as of today, for the tab's summary; None while the document cannot be scored."""
        return plan.plan_of(self.scorecard) if self.scorecard is not None else None

    # --- edits ----------------------------------------------------------------------------------

    def add_action(self, clause: str | None = None, ofis: list[str] | None = None, item: str | None = None) -> int:
        """A new action on ``clause`` (by default the first clause the member writes, of ``item`` when given), not
        started; -1 when the member may not add it there (the page says why)."""
        if clause is None:
            clauses = [c.id for i in self.rubric.items if item in (None, i.id) for c in i.clauses]
            clause = next((c for c in clauses if self.editable(("clauses", c))), clauses[0])
        return self.append(PLAN, plan.new_action(self.actions(), clause, ofis or []))

    def action_for_ofi(self, clause: str, index: int) -> str | None:
        """The id of an action on ``clause`` that answers its OFI at ``index`` already (None: none does)."""
        text = self._ofi(clause, index)
        for entry in self.actions():
            if isinstance(entry, dict) and clause in (entry.get("clauses") or []) and text in (entry.get("ofis") or []):
                return str(entry.get("id") or "")
        return None

    def add_action_from_ofi(self, clause: str, index: int) -> int:
        """One click beside an OFI: an action answering it (once; a second click adds nothing)."""
        if not self._ofi(clause, index) or self.action_for_ofi(clause, index) is not None:
            return -1
        return self.add_action(clause, [self._ofi(clause, index)])

    def _ofi(self, clause: str, index: int) -> str:
        entries = self.value(("clauses", clause, "ofis"), [])
        entry = entries[index] if isinstance(entries, list) and 0 <= index < len(entries) else ""
        text = entry.get("text") if isinstance(entry, dict) else entry
        return str(text or "").strip()

    def set_action_clauses(self, index: int, text: str) -> Problem | None:
        """The clauses typed in one line (5.2.2、5.2.3), kept as typed and flagged when a clause is unknown; the
        first decides the action's item, which must be the member's before and after."""
        path = PLAN + (index, "clauses")
        clauses = parse_names(text)
        refused = self._allowed(path) or (self._allowed(("clauses", clauses[0])) if clauses else None) \
            or self._broken(path, text)
        if refused is not None:
            return refused
        entry = self.data_at(PLAN + (index,))
        if entry.get("clauses") != clauses:
            entry["clauses"] = clauses
            self._changed(path)
        return None

    def set_action_kpi(self, index: int, name: str) -> Problem | None:
        """The KPI an action is to move, by name; none removes the KPI target with its value and year."""
        path = PLAN + (index, "kpi")
        return self.set(path + ("name",), name) if name else self.set(path, None)

    def remove_action(self, index: int) -> None:
        self.remove(PLAN + (index,))

