"""The two places a store can live: a SQLite file in a data folder, or a PostgreSQL database.

The backends differ only here: how to connect, placeholders, identity
columns, where the schema version is kept (``PRAGMA user_version`` or a
``schema_version`` table), which lock a write takes, and the triggers.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote

from ...errors import Problem, QkitError
from ...files import file_error
from .schema import (
    BUSY_TIMEOUT,
    CHANNEL,
    DATA_ENV,
    DATABASE_URLS,
    DB_NAME,
    DEFAULT_DATA_DIR,
    MIGRATIONS,
    PG_LOCK_TIMEOUT,
    PG_MIGRATIONS,
    PG_SCHEMA,
    PG_SCHEMA_LOCK,
    SCHEMA,
    TABLES,
)


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


# --- the two backends ------------------------------------------------------------------


class SQLiteBackend:
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

    @staticmethod
    def news(applicant_id: int) -> bool:
        """SQLite tells nobody of a write: anything may have changed, and the caller's few small queries say what."""
        return True

    def after_copy(self, db: sqlite3.Connection) -> None:
        """Nothing to do: INTEGER PRIMARY KEY continues after the largest id."""


class PgConnection:
    """A psycopg connection that speaks the store's SQL: ``?`` placeholders become ``%s``."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: tuple | list = ()):
        return self.conn.execute(sql.replace("?", "%s"), params) if params else self.conn.execute(sql)

    def executemany(self, sql: str, rows: list) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)


class PostgresBackend:
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
    NOTICE_WAIT = 0.02  # seconds ``news`` waits for an announcement on its way (the server sends it as a commit ends)

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
        self._heard: set[str] = set()  # the applicants whose writes were announced since they were last asked about
        self._told: set[int] = set()  # the applicants asked about since this connection began to listen

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
                conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as exc:
                raise self._error(exc, "store_unreachable") from None
            self._conn, self._pid = conn, os.getpid()
            self._told = set()  # what was said before this connection listened is unknown: anything may have changed
        return conn

    @contextmanager
    def connect(self) -> Iterator[PgConnection]:
        psycopg = self.psycopg
        with self._lock:
            conn = self._connection()
            try:
                yield PgConnection(conn)
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
    def write(self, db: PgConnection, applicant_id: int | None = None) -> Iterator[None]:
        """One transaction; with ``applicant_id``, that applicant's row is locked before anything is read."""
        with db.conn.transaction():
            if applicant_id is not None:
                db.execute("SELECT id FROM applicant WHERE id = ? FOR UPDATE", (applicant_id,))
            yield
            if applicant_id is not None:  # said to every listening page when (and only if) the write commits
                db.execute("SELECT pg_notify(?, ?)", (CHANNEL, str(applicant_id)))

    def news(self, applicant_id: int) -> bool:
        """Whether anything of the applicant may have changed since the last call: a write was announced for it
        (``LISTEN``), or this connection is new. Asks the server nothing: it reads what has arrived."""
        with self._lock:
            try:
                conn = self._connection()
                self._heard.update(note.payload for note in conn.notifies(timeout=self.NOTICE_WAIT))
            except self.psycopg.Error:
                self._conn = None
                return True
            key = str(applicant_id)
            news = key in self._heard or applicant_id not in self._told
            self._heard.discard(key)
            self._told.add(applicant_id)
            return news

    @contextmanager
    def snapshot(self, db: PgConnection) -> Iterator[None]:
        with db.conn.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    @staticmethod
    def version(db: PgConnection) -> int:
        if db.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        row = db.execute("SELECT version FROM schema_version").fetchone()
        return row[0] if row else 0

    @contextmanager
    def upgrading(self, db: PgConnection) -> Iterator[None]:
        with self.write(db):
            db.execute("SELECT pg_advisory_xact_lock(?)", (PG_SCHEMA_LOCK,))  # one process creates or upgrades
            yield

    @staticmethod
    def set_version(db: PgConnection, version: int) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @staticmethod
    def lock_tables(db: PgConnection) -> None:
        """Keep every other writer out of the whole store until the transaction ends (a copy into it)."""
        db.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")

    @staticmethod
    def after_copy(db: PgConnection) -> None:
        """Rows copied with their ids: the identity columns continue after the largest one."""
        for table in TABLES:
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                       f" HAVING max(id) IS NOT NULL")
