"""What a lead follows the team by, beside the application: due dates per cycle, and who has opened their page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...errors import Problem, QkitError
from .records import Deadline, Member, NotAllowed, part_ids
from .schema import DUE_TARGETS, now


class Deadlines:
    """Due dates (settings the lead changes) and first openings (facts, kept as they happened), for ``Store``."""

    def due_targets(self, applicant_id: int) -> list[str]:
        """What can be given a due date: the whole application, the assessors' hand-in, the profile, each item
        and each clause."""
        return [*DUE_TARGETS, *part_ids(self.index.load(self.applicant(applicant_id).rubric))]

    def set_due(self, applicant_id: int, target: str, due: dt.date | str | None, author: Member | None = None
                ) -> Deadline | None:
        """Set (or, with None, clear) when ``target`` is due in the current cycle; a due date set again replaces
        the earlier one. Only a lead (or the command line) sets one."""
        allowed = self.due_targets(applicant_id)
        if target not in allowed:
            raise QkitError(Problem("target", "unknown_due_target", target, {"allowed": allowed}))
        if isinstance(due, str):
            try:
                due = dt.date.fromisoformat(due.strip()) if due.strip() else None
            except ValueError:
                raise QkitError(Problem("due", "not_date", due)) from None
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "due_leads_only"))
            cycle = self._current_cycle(db, applicant_id)
            db.execute("DELETE FROM deadline WHERE applicant_id = ? AND cycle = ? AND target = ?",
                       (applicant_id, cycle, target))
            if due is None:
                return None
            db.execute("INSERT INTO deadline (applicant_id, cycle, target, due, set_by, set_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (applicant_id, cycle, target, due.isoformat(), author and author.id, now()))
        return self.deadlines(applicant_id)[target]

    def deadlines(self, applicant_id: int, cycle: int | None = None) -> dict[str, Deadline]:
        """The due dates of a cycle (the current one by default), by target."""
        with self._connect() as db:
            cycle = cycle or self._current_cycle(db, applicant_id)
            rows = db.execute("SELECT d.target, d.due, m.name, d.set_at FROM deadline d LEFT JOIN member m"
                              " ON m.id = d.set_by WHERE d.applicant_id = ? AND d.cycle = ? ORDER BY d.id",
                              (applicant_id, cycle)).fetchall()
        return {target: Deadline(applicant_id, cycle, target, dt.date.fromisoformat(due), by,
                                 dt.datetime.fromisoformat(at)) for target, due, by, at in rows}

    def mark_opened(self, applicant_id: int, member: Member) -> None:
        """Note that the member has opened their page in the current cycle (the first time only)."""
        if self.read_only:  # a read-only copy of a store is looked at, not worked in
            return
        with self._connect() as db, self._write(db, applicant_id):
            db.execute("INSERT INTO opened (applicant_id, member_id, cycle, opened_at) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (member_id, cycle) DO NOTHING",
                       (applicant_id, member.id, self._current_cycle(db, applicant_id), now()))

    def openings(self, applicant_id: int, cycle: int | None = None) -> dict[int, dt.datetime]:
        """When each member first opened their page in a cycle (the current one by default), by member id."""
        with self._connect() as db:
            cycle = cycle or self._current_cycle(db, applicant_id)
            rows = db.execute("SELECT member_id, opened_at FROM opened WHERE applicant_id = ? AND cycle = ?",
                              (applicant_id, cycle)).fetchall()
        return {member_id: dt.datetime.fromisoformat(at) for member_id, at in rows}

    def activity(self, applicant_id: int) -> tuple[Any, ...]:
        """A cheap mark of everything a team's progress shows (saves, rounds, openings, due dates, members):
        it changes whenever any of them does, so an open page redraws only then."""
        with self._connect() as db:
            counts = db.execute(
                "SELECT (SELECT MAX(number) FROM revision WHERE applicant_id = ?),"
                " (SELECT COUNT(*) FROM assessment WHERE applicant_id = ?),"
                " (SELECT COUNT(*) FROM opened WHERE applicant_id = ?)",
                (applicant_id, applicant_id, applicant_id)).fetchone()
            due = db.execute("SELECT cycle, target, due FROM deadline WHERE applicant_id = ? ORDER BY id",
                             (applicant_id,)).fetchall()
            members = db.execute("SELECT id, role, items, revoked_at FROM member WHERE applicant_id = ? ORDER BY id",
                                 (applicant_id,)).fetchall()
        return tuple(counts), tuple(map(tuple, due)), tuple(map(tuple, members))
