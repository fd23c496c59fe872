"""Applicants and the members of their teams: links (keys kept as digests), roles, items, revocation."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import yaml

from ... import template
from ...errors import Problem, QkitError
from .records import AccessEnded, Applicant, Member, NotAllowed, hash_token, part_ids
from .schema import LEAD_NAME, ROLES, insert_cycle, now


class People:
    """The applicants and their teams' members, for ``Store``."""

    # --- applicants -------------------------------------------------------------

    def add_applicant(self, name: str, rubric_id: str, lead: str = LEAD_NAME) -> tuple[Applicant, str]:
        """A new applicant with a starter document as revision 1 and its lead member.

        Returns the lead's plain key, only this once (the store keeps its hash).
        """
        name = (name or "").strip()
        if not name:
            raise QkitError(Problem("name", "required"))
        rubric = self.index.load(rubric_id)
        data = yaml.safe_load(template.render(rubric))  # the same shape as `qkit new`
        data["applicant"]["name"] = name
        created = now()
        with self._connect() as db, self._write(db):
            applicant_id = db.execute("INSERT INTO applicant (name, rubric, created_at) VALUES (?, ?, ?) RETURNING id",
                                      (name, rubric.id, created)).fetchone()[0]
            member, token = self._add_member(db, applicant_id, lead, "lead", (), created)
            self._insert(db, applicant_id, 1, None, data, "", created, author=member)
            insert_cycle(db, applicant_id, 1, "", 1, created)
        return self.applicant(applicant_id), token

    def add_member(self, applicant_id: int, name: str, role: str = "writer",
                   items: tuple[str, ...] | list[str] = ()) -> tuple[Member, str]:
        """A new member of an applicant's team with a link of their own; returns the plain key, only this once."""
        name = (name or "").strip()
        if not name:
            raise QkitError(Problem("--name", "required"))
        if role not in ROLES:
            raise QkitError(Problem("--role", "unknown_role", role, {"allowed": list(ROLES)}))
        self._check_items(applicant_id, items)
        with self._connect() as db, self._write(db, applicant_id):
            if db.execute("SELECT 1 FROM member WHERE applicant_id = ? AND name = ? AND revoked_at IS NULL",
                          (applicant_id, name)).fetchone():
                raise QkitError(Problem("--name", "member_exists", name))
            return self._add_member(db, applicant_id, name, role, tuple(items), now())

    def _add_member(self, db: Any, applicant_id: int, name: str, role: str,
                    items: tuple[str, ...], created: str) -> tuple[Member, str]:
        token = secrets.token_urlsafe(24)
        member_id = db.execute(
            "INSERT INTO member (applicant_id, name, role, items, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " RETURNING id", (applicant_id, name, role, ",".join(items), hash_token(token), created)).fetchone()[0]
        return Member(member_id, applicant_id, name, role, items, dt.datetime.fromisoformat(created), None,
                      hash_token(token)), token

    _MEMBERS = "SELECT id, applicant_id, name, role, items, created_at, revoked_at, token_hash FROM member"

    @staticmethod
    def _member(row: tuple) -> Member:
        return Member(row[0], row[1], row[2], row[3], tuple(i for i in row[4].split(",") if i),
                      dt.datetime.fromisoformat(row[5]), row[6] and dt.datetime.fromisoformat(row[6]), row[7])

    def _member_now(self, db: Any, member: Member) -> Member:
        """The member as the database holds them now; AccessEnded when revoked or given a new key since."""
        row = db.execute(self._MEMBERS + " WHERE id = ?", (member.id,)).fetchone()
        if row is None or row[6] is not None or (member.key_digest and row[7] != member.key_digest):
            raise AccessEnded()
        return self._member(row)

    def member_now(self, member: Member) -> Member:
        """What an open page checks before it saves or takes in others' changes: the member as they stand
        now (their role and items may have changed); AccessEnded when their link no longer works."""
        with self._connect() as db:
            return self._member_now(db, member)

    def members(self, applicant_id: int) -> list[Member]:
        """The applicant's members, revoked ones included, in the order they were added."""
        self.applicant(applicant_id)
        with self._connect() as db:
            rows = db.execute(self._MEMBERS + " WHERE applicant_id = ? ORDER BY id", (applicant_id,)).fetchall()
        return [self._member(row) for row in rows]

    def member(self, applicant_id: int, ref: int | str | None = None) -> Member:
        """An active member by id or name; None gives the first active lead."""
        active = [m for m in self.members(applicant_id) if m.active]
        if ref is None:
            found = next((m for m in active if m.role == "lead"), None)
        else:
            found = next((m for m in active if str(m.id) == str(ref)), None) or next(
                (m for m in active if m.name == str(ref)), None)
        if found is None:
            raise QkitError(Problem("member", "unknown_member", ref or "lead",
                                    {"allowed": [f"{m.id} {m.name}" for m in active]}))
        return found

    def revoke(self, applicant_id: int, ref: int | str) -> Member:
        """The member's link stops working at once; their revisions stay."""
        member = self.member(applicant_id, ref)
        with self._connect() as db, self._write(db, applicant_id):
            db.execute("UPDATE member SET revoked_at = ? WHERE id = ?", (now(), member.id))
        return next(m for m in self.members(applicant_id) if m.id == member.id)

    def assign(self, applicant_id: int, ref: int | str, items: tuple[str, ...] | list[str],
               author: Member | None = None) -> Member:
        """Give a writer other items or clauses (none: the whole application), without a new link: their open
        page follows within seconds. Only a lead (or the command line) assigns."""
        member = self.member(applicant_id, ref)
        if member.role != "writer":
            raise QkitError(Problem("--items", "assign_writers_only", member.name,
                                    {"name": member.name, "role": member.role}))
        self._check_items(applicant_id, items)
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "assign_leads_only"))
            db.execute("UPDATE member SET items = ? WHERE id = ?", (",".join(items), member.id))
        return next(m for m in self.members(applicant_id) if m.id == member.id)

    def _check_items(self, applicant_id: int, items: tuple[str, ...] | list[str]) -> None:
        allowed = part_ids(self.index.load(self.applicant(applicant_id).rubric))
        unknown = [i for i in items if i not in allowed]
        if unknown:
            raise QkitError(Problem("--items", "unknown_item", ",".join(unknown), {"allowed": allowed}))

    def renew_token(self, applicant_id: int, ref: int | str | None = None) -> str:
        """A new key for a member's lost or leaked link (the lead's by default); the old link stops working."""
        member = self.member(applicant_id, ref)
        token = secrets.token_urlsafe(24)
        with self._connect() as db, self._write(db, applicant_id):
            db.execute("UPDATE member SET token_hash = ? WHERE id = ?", (hash_token(token), member.id))
        return token

    _APPLICANTS = """
        SELECT a.id, a.name, a.rubric, a.created_at, r.number, r.created_at
        FROM applicant a JOIN revision r ON r.applicant_id = a.id
        WHERE r.number = (SELECT MAX(number) FROM revision WHERE applicant_id = a.id)
    """

    @staticmethod
    def _applicant(row: tuple) -> Applicant:
        return Applicant(row[0], row[1], row[2], dt.datetime.fromisoformat(row[3]), row[4],
                         dt.datetime.fromisoformat(row[5]))

    def applicants(self) -> list[Applicant]:
        """Every applicant, in the order they were added."""
        with self._connect() as db:
            return [self._applicant(row) for row in db.execute(self._APPLICANTS + " ORDER BY a.id")]

    def applicant(self, applicant_id: int) -> Applicant:
        with self._connect() as db:
            row = db.execute(self._APPLICANTS + " AND a.id = ?", (applicant_id,)).fetchone()
        if row is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return self._applicant(row)

    def member_for_token(self, token: str | None) -> tuple[Applicant, Member] | None:
        """The applicant and the active member whose key this is; None for a missing, wrong or revoked key."""
        if not token:
            return None
        with self._connect() as db:
            row = db.execute(self._MEMBERS + " WHERE token_hash = ? AND revoked_at IS NULL",
                             (hash_token(token),)).fetchone()
        if row is None:
            return None
        member = self._member(row)
        return self.applicant(member.applicant_id), member

    def applicant_for_token(self, token: str | None) -> Applicant | None:
        """The applicant an active member's key opens; None for a missing, wrong or revoked key."""
        found = self.member_for_token(token)
        return found[0] if found else None
