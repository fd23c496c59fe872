"""Who may change what, as the page asks it, and what the page says when a change is refused."""

from __future__ import annotations

from typing import Any

from ... import rounds
from ...errors import Problem
from ...i18n import join_list, paren, tr
from ...paths import FieldPath, field_of
from .. import access
from ..store import LEAD_NAME


class Rights:
    """The signed-in member's rights over each field (``qkit.web.access``), and refusals said in words."""

    def who(self, lang: str = "zh") -> str:
        """Who is signed in, as the form's header says it: 王强 · 撰写人（5.2、5.3）; empty for a file."""
        member = self.member
        if member is None:
            return ""
        role = tr(f"role_{member.role}", lang)
        role = paren(role, join_list(member.items, lang), lang) if member.items else role
        if member.name == LEAD_NAME:  # a lead added without a name is called by the role alone, not 负责人 · 负责人
            return tr("signed_in_as_role", lang, role=role)
        return tr("signed_in_as", lang, name=member.name, role=role)

    def editable(self, path: FieldPath) -> bool:
        """Whether the signed-in member may change the field at ``path``.

        A lead, an assessor and a writer without assigned items edit everything;
        a writer with items edits the clauses of those items, the KPIs that
        support them, and the profile when 5.1 is assigned.
        """
        if self.judging:  # a round's judgement: the clauses' scores and comments and the key themes, nothing else
            judged = path[:1] == ("key_themes",) or (path[:1] == ("clauses",) and (len(path) < 3
                                                                                 or path[2] in rounds.JUDGED))
            return judged and not self.submitted
        return access.may_edit(self.rubric, self.member, self.data, path)

    def item_of(self, path: FieldPath) -> str | None:
        """The item (5.1 for the profile) a field belongs to; None for the applicant's details."""
        return access.item_of(self.rubric, self.data, path)

    def failed(self) -> None:
        """Something went wrong that nobody foresaw (the caller logged it): the page says so in words."""
        self._say(Problem("", "unexpected_error"))

    def _say(self, problem: Problem) -> Problem:
        """What the page says once (``alert``): a change refused (the document stays as it was), a failure."""
        self.alert = problem
        for callback in list(self._listeners):
            callback(("_alert",))
        return problem

    def _broken(self, path: FieldPath, *texts: Any) -> Problem | None:
        """A lone surrogate in typed text (the form cannot send one; a tampered page can): refused, said."""
        for text in texts:
            char = next((c for c in str(text) if "\ud800" <= c <= "\udfff"), None)
            if char is not None:
                return self._say(Problem(field_of(path), "lone_surrogate", params={"char": f"U+{ord(char):04X}"}))
        return None

    def _allowed(self, path: FieldPath, value: Any = None) -> Problem | None:
        """None when the member may change the field at path (to ``value``), else the refusal (said on the page).

        A KPI moved to another clause must land in a clause the member writes too."""
        moving = path[:1] == ("results",) and path[2:] == ("clause",) and isinstance(value, str)
        if self.editable(path) and (not moving or self.judging or self.editable(("clauses", value))):
            return None
        if self.member is not None and self.member.role == "writer":
            return self._say(Problem(field_of(path), "not_your_item", params={"items": join_list(self.member.items)}))
        return self._say(Problem(field_of(path), "not_your_document",
                                    params={"role": self.member.role if self.member else ""}))
