"""What the store gives back: applicants, members, revisions, cycles and assessment rounds; and its refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ...errors import Problem, QkitError
from ...merge import Conflict


def hash_token(token: str) -> str:
    """Only this digest is stored, so a copied database file opens no workbook."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Applicant:
    """An applicant with a workbook: ``latest`` is its newest revision number, saved at ``saved_at``."""

    id: int
    name: str
    rubric: str
    created_at: dt.datetime
    latest: int
    saved_at: dt.datetime


@dataclass(frozen=True)
class Member:
    """A person with a link of their own to an applicant's workbook.

    ``role``: a ``lead`` edits everything; a ``writer`` edits the ``items``
    assigned (every item when none are); an ``assessor`` scores. ``items``
    are item ids such as ``5.2`` (``5.1`` is the organizational profile) or
    clause ids such as ``5.3.4`` (a results clause with its KPIs).
    """

    id: int
    applicant_id: int
    name: str
    role: str
    items: tuple[str, ...]
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    key_digest: str = ""  # the digest of the member's key when this was read: a new key ends older pages

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, eq=False)
class Revision:
    """One saved state of an applicant's document; ``parent`` is the revision it was edited from.

    ``author`` is the member who saved it (None for revisions from before
    members, or made by the command line), ``changed`` the fields it changed.
    ``content`` is the document's data, or how to read it: a history lists
    revisions without reading any document, and ``data`` reads one (once) when
    it is asked for.
    """

    applicant_id: int
    number: int
    parent: int | None
    created_at: dt.datetime
    content: Any = field(repr=False)  # the data, or a function that reads it
    note: str = ""
    document: str = field(default="", repr=False)  # the stored YAML text of data
    author: str | None = None
    changed: tuple[str, ...] = ()

    @cached_property
    def data(self) -> dict[str, Any]:
        return self.content() if callable(self.content) else self.content

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Revision):
            return NotImplemented
        return (self.applicant_id, self.number, self.parent, self.created_at, self.note, self.author, self.changed,
                self.data) == (other.applicant_id, other.number, other.parent, other.created_at, other.note,
                               other.author, other.changed, other.data)

    __hash__ = None


@dataclass(frozen=True)
class Edit:
    """A revision without its document: who saved it, when, and the fields it changed (what a history lists and
    what a team's progress reads, without parsing every document ever saved)."""

    number: int
    parent: int | None
    created_at: dt.datetime
    author: str | None
    changed: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Deadline:
    """When something is due in a cycle: an item or clause (its id, 5.1 for the profile), the whole
    ``application`` or the assessors' hand-in (``assessors``). A setting: the lead changes or clears it."""

    applicant_id: int
    cycle: int
    target: str
    due: dt.date
    set_by: str | None
    set_at: dt.datetime


@dataclass(frozen=True)
class Cycle:
    """One assessment cycle of an applicant (2026, 2027 …): its application starts at ``first_revision``."""

    applicant_id: int
    number: int
    label: str
    first_revision: int
    created_at: dt.datetime


@dataclass(frozen=True)
class RoundRecord:
    """A round's judgement as last saved: an assessor's layer (independent round) or the consensus.

    ``data`` is the round's part only (``qkit.rounds.judgement``); number 0:
    nothing saved yet. ``submitted``: an assessor's layer handed in to the
    lead; ``note`` says why a hand-in was reopened.
    """

    applicant_id: int
    cycle: int
    round: str
    assessor: Member | None
    number: int
    created_at: dt.datetime
    data: dict[str, Any]
    submitted: bool = False
    author: str | None = None
    note: str = ""


class AccessEnded(QkitError):
    """The member's link was revoked or replaced since their page opened: nothing more is saved or shown."""

    def __init__(self):
        super().__init__(Problem("", "access_revoked"))


class NotAllowed(QkitError):
    """A change outside what the member may change, refused by the store whatever the page sent."""


class StaleRevision(QkitError):
    """A save based on an older revision than the latest: the page must be reloaded."""

    def __init__(self, latest: int):
        self.latest = latest
        super().__init__(Problem("", "stale_revision", params={"latest": latest}))


class MergeConflict(QkitError):
    """A merging save found fields changed to different values by both sides; nothing was saved.

    ``merged`` is the merged document with the latest saved values at the
    conflicts, for the person to choose from (``qkit.merge.resolve``).
    """

    def __init__(self, latest: Revision, merged: dict[str, Any], conflicts: list[Conflict]):
        self.latest, self.merged, self.conflicts = latest, merged, conflicts
        super().__init__(Problem("", "merge_conflicts", params={"n": len(conflicts), "latest": latest.number,
                                                                "author": latest.author or ""}))


def part_ids(rubric) -> list[str]:
    """Everything a writer can be assigned or given a due date: the profile, each item and each of its clauses
    (a results clause with the KPIs that support it), in the standard's order."""
    found = [rubric.profile.id] if rubric.profile is not None else []
    for item in rubric.items:
        found += [item.id, *(c.id for c in item.clauses)]
    return found


def export_name(applicant: Applicant, *parts: str | None) -> str:
    """A file name that sorts by id and still tells whose document it is (and which round, whose layer)."""
    names = [re.sub(r"[^\w-]+", "-", str(p)).strip("-")[:40] for p in (applicant.name, *parts) if p]
    return f"{applicant.id:03d}-{'-'.join(n for n in names if n) or 'applicant'}.yaml"
