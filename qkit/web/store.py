"""The store behind the web workbooks: applicants, access tokens and revisions.

One SQLite file, ``<data dir>/qkit.sqlite3``, in WAL mode so several workbook
kernels and the ``qkit`` command can use it at once. Every save adds a
revision and nothing is ever updated or deleted (triggers refuse it), so the
whole history of each applicant's document stays viewable and restorable.
Documents are stored as the YAML of the raw data the workbook holds, so even
input that does not pass ``qkit validate`` yet is kept.

The API the workbooks use:

- ``open_for_token(data_dir, os.environ.get("QUERY_STRING"))`` gives
  ``(Applicant, Revision)`` for the ``?key=`` of the page URL, or ``None``
  (then show ``tr("access_denied", lang)`` and nothing else);
- ``Store.save(applicant.id, data, base=revision.number)`` stores the edited
  data as the next revision; when another tab saved first it raises
  ``StaleRevision`` (render it with ``.render(lang)``), never overwriting;
- ``Store.history`` and ``Store.restore`` show and bring back old revisions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode

import yaml

from .. import template
from ..document import parse_yaml
from ..errors import Problem, QkitError
from ..files import file_error, writable_folder, write_atomic
from ..i18n import tr
from ..merge import Conflict, changes, merge
from ..rubric import RubricIndex

DEFAULT_DATA_DIR = Path("qkit-data")
DATA_ENV = "QKIT_DATA"
DB_NAME = "qkit.sqlite3"
LINK_PARAM = "key"  # not "token": the Jupyter server reserves that one for its own login
SCHEMA_VERSION = 2
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one before giving up
ROLES = ("lead", "writer", "assessor")
LEAD_NAME = "负责人"  # the first member of an applicant when no name is given

_MEMBER = """CREATE TABLE member (
        id            INTEGER PRIMARY KEY,
        applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
        name          TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('lead', 'writer', 'assessor')),
        items         TEXT NOT NULL DEFAULT '',
        token_hash    TEXT NOT NULL UNIQUE,
        created_at    TEXT NOT NULL,
        revoked_at    TEXT
    )"""
_IMMUTABLE = (
    """CREATE TRIGGER revision_never_updated BEFORE UPDATE ON revision
       BEGIN SELECT RAISE(ABORT, 'revisions are never changed; save a new one'); END""",
    """CREATE TRIGGER revision_never_deleted BEFORE DELETE ON revision
       BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END""",
)
SCHEMA = (
    """CREATE TABLE applicant (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        rubric      TEXT NOT NULL,
        created_at  TEXT NOT NULL
    )""",
    _MEMBER,
    """CREATE TABLE revision (
        id             INTEGER PRIMARY KEY,
        applicant_id   INTEGER NOT NULL REFERENCES applicant(id),
        number         INTEGER NOT NULL,
        parent_number  INTEGER,
        created_at     TEXT NOT NULL,
        document       TEXT NOT NULL,
        note           TEXT NOT NULL DEFAULT '',
        author_id      INTEGER REFERENCES member(id),
        changed        TEXT NOT NULL DEFAULT '[]',
        UNIQUE (applicant_id, number)
    )""",
    *_IMMUTABLE,
)
# each step takes the schema from its version to the next; a store is brought up to date when opened
MIGRATIONS = {
    1: (  # one key per applicant → members with keys of their own; revisions get an author and what changed
        _MEMBER,
        f"""INSERT INTO member (applicant_id, name, role, items, token_hash, created_at)
            SELECT id, '{LEAD_NAME}', 'lead', '', token_hash, created_at FROM applicant""",
        "CREATE TABLE applicant_v2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, rubric TEXT NOT NULL,"
        " created_at TEXT NOT NULL)",
        "INSERT INTO applicant_v2 (id, name, rubric, created_at) SELECT id, name, rubric, created_at FROM applicant",
        "DROP TABLE applicant",
        "ALTER TABLE applicant_v2 RENAME TO applicant",
        "ALTER TABLE revision ADD COLUMN author_id INTEGER REFERENCES member(id)",
        "ALTER TABLE revision ADD COLUMN changed TEXT NOT NULL DEFAULT '[]'",
    ),
}


def data_dir(arg: str | Path | None = None) -> Path:
    """The data directory: ``--data DIR``, else ``$QKIT_DATA``, else ``./qkit-data``; absolute."""
    chosen = arg or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def hash_token(token: str) -> str:
    """Only this digest is stored, so a copied database file opens no workbook."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _dump(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    except yaml.YAMLError as exc:
        raise QkitError(Problem("", "not_storable", params={"detail": str(exc)})) from None


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
    are item ids such as ``5.2`` (``5.1`` is the organizational profile).
    """

    id: int
    applicant_id: int
    name: str
    role: str
    items: tuple[str, ...]
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Revision:
    """One saved state of an applicant's document; ``parent`` is the revision it was edited from.

    ``author`` is the member who saved it (None for revisions from before
    members, or made by the command line), ``changed`` the fields it changed.
    """

    applicant_id: int
    number: int
    parent: int | None
    created_at: dt.datetime
    data: dict[str, Any]
    note: str
    document: str  # the stored YAML text of data
    author: str | None = None
    changed: tuple[str, ...] = ()


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


class Store:
    """The applicants and revisions in ``<data_dir>/qkit.sqlite3``, created on first use.

    Each method opens its own short connection, so a Store can be shared by
    threads (e.g. an autosave timer) and many processes can use one file.
    """

    def __init__(self, data_dir: str | Path, index: RubricIndex | None = None):
        self.dir = Path(data_dir)
        self.path = self.dir / DB_NAME
        self.index = index or RubricIndex.scan()
        if self.path.is_file() and self.path.stat().st_size == 0:
            # an empty file where the database should be may be a lost database: never start over on top of it
            raise QkitError(Problem(str(self.path), "store_empty"))
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(self.dir, exc) from None
        # a folder qkit may not write to (a read-only mount, a backup copy) can still be read: list, history, export
        self.read_only = not os.access(self.dir, os.W_OK)
        if self.read_only and not self.path.is_file():
            raise QkitError(Problem(str(self.dir), "read_only"))
        with self._connect() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QkitError(Problem(str(self.path), "store_newer", version, {"supported": SCHEMA_VERSION}))
            if version == 0:
                db.execute("PRAGMA journal_mode=WAL")
            if version < SCHEMA_VERSION:
                self._upgrade(db)

    def _upgrade(self, db: sqlite3.Connection) -> None:
        """Create the schema, or bring an older one up to date, step by step, in one transaction."""
        db.execute("PRAGMA foreign_keys=OFF")  # tables are rebuilt; the references hold again afterwards
        with self._write(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
            steps = [SCHEMA] if version == 0 else [MIGRATIONS[v] for v in range(version, SCHEMA_VERSION)]
            for statement in (s for step in steps for s in step):
                db.execute(statement)
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                if db.execute("PRAGMA foreign_key_check").fetchall():
                    raise QkitError(Problem(str(self.path), "store_unreadable",
                                            params={"detail": "foreign keys broken by the upgrade"}))
        db.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if self.read_only:  # nobody can write here, so nothing changes under us: read the file as it is
                db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None)
            else:
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise QkitError(Problem(str(self.path), "store_unreadable", params={"detail": str(exc)})) from None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.DatabaseError as exc:
            raise QkitError(Problem(str(self.path), "store_unreadable", params={"detail": str(exc)})) from None
        finally:
            db.close()

    @contextmanager
    def _write(self, db: sqlite3.Connection) -> Iterator[None]:
        """One IMMEDIATE transaction: the write lock is taken before anything is read."""
        if self.read_only:
            raise QkitError(Problem(str(self.dir), "store_read_only"))
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

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
        created = _now()
        with self._connect() as db, self._write(db):
            applicant_id = db.execute("INSERT INTO applicant (name, rubric, created_at) VALUES (?, ?, ?)",
                                      (name, rubric.id, created)).lastrowid
            member, token = self._add_member(db, applicant_id, lead, "lead", (), created)
            self._insert(db, applicant_id, 1, None, _dump(data), "", created, author=member)
        return self.applicant(applicant_id), token

    def add_member(self, applicant_id: int, name: str, role: str = "writer",
                   items: tuple[str, ...] | list[str] = ()) -> tuple[Member, str]:
        """A new member of an applicant's team with a link of their own; returns the plain key, only this once."""
        name = (name or "").strip()
        if not name:
            raise QkitError(Problem("--name", "required"))
        if role not in ROLES:
            raise QkitError(Problem("--role", "unknown_role", role, {"allowed": list(ROLES)}))
        applicant = self.applicant(applicant_id)
        allowed = item_ids(self.index.load(applicant.rubric))
        unknown = [i for i in items if i not in allowed]
        if unknown:
            raise QkitError(Problem("--items", "unknown_item", ",".join(unknown), {"allowed": allowed}))
        with self._connect() as db, self._write(db):
            if db.execute("SELECT 1 FROM member WHERE applicant_id = ? AND name = ? AND revoked_at IS NULL",
                          (applicant_id, name)).fetchone():
                raise QkitError(Problem("--name", "member_exists", name))
            return self._add_member(db, applicant_id, name, role, tuple(items), _now())

    def _add_member(self, db: sqlite3.Connection, applicant_id: int, name: str, role: str,
                    items: tuple[str, ...], created: str) -> tuple[Member, str]:
        token = secrets.token_urlsafe(24)
        member_id = db.execute(
            "INSERT INTO member (applicant_id, name, role, items, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (applicant_id, name, role, ",".join(items), hash_token(token), created)).lastrowid
        return Member(member_id, applicant_id, name, role, items, dt.datetime.fromisoformat(created), None), token

    _MEMBERS = "SELECT id, applicant_id, name, role, items, created_at, revoked_at FROM member"

    @staticmethod
    def _member(row: tuple) -> Member:
        return Member(row[0], row[1], row[2], row[3], tuple(i for i in row[4].split(",") if i),
                      dt.datetime.fromisoformat(row[5]), row[6] and dt.datetime.fromisoformat(row[6]))

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
        with self._connect() as db, self._write(db):
            db.execute("UPDATE member SET revoked_at = ? WHERE id = ?", (_now(), member.id))
        return next(m for m in self.members(applicant_id) if m.id == member.id)

    def renew_token(self, applicant_id: int, ref: int | str | None = None) -> str:
        """A new key for a member's lost or leaked link (the lead's by default); the old link stops working."""
        member = self.member(applicant_id, ref)
        token = secrets.token_urlsafe(24)
        with self._connect() as db, self._write(db):
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

    # --- revisions --------------------------------------------------------------

    @staticmethod
    def _revision(applicant_id: int, row: tuple) -> Revision:
        number, parent, created, document, note, author, changed = row
        return Revision(applicant_id, number, parent, dt.datetime.fromisoformat(created),
                        parse_yaml(document, f"revision {number}"), note, document, author,
                        tuple(json.loads(changed or "[]")))

    _REVISION = ("SELECT r.number, r.parent_number, r.created_at, r.document, r.note, m.name, r.changed"
                 " FROM revision r LEFT JOIN member m ON m.id = r.author_id WHERE r.applicant_id = ?")

    def _latest_number(self, db: sqlite3.Connection, applicant_id: int) -> int:
        latest = db.execute("SELECT MAX(number) FROM revision WHERE applicant_id = ?", (applicant_id,)).fetchone()[0]
        if latest is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return latest

    def _insert(self, db: sqlite3.Connection, applicant_id: int, number: int, parent: int | None,
                document: str, note: str, created: str | None = None, author: Member | None = None,
                changed: list[str] | None = None) -> Revision:
        created = created or _now()
        changed_json = json.dumps(changed or [], ensure_ascii=False)
        db.execute("INSERT INTO revision (applicant_id, number, parent_number, created_at, document, note, author_id,"
                   " changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (applicant_id, number, parent, created, document, note, author and author.id, changed_json))
        return self._revision(applicant_id, (number, parent, created, document, note, author and author.name,
                                             changed_json))

    def latest(self, applicant_id: int) -> Revision:
        with self._connect() as db:
            row = db.execute(self._REVISION + " ORDER BY r.number DESC LIMIT 1", (applicant_id,)).fetchone()
        if row is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return self._revision(applicant_id, row)

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
        with self._connect() as db, self._write(db):
            latest = self._latest_number(db, applicant_id)
            row = db.execute(self._REVISION + " AND r.number = ?", (applicant_id, latest)).fetchone()
            current = self._revision(applicant_id, row)
            if base != latest:
                if not merging:
                    raise StaleRevision(latest)
                old = db.execute(self._REVISION + " AND r.number = ?", (applicant_id, base)).fetchone()
                merged = merge(self._revision(applicant_id, old).data if old else {}, current.data, data)
                if merged.conflicts:
                    raise MergeConflict(current, merged.data, merged.conflicts)
                data = merged.data
            document = _dump(data)
            if row[3] == document:
                return current
            return self._insert(db, applicant_id, latest + 1, latest, document, note, author=author,
                                changed=changes(current.data, data))  # a merged save continues the latest

    def restore(self, applicant_id: int, number: int, base: int, lang: str = "zh",
                author: Member | None = None) -> Revision:
        """Bring back revision ``number`` as a new revision (nothing is overwritten); ``base`` as in save."""
        old = self.revision(applicant_id, number)
        with self._connect() as db, self._write(db):
            latest = self._latest_number(db, applicant_id)
            if base != latest:
                raise StaleRevision(latest)
            current = db.execute(self._REVISION + " AND r.number = ?", (applicant_id, latest)).fetchone()
            changed = changes(parse_yaml(current[3], f"revision {latest}"), old.data)
            return self._insert(db, applicant_id, latest + 1, base, old.document, tr("restored_note", lang, n=number),
                                author=author, changed=changed)

    # --- export -----------------------------------------------------------------

    def export(self, folder: str | Path) -> list[Path]:
        """Write every applicant's latest document as ``<id>-<name>.yaml``, the input of qkit validate/score/batch.

        Documents that do not pass the checks yet are written too: the caller
        reports their problems.
        """
        folder = writable_folder(folder)
        return [write_atomic(folder / export_name(a), self.latest(a.id).document) for a in self.applicants()]


def item_ids(rubric) -> list[str]:
    """What a writer can be assigned: the profile (5.1, when the standard has one) and every item."""
    return ([rubric.profile.id] if rubric.profile is not None else []) + [item.id for item in rubric.items]


def export_name(applicant: Applicant) -> str:
    """A file name that sorts by id and still tells whose document it is."""
    safe = re.sub(r"[^\w-]+", "-", applicant.name).strip("-")[:40]
    return f"{applicant.id:03d}-{safe or 'applicant'}.yaml"


# --- access links ----------------------------------------------------------------


def access_path(applicant: Applicant, token: str) -> str:
    """The workbook URL path with the secret key, e.g. ``/voila/render/hubei-service.ipynb?key=…``."""
    return f"/voila/render/{applicant.rubric}.ipynb?{urlencode({LINK_PARAM: token})}"


def token_from_query(query_string: str | None) -> str | None:
    """The ``key`` of a page's query string (Voila gives it to the kernel as $QUERY_STRING)."""
    values = parse_qs(query_string or "").get(LINK_PARAM) or [""]
    return values[0].strip() or None


def open_for_token(data_dir_arg: str | Path | None, query_string: str | None,
                   ) -> tuple[Applicant, Revision, Member] | None:
    """What a workbook opens: the applicant of the page's key, its latest revision and the member, or None.

    In a workbook: ``open_for_token(None, os.environ.get("QUERY_STRING"))``;
    ``qkit serve`` sets $QKIT_DATA for the kernels, so None finds the store.
    A missing, wrong or revoked key gives None and reveals nothing about any applicant.
    """
    token = token_from_query(query_string)
    if token is None:
        return None
    store = Store(data_dir(data_dir_arg))
    found = store.member_for_token(token)
    if found is None:
        return None
    applicant, member = found
    return applicant, store.latest(applicant.id), member
