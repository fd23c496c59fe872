"""Evidence files in the store: each content kept once, found by its SHA-256, and every upload recorded.

The application names its files in ``clauses/<id>/evidence_files`` (``qkit.evidence``),
each with the ``sha256`` of its content, so its revisions carry the files as
they carry everything else; the content itself is a row of ``file``, kept once
however many revisions, clauses or applicants name it, and each upload is a row
of ``attachment`` (who attached which file, under which name, to which clause,
when). Neither is ever changed or deleted (the database refuses it), so a file
removed from the application, or replaced by another, is still there for the
revisions that named it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ...errors import Problem, QkitError
from ...evidence import MAX_APPLICANT_BYTES, EvidenceFile, check_file, digest
from ...i18n import fmt_bytes, join_list
from .. import access
from .records import Member, NotAllowed
from .schema import now


@dataclass(frozen=True)
class Attachment:
    """One upload: the file (by its content's digest), its name, the clause it was attached to, who and when."""

    applicant_id: int
    sha256: str
    size: int
    name: str
    clause: str
    author: str | None
    created_at: dt.datetime


class Attachments:
    """Evidence files, for ``Store``."""

    def attach(self, applicant_id: int, clause_id: str, name: str, content: bytes,
               member: Member | None = None) -> Attachment:
        """Keep a file attached to one of the applicant's clauses, its content once in the store.

        Refused (``QkitError``, naming the limit or the kinds allowed) when it
        cannot be evidence (``qkit.evidence.check_file``) or would take the
        applicant's files past ``MAX_APPLICANT_BYTES``; ``NotAllowed`` when
        ``member``, as the database holds them now, may not write that clause.
        """
        rubric = self.index.load(self.applicant(applicant_id).rubric)
        where = f"clauses/{clause_id}/evidence_files"
        if rubric.clause(clause_id) is None:
            raise QkitError(Problem("clause", "unknown_clause", clause_id, {"allowed": [c.id for c in rubric.clauses]}))
        problem = check_file(name, content, where)
        if problem is not None:
            raise QkitError(problem)
        sha256, created = digest(content), now()
        with self._connect() as db, self._write(db, applicant_id):
            author = self._member_now(db, member) if member is not None else None
            if author is not None and author.applicant_id != applicant_id:
                raise NotAllowed(Problem(where, "not_your_document", params={"role": author.role}))
            if not access.may_edit(rubric, author, {}, ("clauses", clause_id, "evidence_files")):
                role = author.role if author else ""
                raise NotAllowed(Problem(where, "not_your_item", params={"items": join_list(author.items)})
                                 if role == "writer" else Problem(where, "not_your_document", params={"role": role}))
            held = db.execute("SELECT COALESCE(SUM(size), 0) FROM file WHERE sha256 <> ? AND id IN"
                              " (SELECT file_id FROM attachment WHERE applicant_id = ?)",
                              (sha256, applicant_id)).fetchone()[0]
            if held + len(content) > MAX_APPLICANT_BYTES:
                raise QkitError(Problem(where, "evidence_total", name, {"held": fmt_bytes(held),
                                                                        "limit": fmt_bytes(MAX_APPLICANT_BYTES)}))
            db.execute("INSERT INTO file (sha256, size, content, created_at) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (sha256) DO NOTHING", (sha256, len(content), content, created))
            (file_id,) = db.execute("SELECT id FROM file WHERE sha256 = ?", (sha256,)).fetchone()
            db.execute("INSERT INTO attachment (applicant_id, file_id, clause, name, member_id, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (applicant_id, file_id, clause_id, name, author.id if author else None, created))
        return Attachment(applicant_id, sha256, len(content), name, clause_id, author.name if author else None,
                          dt.datetime.fromisoformat(created))

    def file_content(self, applicant_id: int, sha256: str) -> bytes | None:
        """A file's content, when it was attached to this applicant (another applicant's files are not theirs to
        read, whatever digest a page sends); None otherwise."""
        with self._connect() as db:
            row = db.execute("SELECT f.content FROM file f JOIN attachment a ON a.file_id = f.id"
                             " WHERE a.applicant_id = ? AND f.sha256 = ? LIMIT 1", (applicant_id, sha256)).fetchone()
        return bytes(row[0]) if row else None

    def attachments(self, applicant_id: int) -> list[Attachment]:
        """Every upload of the applicant's, oldest first (a file attached twice is listed twice)."""
        with self._connect() as db:
            rows = db.execute("SELECT f.sha256, f.size, a.name, a.clause, m.name, a.created_at FROM attachment a"
                              " JOIN file f ON f.id = a.file_id LEFT JOIN member m ON m.id = a.member_id"
                              " WHERE a.applicant_id = ? ORDER BY a.id", (applicant_id,)).fetchall()
        return [Attachment(applicant_id, sha, size, name, clause, author, dt.datetime.fromisoformat(created))
                for sha, size, name, clause, author, created in rows]


class StoreFiles:
    """An applicant's evidence files in the store, found by the ``sha256`` the application names them with: what
    ``qkit package APPLICANT`` and the form's package take."""

    def __init__(self, store: Any, applicant_id: int):
        self.store, self.applicant_id = store, applicant_id

    def content(self, entry: EvidenceFile) -> bytes | None:
        return self.store.file_content(self.applicant_id, entry.sha256) if entry.sha256 else None
