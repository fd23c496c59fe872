"""The application's revisions: every save a new one, merged when saved from an older one, never changed."""

from __future__ import annotations

import copy
import datetime as dt
import json
from functools import partial
from typing import Any

from ...errors import Problem, QkitError
from ...i18n import tr
from ...merge import MISSING, changes, delta, merge, patch
from .. import access
from .records import Edit, Member, MergeConflict, NotAllowed, Revision, StaleRevision
from .schema import dump, insert_cycle, load, now


SNAPSHOT_EVERY = 50  # a revision is kept whole once in so many (1, 51, 101 …), as its changes in between
KEEP = 4  # revisions of each applicant a store keeps read: the latest and the few before (a page's base)


def encode(changes_made: list[tuple[tuple, Any]]) -> str:
    """A revision's changes as the store keeps them: ``at`` a field path, ``to`` its new value (none: removed)."""
    return dump([{"at": list(path)} if value is MISSING else {"at": list(path), "to": value}
                 for path, value in changes_made])


def decode(text: str) -> list[tuple[tuple, Any]]:
    return [(tuple(step["at"]), step["to"] if "to" in step else MISSING) for step in load(text)]


class Revisions:
    """The application's revisions, for ``Store``.

    A save costs what changed, not what the document weighs. A revision is
    kept whole once in ``SNAPSHOT_EVERY`` and as its changes since the one
    before in between (``merge.delta``), so any revision is rebuilt from the
    whole one before it and at most ``SNAPSHOT_EVERY`` - 1 changes. The last
    few revisions of each applicant a store has seen are kept read
    (``_known``: their rows and data), so a save compares against the latest,
    and merges from the page's own base, without reading them again, and a
    newer latest is reached from the one known by its changes alone; a
    revision is read only when its data is asked for.
    """

    # --- revisions --------------------------------------------------------------

    def _revision(self, applicant_id: int, row: tuple, data: Any = None) -> Revision:
        """A revision of a row (number, parent, created, document, note, author, changed, delta); its data is read
        when first asked for (a copy of ``data`` when that is known already)."""
        number, parent, created, document, note, author, changed, _ = row
        if data is not None:
            content = partial(copy.deepcopy, data)
        else:
            content = partial(load, document) if document else partial(self._read, applicant_id, number)
        return Revision(applicant_id, number, parent, dt.datetime.fromisoformat(created), content, note, document,
                        author, tuple(json.loads(changed or "[]")))

    def _read(self, applicant_id: int, number: int) -> Any:
        with self._connect() as db:
            return self._rebuild(db, applicant_id, number)

    def _rebuild(self, db: Any, applicant_id: int, number: int) -> Any:
        """Revision ``number``'s data: from a revision known before it and the changes since, or from the whole
        revision at or before it and every change after that one."""
        known = self._known.get(applicant_id, {})
        whole = db.execute("SELECT MAX(number) FROM revision WHERE applicant_id = ? AND number <= ? AND document <> ''",
                           (applicant_id, number)).fetchone()[0]
        start = max((n for n in known if whole <= n <= number), default=None)
        if start is not None:
            data = copy.deepcopy(known[start][1])
        else:
            start = whole
            data = load(db.execute("SELECT document FROM revision WHERE applicant_id = ? AND number = ?",
                                   (applicant_id, whole)).fetchone()[0])
        for (changes_made,) in db.execute("SELECT delta FROM revision WHERE applicant_id = ? AND number > ?"
                                          " AND number <= ? ORDER BY number", (applicant_id, start, number)):
            data = patch(data, decode(changes_made))
        return data

    def _latest_known(self, db: Any, applicant_id: int) -> tuple[tuple, Any]:
        """The latest revision's row and data: known already, or read and kept."""
        return self._known_at(db, applicant_id, self._latest_number(db, applicant_id))

    def _known_at(self, db: Any, applicant_id: int, number: int) -> tuple[tuple, Any]:
        known = self._known.get(applicant_id, {})
        if number not in known:
            row = tuple(db.execute(self._REVISION + " AND r.number = ?", (applicant_id, number)).fetchone())
            self._remember(applicant_id, row, load(row[3]) if row[3] else self._rebuild(db, applicant_id, number),
                           copied=False)
        return self._known[applicant_id][number]

    def _remember(self, applicant_id: int, row: tuple, data: Any, copied: bool = True) -> None:
        """Keep a revision read (a copy of ``data`` unless it is a fresh one of its own), with the few before it."""
        known = self._known.setdefault(applicant_id, {})
        known[row[0]] = (tuple(row), copy.deepcopy(data) if copied else data)
        for number in sorted(known)[:-KEEP]:
            del known[number]

    _REVISION = ("SELECT r.number, r.parent_number, r.created_at, r.document, r.note, m.name, r.changed, r.delta"
                 " FROM revision r LEFT JOIN member m ON m.id = r.author_id WHERE r.applicant_id = ?")

    def _latest_number(self, db: Any, applicant_id: int) -> int:
        latest = db.execute("SELECT MAX(number) FROM revision WHERE applicant_id = ?", (applicant_id,)).fetchone()[0]
        if latest is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return latest

    def _insert(self, db: Any, applicant_id: int, number: int, parent: int | None, data: Any, note: str,
                created: str | None = None, author: Member | None = None, before: Any = None) -> Revision:
        """Add revision ``number`` holding ``data``: whole (the first, and once in ``SNAPSHOT_EVERY``), else as
        its changes since ``before``, the latest revision's data. It records the fields it changed."""
        created = created or now()
        changed_json = json.dumps(changes(before, data) if before is not None else [], ensure_ascii=False)
        whole = before is None or (number - 1) % SNAPSHOT_EVERY == 0
        document, changes_made = (dump(data), None) if whole else ("", encode(delta(before, data)))
        db.execute("INSERT INTO revision (applicant_id, number, parent_number, created_at, document, note, author_id,"
                   " changed, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (applicant_id, number, parent, created, document, note, author and author.id, changed_json,
                    changes_made))
        row = (number, parent, created, document, note, author and author.name, changed_json, changes_made)
        self._remember(applicant_id, row, data)
        return self._revision(applicant_id, row, data)

    def latest(self, applicant_id: int) -> Revision:
        """The latest revision; its document is read only when it is newer than the one this store knows."""
        with self._connect() as db:
            row, data = self._latest_known(db, applicant_id)
        return self._revision(applicant_id, row, data)

    def latest_number(self, applicant_id: int) -> int:
        """The latest revision's number: what an open page asks every few seconds, reading nothing else."""
        with self._connect() as db:
            return self._latest_number(db, applicant_id)

    def revision(self, applicant_id: int, number: int) -> Revision:
        with self._connect() as db:
            latest = self._latest_number(db, applicant_id)
            row = db.execute(self._REVISION + " AND r.number = ?", (applicant_id, number)).fetchone()
        if row is None:
            raise QkitError(Problem("revision", "unknown_revision", number, {"latest": latest}))
        return self._revision(applicant_id, row)

    def history(self, applicant_id: int) -> list[Revision]:
        """Every revision, newest first."""
        with self._connect() as db:
            self._latest_number(db, applicant_id)
            rows = db.execute(self._REVISION + " ORDER BY r.number DESC", (applicant_id,)).fetchall()
        return [self._revision(applicant_id, row) for row in rows]

    def edits(self, applicant_id: int, after: int = 0) -> list[Edit]:
        """The revisions after number ``after`` without their documents, newest first: who saved each, when, and
        what it changed."""
        with self._connect() as db:
            self._latest_number(db, applicant_id)
            rows = db.execute("SELECT r.number, r.parent_number, r.created_at, m.name, r.changed, r.note FROM revision r"
                              " LEFT JOIN member m ON m.id = r.author_id WHERE r.applicant_id = ? AND r.number > ?"
                              " ORDER BY r.number DESC", (applicant_id, after)).fetchall()
        return [Edit(number, parent, dt.datetime.fromisoformat(created), author, tuple(json.loads(changed or "[]")),
                     note) for number, parent, created, author, changed, note in rows]

    def save(self, applicant_id: int, data: dict[str, Any], base: int, note: str = "",
             author: Member | None = None, merging: bool = False) -> Revision:
        """Store ``data`` as revision latest+1, edited from revision ``base`` by ``author``.

        When ``base`` is not the latest revision (someone saved meanwhile),
        nothing is overwritten: without ``merging`` it raises
        ``StaleRevision``; with it, ``data`` is merged with the latest revision
        three ways (``qkit.merge``) inside the same transaction, so saves
        racing each other always make progress, and the merged document is
        saved, or ``MergeConflict`` is raised when the same field was changed
        to different values. Saving data identical to the latest revision adds
        nothing and returns that revision, so an autosave without changes
        leaves no empty revisions. The revision records what changed.
        """
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None:
                author = self._member_now(db, author)
            row, current = self._latest_known(db, applicant_id)
            latest = row[0]
            if base != latest:
                if not merging:
                    raise StaleRevision(latest)
                merged = merge(self._known_at(db, applicant_id, base)[1] if 0 < base < latest else {}, current, data)
                if merged.conflicts:
                    raise MergeConflict(self._revision(applicant_id, row, current), merged.data, merged.conflicts)
                data = merged.data
            if not delta(current, data):
                return self._revision(applicant_id, row, current)
            if author is not None:
                self._allowed(db, applicant_id, author, current, data)
            # a merged save continues the latest
            return self._insert(db, applicant_id, latest + 1, latest, data, note, author=author, before=current)

    def _allowed(self, db: Any, applicant_id: int, member: Member, old: Any, new: Any) -> None:
        """Refuse a change the member may not make (``qkit.web.access``), as they stand in the database now."""
        rubric = db.execute("SELECT rubric FROM applicant WHERE id = ?", (applicant_id,)).fetchone()[0]
        problem = access.refusal(self.index.load(rubric), member, old, new)
        if problem is not None:
            raise NotAllowed(problem)

    def new_cycle(self, applicant_id: int, label: str, lang: str = "zh", author: Member | None = None) -> Revision:
        """Start the next assessment cycle from the latest revision (``qkit.cycle.next_cycle``).

        The earlier cycle stays in the history, readable and restorable, with
        its assessment rounds; every assessor starts the new cycle with an
        empty layer. Only a lead (or the command line) starts one.
        """
        from ...cycle import next_cycle

        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "cycle_leads_only"))
            row, current = self._latest_known(db, applicant_id)
            number = row[0]
            data = next_cycle(current, label)
            revision = self._insert(db, applicant_id, number + 1, number, data,
                                    tr("cycle_note", lang, label=label, n=number), author=author, before=current)
            insert_cycle(db, applicant_id, self._current_cycle(db, applicant_id) + 1, label, revision.number,
                               now())
        return revision

    def restore(self, applicant_id: int, number: int, base: int, lang: str = "zh",
                author: Member | None = None) -> Revision:
        """Bring back revision ``number`` as a new revision (nothing is overwritten); ``base`` as in save."""
        old = self.revision(applicant_id, number)
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "restore_leads_only"))
            row, current = self._latest_known(db, applicant_id)
            if base != row[0]:
                raise StaleRevision(row[0])
            return self._insert(db, applicant_id, row[0] + 1, base, old.data, tr("restored_note", lang, n=number),
                                author=author, before=current)
