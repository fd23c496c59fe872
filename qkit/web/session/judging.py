"""The assessment rounds as a session sees them: an assessor's layer, the lead's consensus, hand-ins."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ... import rounds
from ...document import check_partial
from ...errors import Problem, QkitError
from ...scoring import Scorecard, score
from ..store import AccessEnded, Store
from .keepers import RoundKeeper

if TYPE_CHECKING:
    from . import Session


class Judging:
    """An assessor's layer and the lead's consensus: the rounds over the application, never in it."""

    @property
    def judging(self) -> bool:
        """A round's document: what is edited is the round's judgement, never the application around it."""
        return isinstance(self.store, RoundKeeper)

    @property
    def assessing(self) -> bool:
        """An assessor's own layer (hidden from the other assessors until handed in)."""
        return self.judging and self.store.round == "independent"

    @property
    def agreeing(self) -> bool:
        """The consensus, as the lead builds it."""
        return self.judging and self.store.round == "consensus"

    @property
    def submitted(self) -> bool:
        return self.assessing and self.store.submitted

    def submit(self) -> bool:
        """Hand the assessor's layer to the lead; it is saved first and does not change afterwards."""
        if not self.assessing or self.submitted or not self.save():
            return False
        self.store.submit(self.data)
        self._notify_saved()
        for callback in list(self._listeners):
            callback(("_submitted",))
        return True

    def layers(self) -> list:
        """The assessors' layers handed in so far in this cycle, as (assessor, document) pairs: what the lead's
        consensus view lays side by side. None for anyone else."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return []
        return [(r.assessor.name, self.store.round_document(self.applicant_id, r))
                for r in self.store.submitted_layers(self.applicant_id)]

    def assessors(self) -> list:
        """Every assessor's layer in this cycle (for the lead): who has saved, handed in, been sent back."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return []
        return self.store.layers(self.applicant_id)

    def reopen(self, assessor: str, reason: str) -> bool:
        """Hand an assessor's layer back to them (the lead), with the reason kept beside it."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            self._say(Problem("", "reopen_leads_only"))
            return False
        try:
            self.store.reopen_layer(self.applicant_id, assessor, reason, author=self.member)
        except AccessEnded:
            self._end()
            return False
        except QkitError as exc:
            self._say(exc.problems[0])
            return False
        return True

    def side_by_side(self) -> "SideBySide | None":
        """The layers handed in, checked, with their scores side by side (``qkit.consensus``); None with fewer
        than two."""
        from ...consensus import compare_assessors

        pairs = [(name, check_partial(doc, self.index)[0]) for name, doc in self.layers()]
        pairs = [(name, doc) for name, doc in pairs if doc is not None]
        if len(pairs) < 2:
            return None
        names, docs = [n for n, _ in pairs], [d for _, d in pairs]
        return SideBySide(names, docs, compare_assessors(docs, self.rubric, names, names=names))

    def proposal(self) -> dict[str, Any] | None:
        """What the consensus discussion starts from: medians where nothing is flagged, comments merged."""
        from ...consensus import consensus_document

        side = self.side_by_side()
        return None if side is None else consensus_document(side.docs, self.rubric, side.names)

    def rounds(self) -> list["RoundSummary"]:
        """Every cycle's assessment rounds saved so far, newest cycle first, each scored (for the lead's 历史)."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return []
        found = []
        for cycle in reversed(self.store.cycles(self.applicant_id)):
            records = [self.store.consensus(self.applicant_id, cycle.number),
                       *self.store.layers(self.applicant_id, cycle.number)]
            for record in (r for r in records if r.number):
                document = check_partial(self.store.round_document(self.applicant_id, record), self.index)[0]
                card = score(document, self.rubric) if document is not None else None
                found.append(RoundSummary(cycle, record, card))
        return found

    def consensus(self) -> "Session | None":
        """The lead's session of this cycle's consensus: the application read-only, the agreed judgement
        edited and saved apart from it. None for anyone else."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return None
        keeper = RoundKeeper(self.store, self.applicant_id, self.member, "consensus")
        revision = keeper.latest()
        session = type(self)(self.rubric, revision.data, store=keeper, applicant_id=self.applicant_id,
                          base=revision.number, index=self.index, autosave_delay=self.autosave_delay,
                          member=self.member, limits=self._limits_file or self._limits, rules=self._rules)
        session.saved_at = revision.created_at
        return session

    def adopt(self, proposal: dict[str, Any], assessors: list[str]) -> None:
        """Take a consensus proposal (``qkit.consensus.consensus_document``) into the consensus being agreed.

        Clauses already agreed (scored, not merely proposed) keep what the lead
        agreed; the others take the proposal: the median as a proposed score,
        every independent score, the merged comments with their authors.
        """
        if not self.agreeing:
            self._say(Problem("", "consensus_leads_only"))
            return
        clauses = self.data.get("clauses") if isinstance(self.data.get("clauses"), dict) else {}
        for cid, entry in (proposal.get("clauses") or {}).items():
            current = clauses.get(cid) if isinstance(clauses.get(cid), dict) else {}
            if current.get("score") is not None and not current.get("proposed"):
                current["independent"] = entry.get("independent", {})
                continue
            kept = {k: v for k, v in current.items() if k in rounds.WRITTEN or k == "self_score"}
            clauses[cid] = {**kept, **{k: v for k, v in entry.items() if k in rounds.JUDGED}}
        self.data["clauses"] = clauses
        self.data["assessment"] = {**(self.data.get("assessment") or {}), "assessors": list(assessors),
                                   "stage": rounds.STAGES["consensus"]}
        self._changed(())

    def confirm(self, clause_id: str) -> None:
        """The lead agrees a proposed score as it stands: it is proposed no longer."""
        if self._allowed(("clauses", clause_id, "proposed")) is None and self.value(("clauses", clause_id, "proposed")):
            del self.data["clauses"][clause_id]["proposed"]
            self._changed(("clauses", clause_id, "proposed"))


@dataclasses.dataclass(frozen=True)
class RoundSummary:
    """One assessment round as the history lists it: its cycle, its record as last saved, its scores."""

    cycle: Any  # qkit.web.store.Cycle
    record: Any  # qkit.web.store.RoundRecord
    card: Scorecard | None


@dataclasses.dataclass(frozen=True)
class SideBySide:
    """The assessors' layers handed in: their names, their documents, and the table of their scores."""

    names: list[str]
    docs: list[Any]
    table: Any  # qkit.consensus.AssessorSpread
