"""The store behind the web workbooks: applicants, access tokens and revisions.

Two backends behind one ``Store``, chosen by where the data lives:

- a data folder (the default, ``./qkit-data``): one SQLite file,
  ``<data dir>/qkit.sqlite3``, in WAL mode so several workbook kernels and the
  ``qkit`` command can use it at once;
- a ``postgresql://`` URL: a PostgreSQL database (through psycopg 3), which
  several ``qkit serve`` processes on several machines can share.

Every save adds a revision and nothing is ever updated or deleted: the
database itself refuses it (triggers on both backends), so the whole history
of each applicant's document stays viewable and restorable. Documents are
stored as the YAML of the raw data the workbook holds, so even input that
does not pass ``qkit validate`` yet is kept. A save takes a lock before it
reads the latest revision (SQLite: an IMMEDIATE transaction; PostgreSQL: the
applicant's row, ``SELECT … FOR UPDATE``) and merges inside that transaction,
so two writers, in one process or on two servers, never lose a save.

The backends differ only in ``_SQLite`` and ``_Postgres`` below: how to
connect, placeholders, identity columns, where the schema version is kept
(``PRAGMA user_version`` or a ``schema_version`` table), which lock a write
takes, and the triggers. Both bring an older schema up to date step by step
when a store is opened.

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

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlencode

import yaml

from .. import rounds, template
from . import access
from ..document import parse_yaml
from ..errors import Problem, QkitError
from ..files import file_error, replacing, writable_folder, write_atomic
from ..i18n import tr
from ..merge import Conflict, changes, merge
from ..rubric import RubricIndex

DEFAULT_DATA_DIR = Path("qkit-data")
DATA_ENV = "QKIT_DATA"
DB_NAME = "qkit.sqlite3"
DATABASE_URLS = ("postgresql://", "postgres://")  # --data given as one of these is a PostgreSQL database
LINK_PARAM = "key"  # not "token": the Jupyter server reserves that one for its own login
SCHEMA_VERSION = 4
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one before giving up
ROLES = ("lead", "writer", "assessor")
LEAD_NAME = "负责人"  # the first member of an applicant when no name is given
TABLES = {  # every table and column, in the order a copy must fill them (references first)
    "applicant": ("id", "name", "rubric", "created_at"),
    "member": ("id", "applicant_id", "name", "role", "items", "token_hash", "created_at", "revoked_at"),
    "revision": ("id", "applicant_id", "number", "parent_number", "created_at", "document", "note", "author_id",
                 "changed"),
    "cycle": ("id", "applicant_id", "number", "label", "first_revision", "created_at"),
    "assessment": ("id", "applicant_id", "cycle", "round", "assessor_id", "number", "created_at", "document",
                   "submitted", "author_id", "note"),
}


def _tables(identity: str) -> tuple[str, ...]:
    """The tables, with the dialect's auto-numbered primary key ``identity``."""
    return (
        f"""CREATE TABLE applicant (
            id          {identity},
            name        TEXT NOT NULL,
            rubric      TEXT NOT NULL,
            created_at  TEXT NOT NULL
        )""",
        _member(identity),
        f"""CREATE TABLE revision (
            id             {identity},
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
        *_rounds(identity),
    )


def _rounds(identity: str) -> tuple[str, ...]:
    """Cycles, and the assessment rounds of each over the application: records of their own (schema 4)."""
    return (
        f"""CREATE TABLE cycle (
            id              {identity},
            applicant_id    INTEGER NOT NULL REFERENCES applicant(id),
            number          INTEGER NOT NULL,
            label           TEXT NOT NULL DEFAULT '',
            first_revision  INTEGER NOT NULL,
            created_at      TEXT NOT NULL,
            UNIQUE (applicant_id, number)
        )""",
        # an assessor's layer (round 'independent', assessor_id set) or the consensus (assessor_id NULL): every
        # save a new row, numbered per applicant, cycle, round and assessor; never changed or deleted
        f"""CREATE TABLE assessment (
            id            {identity},
            applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
            cycle         INTEGER NOT NULL,
            round         TEXT NOT NULL CHECK (round IN ('independent', 'consensus', 'site_visit')),
            assessor_id   INTEGER REFERENCES member(id),
            number        INTEGER NOT NULL,
            created_at    TEXT NOT NULL,
            document      TEXT NOT NULL,
            submitted     INTEGER NOT NULL DEFAULT 0,
            author_id     INTEGER REFERENCES member(id),
            note          TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX assessment_of ON assessment (applicant_id, cycle, round, assessor_id, number)",
    )


def _layer(identity: str) -> str:
    """An assessor's own scores of an applicant, kept apart until the consensus: every save a new row."""
    return f"""CREATE TABLE layer (
            id            {identity},
            applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
            member_id     INTEGER NOT NULL REFERENCES member(id),
            number        INTEGER NOT NULL,
            created_at    TEXT NOT NULL,
            document      TEXT NOT NULL,
            submitted     INTEGER NOT NULL DEFAULT 0,
            UNIQUE (member_id, number)
        )"""


def _member(identity: str) -> str:
    return f"""CREATE TABLE member (
            id            {identity},
            applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
            name          TEXT NOT NULL,
            role          TEXT NOT NULL CHECK (role IN ('lead', 'writer', 'assessor')),
            items         TEXT NOT NULL DEFAULT '',
            token_hash    TEXT NOT NULL UNIQUE,
            created_at    TEXT NOT NULL,
            revoked_at    TEXT
        )"""


_SQLITE_ID = "INTEGER PRIMARY KEY"
_IMMUTABLE_ROUNDS = (
    """CREATE TRIGGER assessment_never_updated BEFORE UPDATE ON assessment
       BEGIN SELECT RAISE(ABORT, 'assessments are never changed; save a new one'); END""",
    """CREATE TRIGGER assessment_never_deleted BEFORE DELETE ON assessment
       BEGIN SELECT RAISE(ABORT, 'assessments are never deleted'); END""",
)
_IMMUTABLE = (
    """CREATE TRIGGER revision_never_updated BEFORE UPDATE ON revision
       BEGIN SELECT RAISE(ABORT, 'revisions are never changed; save a new one'); END""",
    """CREATE TRIGGER revision_never_deleted BEFORE DELETE ON revision
       BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END""",
    *_IMMUTABLE_ROUNDS,
)
SCHEMA = (*_tables(_SQLITE_ID), *_IMMUTABLE)
# each step takes the schema from its version to the next; a store is brought up to date when opened
MIGRATIONS = {
    1: (  # one key per applicant → members with keys of their own; revisions get an author and what changed
        _member(_SQLITE_ID),
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
    2: (_layer(_SQLITE_ID),),  # assessors' own layers, for independent assessment and consensus
    3: (*_rounds(_SQLITE_ID), *_IMMUTABLE_ROUNDS, lambda db: _rounds_from_layers(db), "DROP TABLE layer"),
}

# PostgreSQL: the same tables; UPDATE, DELETE and TRUNCATE of revisions and assessments refused by triggers
_PG_ID = "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
_PG_IMMUTABLE_FUNCTION = """CREATE OR REPLACE FUNCTION qkit_revision_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_OP = 'UPDATE' THEN
               RAISE EXCEPTION '%s are never changed; save a new one', TG_TABLE_NAME;
           END IF;
           RAISE EXCEPTION '%s are never deleted', TG_TABLE_NAME;
       END $$"""


def _pg_immutable(table: str) -> tuple[str, ...]:
    return (f"""CREATE TRIGGER {table}_never_changed BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION qkit_revision_immutable()""",
            f"""CREATE TRIGGER {table}_never_truncated BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION qkit_revision_immutable()""")


PG_SCHEMA = (*_tables(_PG_ID), _PG_IMMUTABLE_FUNCTION, *_pg_immutable("revision"), *_pg_immutable("assessment"))
# PostgreSQL stores start at version 2; a later schema change adds its step here as in MIGRATIONS
PG_MIGRATIONS: dict[int, tuple[Any, ...]] = {
    2: (_layer(_PG_ID),),
    3: (*_rounds(_PG_ID), _PG_IMMUTABLE_FUNCTION, *_pg_immutable("assessment"), lambda db: _rounds_from_layers(db),
        "DROP TABLE layer"),
}
PG_LOCK_TIMEOUT = "30s"  # how long a writer waits for another one's lock before giving up
PG_SCHEMA_LOCK = 0x716B6974  # the advisory lock held while a schema is created or upgraded ("qkit")


def is_database_url(location: Any) -> bool:
    """Whether ``--data``/``$QKIT_DATA`` names a PostgreSQL database rather than a folder."""
    return isinstance(location, str) and location.startswith(DATABASE_URLS)


def data_dir(arg: str | Path | None = None) -> Path | str:
    """Where the data lives: ``--data``, else ``$QKIT_DATA``, else ``./qkit-data``.

    A folder comes back as an absolute Path; a ``postgresql://`` URL as the
    string itself. Another kind of URL is refused, naming what is allowed.
    """
    chosen = arg or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    text = str(chosen)
    if is_database_url(text):
        return text
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", text):  # mysql://…, sqlite://…, or a URL a Path has mangled
        raise QkitError(Problem("--data", "data_url", redact(text),
                                {"allowed": "postgresql://USER@HOST/DATABASE"}))
    return Path(chosen).expanduser().resolve()


def redact(location: str | Path) -> str:
    """A store's location fit to print: a database URL without its password."""
    text = str(location)
    if not is_database_url(text):
        return text
    scheme, rest = text.split("://", 1)
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return f"{scheme}://{netloc}" + re.sub(r"([?&]password=)[^&]*", r"\1***", tail)


def _secrets_of(url: str) -> list[str]:
    """The password of a database URL, as written and decoded, to scrub from error messages."""
    rest = url.split("://", 1)[-1]
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    userinfo = rest[:end].rsplit("@", 1)[0] if "@" in rest[:end] else ""
    found = [userinfo.split(":", 1)[1] if ":" in userinfo else ""] + re.findall(r"[?&]password=([^&]*)", rest[end:])
    return sorted({s for raw in found if raw for s in (raw, unquote(raw))}, key=len, reverse=True)


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


def _cycle_label(note: str) -> str | None:
    """The label of the cycle a revision's note says begins there (in either language); None for other notes."""
    for wording in (tr("cycle_note", lang) for lang in ("zh", "en")):  # the note's wording, unfilled
        pattern = re.escape(wording).replace(re.escape("{label}"), "(.*)").replace(re.escape("{n}"), r"\d+")
        found = re.fullmatch(pattern, note or "")
        if found:
            return found.group(1)
    return None


def _rounds_from_layers(db: Any) -> None:
    """Schema 3 → 4: each applicant's cycles, read from its history (a new cycle's revision says so in its note),
    and each assessor's layer as the independent round of the cycle it was saved in, its judgement only."""
    for (applicant_id,) in db.execute("SELECT id FROM applicant ORDER BY id").fetchall():
        cycles: list[tuple[int, str]] = []  # (first revision, its time)
        for number, created, note in db.execute("SELECT number, created_at, note FROM revision WHERE applicant_id = ?"
                                                " ORDER BY number", (applicant_id,)).fetchall():
            label = _cycle_label(note)
            if not cycles or label is not None:
                Store._insert_cycle(db, applicant_id, len(cycles) + 1, label or "", number, created)
                cycles.append((number, created))
        seen: dict[tuple[int, int], int] = {}
        for member_id, created, document, submitted in db.execute(
                "SELECT member_id, created_at, document, submitted FROM layer WHERE applicant_id = ? ORDER BY id",
                (applicant_id,)).fetchall():
            when = dt.datetime.fromisoformat(created)
            cycle = max((i + 1 for i, (_, start) in enumerate(cycles) if dt.datetime.fromisoformat(start) <= when),
                        default=1)
            seen[(member_id, cycle)] = number = seen.get((member_id, cycle), 0) + 1
            judged = rounds.judgement(parse_yaml(document, f"layer {number}"), "independent")
            db.execute("INSERT INTO assessment (applicant_id, cycle, round, assessor_id, number, created_at, document,"
                       " submitted, author_id, note) VALUES (?, ?, 'independent', ?, ?, ?, ?, ?, ?, '')",
                       (applicant_id, cycle, member_id, number, created, _dump(judged), submitted, member_id))


# --- the two backends ------------------------------------------------------------------


class _SQLite:
    """One SQLite file in a data folder: a connection per call, writers serialized by BEGIN IMMEDIATE."""

    name = "sqlite"
    schema = SCHEMA
    migrations = MIGRATIONS

    def __init__(self, folder: Path):
        self.dir = Path(folder)
        self.path = self.dir / DB_NAME
        self.location = str(self.dir)
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

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
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
    def write(self, db: sqlite3.Connection, applicant_id: int | None = None) -> Iterator[None]:
        """One IMMEDIATE transaction: the write lock (on the whole file) is taken before anything is read."""
        if self.read_only:
            raise QkitError(Problem(str(self.dir), "store_read_only"))
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def snapshot(self, db: sqlite3.Connection) -> Iterator[None]:
        """Reads that all see the same moment (a read transaction)."""
        db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("COMMIT")

    @staticmethod
    def version(db: sqlite3.Connection) -> int:
        return db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def upgrading(self, db: sqlite3.Connection) -> Iterator[None]:
        if self.version(db) == 0:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=OFF")  # tables are rebuilt; the references hold again afterwards
        with self.write(db):
            yield
        db.execute("PRAGMA foreign_keys=ON")

    def set_version(self, db: sqlite3.Connection, version: int) -> None:
        db.execute(f"PRAGMA user_version={int(version)}")
        if db.execute("PRAGMA foreign_key_check").fetchall():
            raise QkitError(Problem(str(self.path), "store_unreadable",
                                    params={"detail": "foreign keys broken by the upgrade"}))

    def lock_tables(self, db: sqlite3.Connection) -> None:
        """Nothing to do: the IMMEDIATE transaction already keeps every other writer out."""

    def after_copy(self, db: sqlite3.Connection) -> None:
        """Nothing to do: INTEGER PRIMARY KEY continues after the largest id."""


class _PgConnection:
    """A psycopg connection that speaks the store's SQL: ``?`` placeholders become ``%s``."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: tuple | list = ()):
        return self.conn.execute(sql.replace("?", "%s"), params) if params else self.conn.execute(sql)

    def executemany(self, sql: str, rows: list) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)


class _Postgres:
    """A PostgreSQL database: one connection per Store, kept open and shared by its threads in turn.

    Writes to an applicant lock its row (``SELECT … FOR UPDATE``) before
    anything is read, so the servers sharing the database take turns on it.
    """

    name = "postgresql"
    schema = PG_SCHEMA
    migrations = PG_MIGRATIONS
    read_only = False
    dir = path = None
    IDLE_CHECK = 30.0  # seconds without use after which a kept connection is checked before use

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError as exc:  # a broken install: the dependency is declared
            raise QkitError(Problem("--data", "store_unreachable", redact(url), {"detail": str(exc)})) from None
        self.psycopg = psycopg
        self.url = url
        self.location = url
        self.shown = redact(url)
        self._conn = None
        self._pid = None
        self._used = 0.0
        self._lock = threading.RLock()

    def _error(self, exc: Exception, code: str = "store_unreadable") -> QkitError:
        detail = str(exc).strip()
        for secret in _secrets_of(self.url):
            detail = detail.replace(secret, "***")
        return QkitError(Problem(self.shown, code, params={"detail": detail}))

    def _connection(self):
        """The kept connection, or a new one (after a fork, a lost server or a long pause)."""
        psycopg = self.psycopg
        conn = self._conn
        if conn is not None and (conn.closed or conn.broken or self._pid != os.getpid()):
            conn = None
        if conn is not None and time.monotonic() - self._used > self.IDLE_CHECK:
            try:
                conn.execute("SELECT 1")
            except psycopg.Error:
                conn = None
        if conn is None:
            try:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, application_name="qkit")
                conn.execute(f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'")
            except psycopg.Error as exc:
                raise self._error(exc, "store_unreachable") from None
            self._conn, self._pid = conn, os.getpid()
        return conn

    @contextmanager
    def connect(self) -> Iterator[_PgConnection]:
        psycopg = self.psycopg
        with self._lock:
            conn = self._connection()
            try:
                yield _PgConnection(conn)
            except psycopg.OperationalError as exc:
                if conn.broken or conn.closed:
                    self._conn = None
                    raise self._error(exc, "store_unreachable") from None
                raise self._error(exc) from None
            except psycopg.Error as exc:
                raise self._error(exc) from None
            finally:
                self._used = time.monotonic()

    @contextmanager
    def write(self, db: _PgConnection, applicant_id: int | None = None) -> Iterator[None]:
        """One transaction; with ``applicant_id``, that applicant's row is locked before anything is read."""
        with db.conn.transaction():
            if applicant_id is not None:
                db.execute("SELECT id FROM applicant WHERE id = ? FOR UPDATE", (applicant_id,))
            yield

    @contextmanager
    def snapshot(self, db: _PgConnection) -> Iterator[None]:
        with db.conn.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    @staticmethod
    def version(db: _PgConnection) -> int:
        if db.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        row = db.execute("SELECT version FROM schema_version").fetchone()
        return row[0] if row else 0

    @contextmanager
    def upgrading(self, db: _PgConnection) -> Iterator[None]:
        with self.write(db):
            db.execute("SELECT pg_advisory_xact_lock(?)", (PG_SCHEMA_LOCK,))  # one process creates or upgrades
            yield

    @staticmethod
    def set_version(db: _PgConnection, version: int) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @staticmethod
    def lock_tables(db: _PgConnection) -> None:
        """Keep every other writer out of the whole store until the transaction ends (a copy into it)."""
        db.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")

    @staticmethod
    def after_copy(db: _PgConnection) -> None:
        """Rows copied with their ids: the identity columns continue after the largest one."""
        for table in TABLES:
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                       f" HAVING max(id) IS NOT NULL")


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
    key_digest: str = ""  # the digest of the member's key when this was read: a new key ends older pages

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


class Store:
    """The applicants and revisions in a data folder (SQLite) or a ``postgresql://`` database, created on first use.

    SQLite: each method opens its own short connection, so many processes can
    use one file. PostgreSQL: the Store keeps one connection, used by its
    threads in turn. Either way a Store can be shared by threads (e.g. an
    autosave timer).
    """

    def __init__(self, data_dir: str | Path, index: RubricIndex | None = None):
        self.index = index or RubricIndex.scan()
        self.backend = _Postgres(data_dir) if is_database_url(data_dir) else _SQLite(Path(data_dir))
        self.location: str = self.backend.location  # what --data/$QKIT_DATA names: a folder or a database URL
        self.dir: Path | None = self.backend.dir  # the data folder (SQLite only)
        self.path: Path | None = self.backend.path  # the database file (SQLite only)
        self.read_only = self.backend.read_only
        with self._connect() as db:
            version = self.backend.version(db)
            if version > SCHEMA_VERSION:
                raise QkitError(Problem(self.shown, "store_newer", version, {"supported": SCHEMA_VERSION}))
            if version < SCHEMA_VERSION:
                self._upgrade(db)

    @property
    def shown(self) -> str:
        """Where the store is, fit to print (a database URL without its password)."""
        return str(self.path) if self.path else redact(self.location)

    def _upgrade(self, db) -> None:
        """Create the schema, or bring an older one up to date, step by step, in one transaction."""
        backend = self.backend
        with backend.upgrading(db):
            version = backend.version(db)  # another process may have done it meanwhile
            if version > SCHEMA_VERSION:
                raise QkitError(Problem(self.shown, "store_newer", version, {"supported": SCHEMA_VERSION}))
            if version == SCHEMA_VERSION:
                return
            if version and any(v not in backend.migrations for v in range(version, SCHEMA_VERSION)):
                raise QkitError(Problem(self.shown, "store_unreadable",
                                        params={"detail": f"no upgrade from schema version {version}"}))
            steps = [backend.schema] if version == 0 else [backend.migrations[v] for v in range(version, SCHEMA_VERSION)]
            for statement in (s for step in steps for s in step):
                statement(db) if callable(statement) else db.execute(statement)
            backend.set_version(db, SCHEMA_VERSION)

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        with self.backend.connect() as db:
            yield db

    def _write(self, db, applicant_id: int | None = None):
        """A write transaction; with ``applicant_id``, other writers to that applicant wait until it ends."""
        return self.backend.write(db, applicant_id)

    def schema_version(self) -> int:
        with self._connect() as db:
            return self.backend.version(db)

    def counts(self) -> dict[str, int]:
        """How many rows each table holds: applicant, member, revision."""
        with self._connect() as db:
            return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}

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
            applicant_id = db.execute("INSERT INTO applicant (name, rubric, created_at) VALUES (?, ?, ?) RETURNING id",
                                      (name, rubric.id, created)).fetchone()[0]
            member, token = self._add_member(db, applicant_id, lead, "lead", (), created)
            self._insert(db, applicant_id, 1, None, _dump(data), "", created, author=member)
            self._insert_cycle(db, applicant_id, 1, "", 1, created)
        return self.applicant(applicant_id), token

    @staticmethod
    def _insert_cycle(db: Any, applicant_id: int, number: int, label: str, first_revision: int,
                      created: str) -> None:
        db.execute("INSERT INTO cycle (applicant_id, number, label, first_revision, created_at) VALUES (?, ?, ?, ?, ?)",
                   (applicant_id, number, label, first_revision, created))

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
            return self._add_member(db, applicant_id, name, role, tuple(items), _now())

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
            db.execute("UPDATE member SET revoked_at = ? WHERE id = ?", (_now(), member.id))
        return next(m for m in self.members(applicant_id) if m.id == member.id)

    def assign(self, applicant_id: int, ref: int | str, items: tuple[str, ...] | list[str]) -> Member:
        """Give a writer other items (none: the whole application); their open page follows at its next save."""
        member = self.member(applicant_id, ref)
        if member.role != "writer":
            raise QkitError(Problem("--items", "assign_writers_only", member.name,
                                    {"name": member.name, "role": member.role}))
        self._check_items(applicant_id, items)
        with self._connect() as db, self._write(db, applicant_id):
            db.execute("UPDATE member SET items = ? WHERE id = ?", (",".join(items), member.id))
        return next(m for m in self.members(applicant_id) if m.id == member.id)

    def _check_items(self, applicant_id: int, items: tuple[str, ...] | list[str]) -> None:
        allowed = item_ids(self.index.load(self.applicant(applicant_id).rubric))
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

    # --- revisions --------------------------------------------------------------

    @staticmethod
    def _revision(applicant_id: int, row: tuple) -> Revision:
        number, parent, created, document, note, author, changed = row
        return Revision(applicant_id, number, parent, dt.datetime.fromisoformat(created),
                        parse_yaml(document, f"revision {number}"), note, document, author,
                        tuple(json.loads(changed or "[]")))

    _REVISION = ("SELECT r.number, r.parent_number, r.created_at, r.document, r.note, m.name, r.changed"
                 " FROM revision r LEFT JOIN member m ON m.id = r.author_id WHERE r.applicant_id = ?")

    def _latest_number(self, db: Any, applicant_id: int) -> int:
        latest = db.execute("SELECT MAX(number) FROM revision WHERE applicant_id = ?", (applicant_id,)).fetchone()[0]
        if latest is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return latest

    def _insert(self, db: Any, applicant_id: int, number: int, parent: int | None,
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
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None:
                author = self._member_now(db, author)
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
            if author is not None:
                self._allowed(db, applicant_id, author, current.data, data)
            return self._insert(db, applicant_id, latest + 1, latest, document, note, author=author,
                                changed=changes(current.data, data))  # a merged save continues the latest

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
        from ..cycle import next_cycle

        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "cycle_leads_only"))
            number = self._latest_number(db, applicant_id)
            latest = self._revision(applicant_id, db.execute(self._REVISION + " AND r.number = ?",
                                                             (applicant_id, number)).fetchone())
            data = next_cycle(latest.data, label)
            revision = self._insert(db, applicant_id, number + 1, number, _dump(data),
                                    tr("cycle_note", lang, label=label, n=number), author=author,
                                    changed=changes(latest.data, data))
            self._insert_cycle(db, applicant_id, self._current_cycle(db, applicant_id) + 1, label, revision.number,
                               _now())
        return revision

    def restore(self, applicant_id: int, number: int, base: int, lang: str = "zh",
                author: Member | None = None) -> Revision:
        """Bring back revision ``number`` as a new revision (nothing is overwritten); ``base`` as in save."""
        old = self.revision(applicant_id, number)
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "restore_leads_only"))
            latest = self._latest_number(db, applicant_id)
            if base != latest:
                raise StaleRevision(latest)
            current = db.execute(self._REVISION + " AND r.number = ?", (applicant_id, latest)).fetchone()
            changed = changes(parse_yaml(current[3], f"revision {latest}"), old.data)
            return self._insert(db, applicant_id, latest + 1, base, old.document, tr("restored_note", lang, n=number),
                                author=author, changed=changed)

    # --- cycles and assessment rounds ---------------------------------------------

    _CYCLES = "SELECT number, label, first_revision, created_at FROM cycle WHERE applicant_id = ?"

    def cycles(self, applicant_id: int) -> list[Cycle]:
        """The applicant's cycles, oldest first; the last is the current one."""
        with self._connect() as db:
            rows = db.execute(self._CYCLES + " ORDER BY number", (applicant_id,)).fetchall()
        if not rows:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return [Cycle(applicant_id, r[0], r[1], r[2], dt.datetime.fromisoformat(r[3])) for r in rows]

    def cycle(self, applicant_id: int, number: int | None = None) -> Cycle:
        """A cycle by number; the current one by default."""
        found = self.cycles(applicant_id)
        if number is None:
            return found[-1]
        chosen = next((c for c in found if c.number == number), None)
        if chosen is None:
            raise QkitError(Problem("--cycle", "unknown_cycle", number,
                                    {"allowed": [f"{c.number} {c.label}".strip() for c in found]}))
        return chosen

    def _current_cycle(self, db: Any, applicant_id: int) -> int:
        return db.execute("SELECT MAX(number) FROM cycle WHERE applicant_id = ?", (applicant_id,)).fetchone()[0]

    _ROUND = ("SELECT a.number, a.created_at, a.document, a.submitted, m.name, a.note, a.cycle FROM assessment a"
              " LEFT JOIN member m ON m.id = a.author_id WHERE a.applicant_id = ? AND a.cycle = ? AND a.round = ?")

    def _round(self, db: Any, applicant_id: int, cycle: int, round_name: str, assessor: Member | None
               ) -> RoundRecord | None:
        who = ("a.assessor_id = ?", (assessor.id,)) if assessor is not None else ("a.assessor_id IS NULL", ())
        row = db.execute(f"{self._ROUND} AND {who[0]} ORDER BY a.number DESC LIMIT 1",
                         (applicant_id, cycle, round_name, *who[1])).fetchone()
        if row is None:
            return None
        return RoundRecord(applicant_id, cycle, round_name, assessor, row[0], dt.datetime.fromisoformat(row[1]),
                           parse_yaml(row[2], f"{round_name} {row[0]}"), bool(row[3]), row[4], row[5])

    def _record(self, applicant_id: int, round_name: str, assessor: Member | None, cycle: int | None
                ) -> RoundRecord:
        with self._connect() as db:
            cycle = cycle or self._current_cycle(db, applicant_id)
            found = self._round(db, applicant_id, cycle, round_name, assessor)
            began = db.execute("SELECT created_at FROM cycle WHERE applicant_id = ? AND number = ?",
                               (applicant_id, cycle)).fetchone()
        if found is not None:
            return found
        if began is None:
            raise QkitError(Problem("--cycle", "unknown_cycle", cycle, {"allowed": "1"}))
        names = [assessor.name] if assessor is not None else []  # nothing saved yet: as the cycle began
        return RoundRecord(applicant_id, cycle, round_name, assessor, 0, dt.datetime.fromisoformat(began[0]),
                           rounds.empty(round_name, names))

    def _insert_round(self, db: Any, record: RoundRecord, author: Member | None) -> RoundRecord:
        assessor_id = record.assessor.id if record.assessor is not None else None
        created = _now()
        db.execute("INSERT INTO assessment (applicant_id, cycle, round, assessor_id, number, created_at, document,"
                   " submitted, author_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (record.applicant_id, record.cycle, record.round, assessor_id, record.number, created,
                    _dump(record.data), int(record.submitted), author and author.id, record.note))
        return dataclasses.replace(record, created_at=dt.datetime.fromisoformat(created),
                                   data=copy.deepcopy(record.data), author=author and author.name)

    def layer(self, applicant_id: int, member: Member, cycle: int | None = None) -> RoundRecord:
        """An assessor's own judgement of the applicant in a cycle (the current one by default).

        A layer not saved yet (number 0) judges nothing: each assessor starts
        empty in each cycle, beside the application they read.
        """
        return self._record(applicant_id, "independent", member, cycle)

    def save_layer(self, applicant_id: int, member: Member, data: dict[str, Any], submit: bool = False
                   ) -> RoundRecord:
        """Save an assessor's judgement in the current cycle; ``submit`` hands it to the lead, after which it no
        longer changes (unless the lead reopens it)."""
        with self._connect() as db, self._write(db, applicant_id):
            member = self._member_now(db, member)
            if member.role != "assessor":
                raise NotAllowed(Problem("", "not_your_document", params={"role": member.role}))
            cycle = self._current_cycle(db, applicant_id)
            latest = self._round(db, applicant_id, cycle, "independent", member)
            if latest is not None and latest.submitted:
                raise QkitError(Problem("", "layer_submitted"))
            record = RoundRecord(applicant_id, cycle, "independent", member, (latest.number if latest else 0) + 1,
                                 dt.datetime.now(), rounds.judgement(data, "independent"), submit)
            return self._insert_round(db, record, member)

    def reopen_layer(self, applicant_id: int, assessor: int | str, reason: str, author: Member | None = None
                     ) -> RoundRecord:
        """The lead hands an assessor's layer back to them, for the reason given (kept with the layer)."""
        reason = (reason or "").strip()
        if not reason:
            raise QkitError(Problem("reason", "reopen_reason"))
        member = self.member(applicant_id, assessor)
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "reopen_leads_only"))
            latest = self._round(db, applicant_id, self._current_cycle(db, applicant_id), "independent", member)
            if latest is None or not latest.submitted:
                raise QkitError(Problem("", "layer_not_submitted", member.name, {"name": member.name}))
            record = dataclasses.replace(latest, number=latest.number + 1, submitted=False, note=reason)
            return self._insert_round(db, record, author)

    def layers(self, applicant_id: int, cycle: int | None = None) -> list[RoundRecord]:
        """Every assessor's layer in a cycle (number 0 for one not saved yet), in the order they were added."""
        return [self.layer(applicant_id, m, cycle) for m in self.members(applicant_id) if m.role == "assessor"]

    def submitted_layers(self, applicant_id: int, cycle: int | None = None) -> list[RoundRecord]:
        """The layers assessors have handed in: what the lead brings together."""
        return [layer for layer in self.layers(applicant_id, cycle) if layer.submitted]

    def consensus(self, applicant_id: int, cycle: int | None = None) -> RoundRecord:
        """The consensus of a cycle (the current one by default) as last saved; number 0 before it began."""
        return self._record(applicant_id, "consensus", None, cycle)

    def save_consensus(self, applicant_id: int, data: dict[str, Any], base: int, author: Member | None = None,
                       ) -> RoundRecord:
        """Save the consensus of the current cycle, edited from its save ``base`` (0: none), by the lead.

        A save from an older base is merged with what was saved meanwhile, as
        the application's saves are; the same field changed both ways raises
        MergeConflict. It never touches the application.
        """
        with self._connect() as db, self._write(db, applicant_id):
            if author is not None and self._member_now(db, author).role != "lead":
                raise NotAllowed(Problem("", "consensus_leads_only"))
            cycle = self._current_cycle(db, applicant_id)
            latest = self._round(db, applicant_id, cycle, "consensus", None)
            data = rounds.judgement(data, "consensus")
            number = latest.number if latest else 0
            if base != number:
                old = self._round_at(db, applicant_id, cycle, base)
                merged = merge(old, latest.data, data)
                if merged.conflicts:
                    current = Revision(applicant_id, number, None, latest.created_at, latest.data, "", "",
                                       latest.author)
                    raise MergeConflict(current, merged.data, merged.conflicts)
                data = merged.data
            if latest is not None and _dump(latest.data) == _dump(data):
                return latest
            record = RoundRecord(applicant_id, cycle, "consensus", None, number + 1, dt.datetime.now(), data)
            return self._insert_round(db, record, author)

    def _round_at(self, db: Any, applicant_id: int, cycle: int, number: int) -> dict[str, Any]:
        row = db.execute("SELECT document FROM assessment WHERE applicant_id = ? AND cycle = ? AND round = ?"
                         " AND assessor_id IS NULL AND number = ?", (applicant_id, cycle, "consensus", number)
                         ).fetchone()
        return parse_yaml(row[0], f"consensus {number}") if row else rounds.empty("consensus", [])

    def application_of(self, applicant_id: int, cycle: int | None = None) -> Revision:
        """The application as it stands at the end of a cycle: its latest revision before the next cycle began."""
        cycles = self.cycles(applicant_id)
        chosen = self.cycle(applicant_id, cycle)
        later = [c.first_revision for c in cycles if c.number > chosen.number]
        if not later:
            return self.latest(applicant_id)
        return self.revision(applicant_id, min(later) - 1)

    def round_document(self, applicant_id: int, record: RoundRecord) -> dict[str, Any]:
        """A round's document: its cycle's application as written, with the round's judgement over it
        (a consensus keeps each clause's self-assessed score beside it)."""
        application = self.application_of(applicant_id, record.cycle).data
        return rounds.overlay(application, record.data, self_scores=record.round == "consensus")

    # --- export -----------------------------------------------------------------

    def export(self, folder: str | Path, round_name: str | None = None, cycle: int | None = None) -> list[Path]:
        """Write every applicant's documents as YAML, the input of qkit validate/score/consensus/batch.

        Without ``round_name``: each application as it stands now
        (``<id>-<name>.yaml``). ``independent``: one document per layer handed
        in, naming its assessor (``<id>-<name>-独立评审-<assessor>.yaml``), as
        ``qkit consensus`` and ``qkit batch`` take them. ``consensus``: the
        consensus (``<id>-<name>-共识.yaml``). A round's document is its
        cycle's application with the round's judgement over it; ``cycle``
        picks an earlier cycle by number. Documents that do not pass the
        checks yet are written too: the caller reports their problems.
        """
        folder = writable_folder(folder)
        if round_name is None:
            return [write_atomic(folder / export_name(a), self.latest(a.id).document) for a in self.applicants()]
        if round_name not in ("independent", "consensus"):
            raise QkitError(Problem("--round", "unknown_round", round_name, {"allowed": ["independent", "consensus"]}))
        written = []
        for applicant in self.applicants():
            number = self.cycle(applicant.id, cycle).number if cycle is not None else None
            records = (self.submitted_layers(applicant.id, number) if round_name == "independent"
                       else [r for r in [self.consensus(applicant.id, number)] if r.number])
            for record in records:
                name = export_name(applicant, rounds.STAGES[round_name], record.assessor and record.assessor.name)
                written.append(write_atomic(folder / name, _dump(self.round_document(applicant.id, record))))
        return written

    # --- copies and backups -------------------------------------------------------

    def copy_to(self, target: "Store") -> dict[str, tuple[int, int]]:
        """Copy every applicant, member and revision into an empty store, as they are.

        Ids, revision numbers, authors, times, notes and what changed are kept,
        so links and history read the same in the target. Returns each table's
        row count here and in the target after the copy. A target that already
        holds anything is refused; the copy is one transaction in the target,
        undone unless the counts agree.
        """
        if target.location == self.location:
            raise QkitError(Problem("--to", "copy_onto_itself", target.shown))
        with self._connect() as src, self.backend.snapshot(src), target._connect() as dst, target._write(dst):
            target.backend.lock_tables(dst)
            there = {t: dst.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
            if any(there.values()):
                raise QkitError(Problem("--to", "store_not_empty", target.shown, {"counts": _counts_text(there)}))
            for table, columns in TABLES.items():
                rows = src.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                while batch := rows.fetchmany(500):
                    dst.executemany(insert, [tuple(row) for row in batch])
            target.backend.after_copy(dst)
            counts = {t: (src.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0],
                          dst.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
            if any(here != copied for here, copied in counts.values()):
                raise QkitError(Problem("--to", "copy_mismatch", params={"detail": _counts_text(counts)}))
        return counts

    def backup(self, to: str | Path) -> Path:
        """A consistent copy of the SQLite database in one file, made while the store is in use.

        SQLite's online backup copies the database page by page under a read
        lock, so saves made meanwhile are either wholly in the copy or not at
        all. The file is written beside its destination and renamed when
        whole. To restore it, put it in an empty data folder as
        ``qkit.sqlite3``. A PostgreSQL store is backed up with ``pg_dump``.
        """
        if self.path is None:
            raise QkitError(Problem("--data", "backup_postgres", self.shown))
        target = Path(to).expanduser().resolve()
        if target.is_dir():
            raise QkitError(Problem("--to", "backup_is_folder", str(target)))
        if target.parent == self.dir.resolve() and target.name.startswith(DB_NAME):  # the live database, its log
            raise QkitError(Problem("--to", "backup_in_store", str(target)))
        writable_folder(target.parent)
        with replacing(target, target.suffix) as temporary, self._connect() as db:
            copy = sqlite3.connect(temporary)
            try:
                db.backup(copy)
            finally:
                copy.close()
        return target


def _counts_text(counts: dict[str, Any]) -> str:
    """Counts per table for a message: ``applicant 3, member 5, revision 40`` (or ``3 → 3`` for a copy)."""
    return ", ".join(f"{t} {' → '.join(map(str, n)) if isinstance(n, tuple) else n}" for t, n in counts.items())


def item_ids(rubric) -> list[str]:
    """What a writer can be assigned: the profile (5.1, when the standard has one) and every item."""
    return ([rubric.profile.id] if rubric.profile is not None else []) + [item.id for item in rubric.items]


def export_name(applicant: Applicant, *parts: str | None) -> str:
    """A file name that sorts by id and still tells whose document it is (and which round, whose layer)."""
    names = [re.sub(r"[^\w-]+", "-", str(p)).strip("-")[:40] for p in (applicant.name, *parts) if p]
    return f"{applicant.id:03d}-{'-'.join(n for n in names if n) or 'applicant'}.yaml"


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
