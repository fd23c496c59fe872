"""Cycles, and the assessment rounds of each over the application: assessors' layers and the consensus."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

from ... import rounds
from ...errors import Problem, QkitError
from ...merge import merge
from .records import Cycle, Member, MergeConflict, NotAllowed, Revision, RoundRecord
from .schema import dump, load, now


class Assessments:
    """Cycles and assessment rounds, for ``Store``."""

    # --- cycles and assessment rounds ---------------------------------------------

    _CYCLES = "SELECT number, label, first_revision, created_at FROM cycle WHERE applicant_id = ?"

    def cycles(self, applicant_id: int) -> list[Cycle]:
        """The applicant's cycles, oldest first; the last is the current one."""
        with self._connect() as db:
            rows = db.execute(self._CYCLES + " ORDER BY number", (applicant_id,)).fetchall()
        if not rows:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return [Cycle(applicant_id, r[0], r[1], r[2], dt.datetime.fromisoformat(r[3])) for r in rows]

    def cycle(self, applicant_id: int, number: int | None = None) -> Cycle:
        """A cycle by number; the current one by default."""
        found = self.cycles(applicant_id)
        if number is None:
            return found[-1]
        chosen = next((c for c in found if c.number == number), None)
        if chosen is None:
            raise QkitError(Problem("--cycle", "unknown_cycle", number,
                                    {"allowed": [f"{c.number} {c.label}".strip() for c in found]}))
        return chosen

    def _current_cycle(self, db: Any, applicant_id: int) -> int:
        return db.execute("SELECT MAX(number) FROM cycle WHERE applicant_id = ?", (applicant_id,)).fetchone()[0]

    _ROUND = ("SELECT a.number, a.created_at, a.document, a.submitted, m.name, a.note, a.cycle FROM assessment a"
              " LEFT JOIN member m ON m.id = a.author_id WHERE a.applicant_id = ? AND a.cycle = ? AND a.round = ?")

    def _round(self, db: Any, applicant_id: int, cycle: int, round_name: str, assessor: Member | None
               ) -> RoundRecord | None:
        who = ("a.assessor_id = ?", (assessor.id,)) if assessor is not None else ("a.assessor_id IS NULL", ())
        row = db.execute(f"{self._ROUND} AND {who[0]} ORDER BY a.number DESC LIMIT 1",
                         (applicant_id, cycle, round_name, *who[1])).fetchone()
        if row is None:
            return None
        return RoundRecord(applicant_id, cycle, round_name, assessor, row[0], dt.datetime.fromisoformat(row[1]),
                           load(row[2]), bool(row[3]), row[4], row[5])

    def _record(self, applicant_id: int, round_name: str, assessor: Member | None, cycle: int | None
                ) -> RoundRecord:
        with self._connect() as db:
            cycle = cycle or self._current_cycle(db, applicant_id)
            found = self._round(db, applicant_id, cycle, round_name, assessor)
            began = db.execute("SELECT created_at FROM cycle WHERE applicant_id = ? AND number = ?",
                               (applicant_id, cycle)).fetchone()
        if found is not None:
            return found
        if began is None:
            raise QkitError(Problem("--cycle", "unknown_cycle", cycle, {"allowed": "1"}))
        names = [assessor.name] if assessor is not None else []  # nothing saved yet: as the cycle began
        return RoundRecord(applicant_id, cycle, round_name, assessor, 0, dt.datetime.fromisoformat(began[0]),
                           rounds.empty(round_name, names))

    def _insert_round(self, db: Any, record: RoundRecord, author: Member | None) -> RoundRecord:
        assessor_id = record.assessor.id if record.assessor is not None else None
        created = now()
        db.execute("INSERT INTO assessment (applicant_id, cycle, round, assessor_id, number, created_at, document,"
                   " submitted, author_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (record.applicant_id, record.cycle, record.round, assessor_id, record.number, created,
                    dump(record.data), int(record.submitted), author and author.id, record.note))
        return dataclasses.replace(record, created_at=dt.datetime.fromisoformat(created),
                                   data=copy.deepcopy(record.data), author=author and author.name)

    def layer(self, applicant_id: int, member: Member, cycle: int | None = None) -> RoundRecord:
        """An assessor's own judgement of the applicant in a cycle (the current one by default).

        A layer not saved yet (number 0) judges nothing: each assessor starts
        empty in each cycle, beside the application they read.
        """
        return self._record(applicant_id, "independent", member, cycle)

    def save_layer(self, applicant_id: int, member: Member, data: dict[str, Any], submit: bool = False
                   ) -> RoundRecord:
        """Save an assessor's judgement in the current cycle; ``submit`` hands it to the lead, after which it no
        longer changes (unless the lead reopens it)."""
        with self._connect() as db, self._write(db, applicant_id):
            member = self._member_now(db, member)
            if member.role != "assessor":
                raise NotAllowed(Problem("", "not_your_document", params={"role": member.role}))
            cycle = self._current_cycle(db, applicant_id)
            latest = self._round(db, applicant_id, cycle, "independent", member)
            if latest is not None and latest.submitted:
                raise QkitError(Problem("", "layer_submitted"))
            record = RoundRecord(applicant_id, cycle, "independent", member, (latest.number if latest else 0) + 1,
                                 dt.datetime.now(), rounds.judgement(data, "independent"), submit)
            return self._insert_round(db, record, member)

    def reopen_layer(self, applicant_id: int, assessor: int | str, reason: str, author: Member | None = None
                     ) -> RoundRecord:
        """The lead hands an assessor's layer back to them, for the reason given (kept with the layer)."""
        reason = (reason or "").strip()
        if not reason:
            raise QkitError(Problem("reason", "reopen_reason"))
        member = self.member(applicant_id, assessor)
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "reopen_leads_only"))
            latest = self._round(db, applicant_id, self._current_cycle(db, applicant_id), "independent", member)
            if latest is None or not latest.submitted:
                raise QkitError(Problem("", "layer_not_submitted", member.name, {"name": member.name}))
            record = dataclasses.replace(latest, number=latest.number + 1, submitted=False, note=reason)
            return self._insert_round(db, record, author)

    def layers(self, applicant_id: int, cycle: int | None = None) -> list[RoundRecord]:
        """Every assessor's layer in a cycle (number 0 for one not saved yet), in the order they were added."""
        return [self.layer(applicant_id, m, cycle) for m in self.members(applicant_id) if m.role == "assessor"]

    def submitted_layers(self, applicant_id: int, cycle: int | None = None) -> list[RoundRecord]:
        """The layers assessors have handed in: what the lead brings together."""
        return [layer for layer in self.layers(applicant_id, cycle) if layer.submitted]

    def consensus(self, applicant_id: int, cycle: int | None = None) -> RoundRecord:
        """The consensus of a cycle (the current one by default) as last saved; number 0 before it began."""
        return self._record(applicant_id, "consensus", None, cycle)

    def save_consensus(self, applicant_id: int, data: dict[str, Any], base: int, author: Member | None = None,
                       ) -> RoundRecord:
        """Save the consensus of the current cycle, edited from its save ``base`` (0: none), by the lead.

        A save from an older base is merged with what was saved meanwhile, as
        the application's saves are; the same field changed both ways raises
        MergeConflict. It never touches the application.
        """
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "consensus_leads_only"))
            cycle = self._current_cycle(db, applicant_id)
            latest = self._round(db, applicant_id, cycle, "consensus", None)
            data = rounds.judgement(data, "consensus")
            number = latest.number if latest else 0
            if base != number:
                old = self._round_at(db, applicant_id, cycle, base)
                merged = merge(old, latest.data, data)
                if merged.conflicts:
                    current = Revision(applicant_id, number, None, latest.created_at, latest.data, "", "",
                                       latest.author)
                    raise MergeConflict(current, merged.data, merged.conflicts)
                data = merged.data
            if latest is not None and dump(latest.data) == dump(data):
                return latest
            record = RoundRecord(applicant_id, cycle, "consensus", None, number + 1, dt.datetime.now(), data)
            return self._insert_round(db, record, author)

    def _round_at(self, db: Any, applicant_id: int, cycle: int, number: int) -> dict[str, Any]:
        row = db.execute("SELECT document FROM assessment WHERE applicant_id = ? AND cycle = ? AND round = ?"
                         " AND assessor_id IS NULL AND number = ?", (applicant_id, cycle, "consensus", number)
                         ).fetchone()
        return load(row[0]) if row else rounds.empty("consensus", [])

    def application_of(self, applicant_id: int, cycle: int | None = None) -> Revision:
        """The application as it stands at the end of a cycle: its latest revision before the next cycle began."""
        cycles = self.cycles(applicant_id)
        chosen = self.cycle(applicant_id, cycle)
        later = [c.first_revision for c in cycles if c.number > chosen.number]
        if not later:
            return self.latest(applicant_id)
        return self.revision(applicant_id, min(later) - 1)

    def round_document(self, applicant_id: int, record: RoundRecord) -> dict[str, Any]:
        """A round's document: its cycle's application as written, with the round's judgement over it
        (a consensus keeps each clause's self-assessed score beside it)."""
        application = self.application_of(applicant_id, record.cycle).data
        return rounds.overlay(application, record.data, self_scores=record.round == "consensus")
