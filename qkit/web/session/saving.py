"""Saving: revisions on top of the one the edits began from, merged with others' saves, autosaved, refreshed."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
import sys
from typing import Any

from ...document import TOP_FIELDS
from ...errors import Problem, QkitError
from ...i18n import tr
from ...merge import resolve
from ..store import AccessEnded, MergeConflict, NotAllowed

AUTOSAVE_DELAY = 1.0  # seconds after the last edit a page saves by itself


class Saving:
    """Saves and what comes back: merges, conflicts to choose, others' saves taken in, the save state."""

    def history(self) -> list:
        """The saved revisions, newest first, as the keeper has them (none without one)."""
        return self.store.history(self.applicant_id) if self.store is not None else []

    def restore(self, number: int, lang: str = "zh") -> bool:
        """Bring back revision ``number`` as a new revision, then show it; False when it could not be saved.

        Only a lead restores (the store checks it too, against the member as they stand now)."""
        if self.ended or (self.member is not None and self.member.role != "lead"):
            self._say(Problem("", "restore_leads_only"))
            return False
        try:
            self.store.restore(self.applicant_id, number, base=self.store.latest(self.applicant_id).number,
                               lang=lang, author=self.member)
        except AccessEnded:
            self._end()
            return False
        except QkitError as exc:
            self.save_error = exc
            self._notify_saved()
            return False
        self.dirty = False
        self.refresh()
        return True

    def save(self, overwrite: bool = False) -> bool:
        """Save a new revision; returns whether it was written.

        When someone else saved meanwhile, the page's edits are merged with
        theirs field by field (``qkit.merge``) and the merged document is
        saved: the page takes in the others' changes. When the same field was
        changed to different values, nothing is saved and ``conflicts`` lists
        them for the person to choose (``choose``); ``overwrite`` chooses this
        page's value for every one. Each person's saved version stays in the
        history.
        """
        self._cancel_autosave()
        if self.store is None or self.ended:
            return False
        if self.conflicts:
            if not overwrite:
                self._notify_saved()
                return False
            for _ in list(self.conflicts):
                self.choose(0, "mine", save=False)
        try:
            revision = self.store.save(self.applicant_id, copy.deepcopy(self.data), self.base, author=self.member,
                                       merging=True)
        except MergeConflict as exc:
            self.conflicts, self._merged, self.latest_author = exc.conflicts, (exc.latest.number, exc.merged), \
                exc.latest.author
            self._notify_saved()
            return False
        except AccessEnded:
            self._end()
            return False
        except NotAllowed as exc:  # the member's items changed since the page opened
            self.save_error = exc
            self._follow_member()
            self._notify_saved()
            return False
        except QkitError as exc:
            self.save_error = exc
            self._notify_saved()
            return False
        except (OSError, sqlite3.Error) as exc:  # the detail names server files: the server's log has it
            print(f"qkit: saving failed: {exc}", file=sys.stderr)
            self.save_error = QkitError(Problem("", "save_failed"))
            self._notify_saved()
            return False
        self.saved_at, self.dirty, self.save_error = revision.created_at, False, None
        self._remember(revision.changed)
        if revision.data != self.data:  # merged with what others saved meanwhile: the page takes it in
            sent, since = self.data, self.base
            self._take(revision.number, revision.data)
            self._tell(sent, revision.data, since)
        self.base = revision.number
        self._notify_saved()
        return True

    def _take(self, number: int, data: dict[str, Any]) -> None:
        """Make ``data`` (revision ``number`` plus any edits of this page) what the page shows."""
        self.data, self.base = data, number
        self._recheck()
        for callback in list(self._listeners):
            callback(())

    def choose(self, index: int, which: str, save: bool = True) -> None:
        """Settle conflict ``index``: keep ``theirs``, ``mine``, or ``both`` texts one after the other.

        When the last one is settled, the merged document is saved.
        """
        conflict = self.conflicts.pop(index)
        if which == "both" and isinstance(conflict.theirs, str) and isinstance(conflict.mine, str):
            value: Any = f"{conflict.theirs}\n{conflict.mine}"
        else:
            value = conflict.mine if which == "mine" else conflict.theirs
        number, data = self._merged
        self._merged = (number, resolve(data, conflict, value))
        if not self.conflicts:
            self._take(*self._merged)
            self._merged = None
            self.dirty = True
            if save:
                self.save()
        else:
            self._notify_saved()

    def refresh(self) -> bool:
        """Take in what others saved since this page's revision; True when the page changed.

        Only while the page has no unsaved edits: those are merged when saved;
        and only while the member's link still works (checked first, every
        time: a revoked page stops taking in others' work at once).
        """
        if self.store is None or self.ended or not self.store.news(self.applicant_id):
            return False  # nothing written since the last look (PostgreSQL says so): not a query made
        if not self._follow_member():
            return False
        self._follow_deadlines()
        if self.dirty or self.conflicts:
            return False
        latest = self.store.latest(self.applicant_id)
        if latest.number == self.base:
            return False
        self.saved_at, self.latest_author = latest.created_at, latest.author
        shown, since = self.data, self.base
        self._take(latest.number, latest.data)
        self._tell(shown, latest.data, since)  # others' changes to this member's own fields, said once
        return True

    def _end(self) -> None:
        """The member's access has ended: stop saving and taking in; what the page holds stays for copying."""
        self.ended = True
        self._cancel_autosave()
        self._notify_saved()

    def _follow_member(self) -> bool:
        """Take in the member as they stand in the store now; False (and the page ended) when their link no
        longer works. A change of role or items is said on the page and counts from now on."""
        if self.member is None or self.store is None:  # nobody signed in: a document file, a script
            return True
        try:
            now = self.store.member_now(self.member)
        except AccessEnded:
            self._end()
            return False
        if (now.role, now.items) != (self.member.role, self.member.items):
            self.member = now
            for callback in list(self._listeners):
                callback(("_access",))
        return True

    def status(self, lang: str = "zh") -> tuple[str, str]:
        """What the save indicator says: (state, text); state is saved, unsaved, conflict, error or ended."""
        if self.ended:
            return "ended", tr("access_revoked", lang)
        if self.conflicts:
            return "conflict", tr("merge_conflicts", lang, n=len(self.conflicts), latest=self._merged[0],
                                  author=self.latest_author or tr("someone_else", lang))
        if self.save_error is not None:
            return "error", "；".join(self._said(p, lang) for p in self.save_error.problems)
        if self.dirty:
            return "unsaved", tr("unsaved", lang)
        when = self.saved_at.strftime("%H:%M:%S") if self.saved_at else ""
        return "saved", tr("saved_revision", lang, number=self.base, time=when)

    def _said(self, problem: Problem, lang: str) -> str:
        """A save's problem in the page's words: a document field as on screen; a server's own field (its
        data folder, its database) never shown, only what went wrong."""
        if problem.field.split("/")[0] in TOP_FIELDS:
            return self.describe(problem, lang)
        return problem.message(lang)

    def _notify_saved(self) -> None:
        for callback in list(self._listeners):
            callback(("_saved",))

    def _schedule_autosave(self) -> None:
        if self.autosave_delay is None or self.store is None or self.conflicts or self.ended:
            return
        self._cancel_autosave()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script): the save button still saves
            return
        self._timer = loop.call_later(self.autosave_delay, self.flush)

    def flush(self) -> None:
        """Save edits still waiting for the autosave; a refused save keeps them in the page."""
        self._timer = None
        if self.dirty and not self.conflicts:
            self.save()

    def _cancel_autosave(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
