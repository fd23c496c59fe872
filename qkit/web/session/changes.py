"""What others changed, told in words: notices of changes to one's own fields, and a history that reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ...i18n import tr
from ...merge import MISSING, changes, same
from ...paths import value_at
from .. import access
from ..places import locate, place, shown_value
from ..store import Store

SPELL = dt.timedelta(minutes=10)  # saves by one person this close together are one working spell in the history
SHORT = 40  # characters of a text a notice shows before it says only that the text was changed


@dataclasses.dataclass(frozen=True)
class Notice:
    """Someone else's save changed a field this person had edited: who, which field, from what, to what."""

    author: str | None
    field: str  # as ``qkit.merge.changes`` names it
    before: Any
    after: Any
    data: Any  # the document the field is named in (the later one, or the earlier when it was removed)


@dataclasses.dataclass(frozen=True)
class Difference:
    """A field that differs between an earlier revision and now: its place on screen, both values as shown."""

    place: str
    then: str
    now: str


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One person's working spell (their saves within ``SPELL`` of each other), or a revision with a note of its
    own (a restore, a new cycle): every field changed, the revisions it spans, newest first."""

    author: str | None
    numbers: tuple[int, ...]
    started: dt.datetime
    ended: dt.datetime
    changed: tuple[str, ...]
    note: str

    @property
    def latest(self) -> int:
        return self.numbers[0]


class Changes:
    """Notices of others' changes, the history grouped by working spell, and differences said in words."""

    told: list[Notice] = []  # what the page said last about others' changes
    _mine: set[str] | None = None  # the fields this member has changed in any revision

    # --- notices --------------------------------------------------------------------------------

    def _remember(self, changed: tuple[str, ...]) -> None:
        """The fields of this member's own save, told about when someone else changes them later."""
        if self._mine is not None:
            self._mine.update(changed)

    def _tell(self, before: Any, after: Any, since: int) -> None:
        """Say once what others saved after revision ``since`` in fields this member had edited, from ``before``
        (what the page showed) to ``after`` (what it shows now)."""
        if not isinstance(self.store, Store) or self.member is None:
            return
        others = [e for e in self.store.edits(self.applicant_id, after=since) if e.author != self.member.name]
        if not others:
            return
        if self._mine is None:
            self._mine = {f for e in self.store.edits(self.applicant_id) if e.author == self.member.name
                          for f in e.changed}
        told = []
        for field in dict.fromkeys(f for e in others for f in e.changed if f in self._mine):
            old, new = _value(before, field), _value(after, field)
            if not same(old, new):
                author = next(e.author for e in others if field in e.changed)  # the latest to change it
                told.append(Notice(author, field, old, new, after if new is not MISSING else before))
        if told:
            self.told = told
            for callback in list(self._listeners):
                callback(("_notice",))

    def notice_lines(self, lang: str = "zh") -> list[str]:
        """The notices in words, each naming the field as the page shows it:
        张伟将 5.2.2 引领发展 · 得分率由 65% 改为 70%."""
        lines = []
        for notice in self.told:
            where = self._change_place(notice.data, notice.field, lang)
            author = notice.author or tr("someone_else", lang)
            if notice.after is MISSING:
                lines.append(tr("notice_removed", lang, author=author, place=where))
            elif all(_short(v) for v in (notice.before, notice.after)):
                lines.append(tr("notice_changed", lang, author=author, place=where,
                                old=shown_value(notice.before, lang), new=shown_value(notice.after, lang)))
            else:
                lines.append(tr("notice_edited", lang, author=author, place=where))
        return lines

    def _change_place(self, data: Any, field: str, lang: str) -> str:
        path = locate(data, field)
        return place(self.rubric, data, path, lang) if path else field

    # --- the history, grouped ----------------------------------------------------------------------

    def history_entries(self, author: str | None = None, item: str | None = None) -> list[HistoryEntry]:
        """The revisions as a person reads them, newest first: one entry per person's working spell (their saves
        within ``SPELL`` of each other, even with others' saves between), listing every field they changed; a
        restore or a new cycle stands alone. ``author`` keeps one person's; ``item`` keeps the entries that
        changed that item (5.1: the profile), with its fields only. Every revision stays stored."""
        log = self.store.edits(self.applicant_id) if isinstance(self.store, Store) else self.history()
        entries: list[dict[str, Any]] = []
        open_spells: dict[Any, dict[str, Any]] = {}
        for edit in log:  # newest first
            spell = open_spells.get(edit.author)
            if edit.note or spell is None or spell["started"] - edit.created_at > SPELL:
                spell = {"author": edit.author, "numbers": [], "started": edit.created_at,
                         "ended": edit.created_at, "changed": [], "note": edit.note}
                entries.append(spell)
                open_spells = {} if edit.note else open_spells  # a restore or a new cycle ends every spell
                if not edit.note:
                    open_spells[edit.author] = spell
            spell["numbers"].append(edit.number)
            spell["started"] = edit.created_at
            spell["changed"] += [f for f in edit.changed if f not in spell["changed"]]
        found = [HistoryEntry(e["author"], tuple(e["numbers"]), e["started"], e["ended"], tuple(e["changed"]),
                              e["note"]) for e in entries]
        if author is not None:
            found = [e for e in found if e.author == author]
        if item is not None:
            found = [dataclasses.replace(e, changed=tuple(f for f in e.changed if self._item_of_field(f) == item))
                     for e in found]
            found = [e for e in found if e.changed]
        return found

    def history_authors(self) -> list[str]:
        """Who has saved, as the history's filter offers them."""
        return list(dict.fromkeys(e.author for e in self.history_entries() if e.author))

    def _item_of_field(self, field: str) -> str | None:
        part = access.part_of_field(self.rubric, field)
        return part if part is None or self.rubric.clause(part) is None else access.item_of(
            self.rubric, {}, ("clauses", part))

    def fields_said(self, fields: tuple[str, ...], lang: str = "zh") -> list[str]:
        """Changed fields named as on screen (a KPI by its name, a clause's field by the clause and the field)."""
        return [self._change_place(self.data, f, lang) for f in fields]

    def difference(self, number: int, lang: str = "zh") -> list[Difference]:
        """What differs between revision ``number`` and this page, field by field, named and shown as on screen:
        what compare shows, and what a restore names before it is confirmed."""
        then = self.store.revision(self.applicant_id, number).data
        found = []
        for field in changes(self.data, then):
            now_value, then_value = _value(self.data, field), _value(then, field)
            where = self._change_place(self.data if now_value is not MISSING else then, field, lang)
            found.append(Difference(where, _brief(then_value, lang), _brief(now_value, lang)))
        return found


def _value(data: Any, field: str) -> Any:
    path = locate(data, field)
    return MISSING if path is None else value_at(data, path, MISSING)


def _short(value: Any) -> bool:
    """Whether a value is shown whole in a notice: a score, a number, a short text (never a list or a KPI)."""
    return value is MISSING or value is None or isinstance(value, (int, float)) or (
        isinstance(value, str) and len(value) <= SHORT)


def _brief(value: Any, lang: str) -> str:
    """A value in a line of differences: whole when short, else its beginning."""
    text = shown_value(value, lang)
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"
