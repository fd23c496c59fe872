"""Who may change what in an applicant's document: one rule, applied by the session and by the store.

A ``lead`` changes everything; a ``writer`` with assigned items changes the
clauses of those items, the KPIs that support them and, with 5.1, the
organizational profile; a writer assigned a clause (``5.3.4``) changes that
clause and, for a results clause, its KPIs, and the actions of the
improvement plan whose first clause is theirs (a writer without items changes
everything); an ``assessor`` never changes the application (they score in a
layer of their own). The form asks ``may_edit`` before it offers a field; the store asks
``refusal`` of every save against the member as they stand in the database
at that moment, so a revoked link or a withdrawn item stops at once, whatever
the page sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..i18n import join_list
from ..merge import changes
from ..plan import first_clause

if TYPE_CHECKING:
    from .store import Member

Path = tuple[Any, ...]


def item_of(rubric: Any, data: Any, path: Path) -> str | None:
    """The item (5.1 for the profile) a field belongs to; None for the applicant's details and the like."""
    part = part_of(rubric, data, path)
    return part if part is None or rubric.clause(part) is None else _item_of_clause(rubric, part)


def part_of(rubric: Any, data: Any, path: Path) -> str | None:
    """The clause a field belongs to (a KPI's: the clause it supports), 5.1 for the profile; None for the
    applicant's details and the like."""
    if not path:
        return None
    if path[0] == "profile" and rubric.profile is not None:
        return rubric.profile.id
    if path[0] == "clauses" and len(path) > 1:
        return str(path[1]) if rubric.clause(str(path[1])) is not None else None
    if path[0] in ("results", "improvements") and len(path) > 1 and isinstance(path[1], int):
        entries = data.get(path[0]) if isinstance(data, dict) else None
        entry = entries[path[1]] if isinstance(entries, list) and 0 <= path[1] < len(entries) else None
        if not isinstance(entry, dict):
            return None
        clause = str(entry.get("clause", "")) if path[0] == "results" else first_clause(entry)  # an action's first
        return part_of(rubric, data, ("clauses", clause))
    return None


def _item_of_clause(rubric: Any, clause_id: str) -> str | None:
    return next((item.id for item in rubric.items if any(c.id == clause_id for c in item.clauses)), None)


def covers(rubric: Any, assigned: tuple[str, ...] | list[str], part: str | None) -> bool:
    """Whether items and clauses ``assigned`` include ``part`` (a clause, or 5.1): the part itself or its item."""
    return part is not None and (part in assigned or _item_of_clause(rubric, part) in assigned)


def unrestricted(member: "Member | None") -> bool:
    """Whether the member changes the whole application: a lead, a writer without items, or nobody
    signed in (a document file, a script, the command line)."""
    return member is None or member.role == "lead" or (member.role == "writer" and not member.items)


def may_edit(rubric: Any, member: "Member | None", data: Any, path: Path) -> bool:
    """Whether ``member`` may change the field at ``path`` of the application (None: a file, a script)."""
    if unrestricted(member):
        return True
    if member.role != "writer":
        return False
    if path == ("results",):  # the list of KPIs: whoever writes a results clause adds KPIs to it
        return any(covers(rubric, member.items, c.id) for c in rubric.results_clauses)
    return covers(rubric, member.items, part_of(rubric, data, path))


def part_of_field(rubric: Any, field: str) -> str | None:
    """The clause (or 5.1) of a changed field as ``qkit.merge.changes`` names it (``clauses/5.2.2/score``,
    ``results/5.4.4 顾客满意度``, ``profile/a``); None for parts outside every clause."""
    head, _, rest = field.partition("/")
    if head == "clauses" and rest:
        return part_of(rubric, {}, ("clauses", rest.split("/")[0]))
    if head in ("results", "improvements") and rest:  # a KPI by its clause and name, an action by its first clause and id
        return part_of(rubric, {}, ("clauses", rest.split(" ", 1)[0]))
    return part_of(rubric, {}, (head,)) if head == "profile" else None


def refusal(rubric: Any, member: "Member | None", old: Any, new: Any) -> Problem | None:
    """Why ``member`` may not turn ``old`` into ``new``; None when they may."""
    if unrestricted(member):
        return None
    if member.role != "writer":
        return Problem("", "not_your_document", params={"role": member.role})
    outside = [field for field in changes(old, new)
               if not covers(rubric, member.items, part_of_field(rubric, field))]
    if not outside:
        return None
    return Problem(outside[0], "not_your_item", params={"items": join_list(member.items)})
