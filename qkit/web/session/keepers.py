"""Where a session's document is kept: what every keeper offers, and the keeper of an assessment round."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from ... import rounds
from ..store import Member, MergeConflict, Revision, Store


class Keeper(Protocol):
    """Where a session's document is kept and saved: the store (``qkit.web.store.Store``), a document file
    (``qkit.web.notebook.FileKeeper``) or an assessment round (``RoundKeeper``)."""

    def latest(self, applicant_id: Any = None) -> Revision:
        """The document as last saved, with its number (what a page's edits start from)."""

    def save(self, applicant_id: Any, data: dict[str, Any], base: int, note: str = "", author: Member | None = None,
             merging: bool = True) -> Revision:
        """Save ``data``, edited from ``base``: merged with what was saved meanwhile, or ``MergeConflict``."""

    def member_now(self, member: Member) -> Member:
        """The member as they stand now (role, items); ``AccessEnded`` when their link no longer works."""

    def history(self, applicant_id: Any = None) -> list[Revision]:
        """The saved versions a person may look back at, newest first (none where there is no history)."""

    def news(self, applicant_id: Any = None) -> bool:
        """Whether anything may have changed since the last look (True when only looking again can tell)."""


class RoundKeeper:
    """Keeps a session in an assessment round, with the store's interface (``latest``, ``save``).

    The session holds the round's document: the application as the team wrote
    it, read-only, with the round's judgement over it (``qkit.rounds``); a save
    keeps the judgement alone and never touches the application. The round
    is an assessor's own layer (``independent``: only they write it, so a save
    never merges) or the ``consensus`` (the lead's; saves merge as the
    application's do).
    """

    def __init__(self, store: Store, applicant_id: int, member: Member, round_name: str):
        self.store, self.applicant_id, self.member, self.round = store, applicant_id, member, round_name
        self.submitted = False

    def _record(self):
        if self.round == "independent":
            return self.store.layer(self.applicant_id, self.member)
        return self.store.consensus(self.applicant_id)

    def _revision(self, record) -> Revision:
        self.submitted = record.submitted
        return Revision(self.applicant_id, record.number, None, record.created_at,
                        self.store.round_document(self.applicant_id, record), record.note, "", author=record.author)

    def latest(self, _applicant: Any = None) -> Revision:
        return self._revision(self._record())

    def member_now(self, member: Member) -> Member:
        return self.store.member_now(member)

    def history(self, _applicant: Any = None) -> list[Revision]:
        """A round keeps its saves, but the page looks back at the application's revisions only."""
        return []

    def news(self, _applicant: Any = None) -> bool:
        return self.store.news(self.applicant_id)

    def save(self, _applicant: Any, data: dict[str, Any], base: int, note: str = "", author: Any = None,
             merging: bool = True) -> Revision:
        if self.round == "independent":
            return self._revision(self.store.save_layer(self.applicant_id, self.member, data))
        try:
            return self._revision(self.store.save_consensus(self.applicant_id, data, base, author=self.member))
        except MergeConflict as exc:  # the conflicts lie in the judgement: the page keeps the application around it
            application = self.store.latest(self.applicant_id).data
            latest = dataclasses.replace(exc.latest, data=rounds.overlay(application, exc.latest.data, True))
            raise MergeConflict(latest, rounds.overlay(application, exc.merged, True), exc.conflicts) from None

    def submit(self, data: dict[str, Any]) -> None:
        self.store.save_layer(self.applicant_id, self.member, data, submit=True)
        self.submitted = True
