"""The team as its lead leads it: progress, assignments and due dates; and each person's own due dates."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ...errors import Problem, QkitError
from ...narrative import writing_status
from .. import access
from ..progress import Due, Progress, due_text, part_progress, progress
from ..store import AccessEnded, Member, Store
from .keepers import RoundKeeper
from .typed import parse_names

if TYPE_CHECKING:
    from ..store import Deadline


class Leading:
    """What the 进度 tab and the header's due dates ask: the team's progress (the lead's; read-only for
    writers), who writes what and when it is due (set by the lead only), and the signed-in member's own due dates."""

    _dues_seen: Any = None  # the due dates as the page last showed them

    def _team(self) -> Store | None:
        """The store of the applicant's team (an assessor's layer keeps it too); None for a document file."""
        if isinstance(self.store, RoundKeeper):
            return self.store.store
        return self.store if isinstance(self.store, Store) else None

    @property
    def leads(self) -> bool:
        """Whether the signed-in member leads the team: assigns, sets due dates, sees the assessors' state."""
        return self.member is not None and self.member.role == "lead" and self._team() is not None

    @property
    def follows_progress(self) -> bool:
        """Whether this page shows the team's progress: the lead's and the writers' pages on the application."""
        return (self.member is not None and self.member.role in ("lead", "writer")
                and isinstance(self.store, Store))

    def progress(self, today: dt.date | None = None) -> Progress | None:
        """The team's progress as saved; the assessors' part for the lead only. None where there is no team."""
        if not self.follows_progress:
            return None
        return progress(self.store, self.applicant_id, self.limits, today, lead=self.leads)

    def progress_mark(self) -> Any:
        """Changes whenever anything the progress shows does (a cheap query, for a page polling for it)."""
        return self.store.activity(self.applicant_id) if self.follows_progress else None

    def writers(self) -> list[Member]:
        """The team's writers, to assign (the lead's)."""
        if not self.leads:
            return []
        return [m for m in self.store.members(self.applicant_id) if m.active and m.role == "writer"]

    def due_targets(self) -> list[str]:
        """What the lead can give a due date: the application, the assessors' hand-in, 5.1, items and clauses."""
        return self.store.due_targets(self.applicant_id) if self.leads else []

    def deadlines_set(self) -> dict[str, "Deadline"]:
        """The due dates set in this cycle, by target."""
        store = self._team()
        return store.deadlines(self.applicant_id) if store is not None else {}

    def assign(self, writer: str, typed: str) -> bool:
        """Give a writer the items and clauses typed (5.3、5.4.4; nothing: the whole application), without a new
        link. Refused, and said why, for anyone but the lead or for ids the standard does not have."""
        return self._lead("assign_leads_only", lambda: self.store.assign(
            self.applicant_id, writer, parse_names(typed), author=self.member))

    def set_due(self, target: str, typed: str) -> bool:
        """Set when ``target`` is due (a date as 2026-12-10; nothing clears it); the lead's, said why when refused."""
        return self._lead("due_leads_only", lambda: self.store.set_due(
            self.applicant_id, target, typed, author=self.member))

    def _lead(self, refused: str, change: Any) -> bool:
        if not self.leads:
            self._say(Problem("", refused))
            return False
        try:
            change()
        except AccessEnded:
            self._end()
            return False
        except QkitError as exc:
            self._say(exc.problems[0])
            return False
        self._follow_deadlines()
        return True

    def deadlines(self, today: dt.date | None = None) -> list[Due]:
        """The signed-in member's due dates still open, soonest first: a writer's items and clauses (with the
        clauses of their items that have a due date of their own), an assessor's hand-in, the lead's whole
        application with every part past its due date. Nothing for a file or a script."""
        store, member = self._team(), self.member
        if store is None or member is None:
            return []
        today = today or dt.date.today()
        dues = store.deadlines(self.applicant_id)
        self._dues_seen = {t: d.due for t, d in dues.items()}
        if member.role == "assessor":
            due = dues.get("assessors")
            return [Due("assessors", due.due, today, self.submitted)] if due else []
        writing = writing_status(self.document, self.rubric, self.limits) if self.document is not None else None
        parts = part_progress(self.rubric, self.data, writing, [], dues, [], today)
        if access.unrestricted(member):
            everything = dues.get("application")
            mine = [Due("application", everything.due, today, all(p.finished for p in parts))] if everything else []
            late_items = {p.id for p in parts if p.kind == "item" and p.overdue}
            mine += [p.due for p in parts if p.overdue and p.item not in late_items]
        else:
            mine = [p.due for p in parts if p.due is not None and (
                p.id in member.items or (p.kind == "clause" and p.id in dues and access.covers(
                    self.rubric, member.items, p.id)))]
        return sorted((d for d in mine if not d.done), key=lambda d: (d.due, d.target))

    def deadline_lines(self, lang: str = "zh", today: dt.date | None = None) -> list[str]:
        """The signed-in member's open due dates as the header says them: 5.3 截止 12 月 10 日，还有 3 天."""
        return [due_text(due, lang) for due in self.deadlines(today)]

    @staticmethod
    def due_text(due: Due, lang: str = "zh", named: bool = True) -> str:
        """A due date as a sentence (``qkit.web.progress.due_text``)."""
        return due_text(due, lang, named)

    def _follow_deadlines(self) -> None:
        """Tell the page when the due dates changed (the lead set one), so the header shows them."""
        store = self._team()
        if store is None or self.member is None:
            return
        if self._dues_seen is None:  # nothing shown yet: the header asks when it is drawn
            return
        now = {t: d.due for t, d in store.deadlines(self.applicant_id).items()}
        if now != self._dues_seen:
            self._dues_seen = now
            for callback in list(self._listeners):
                callback(("_deadlines",))
