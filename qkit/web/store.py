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
from ..rubric import RubricIndex

DEFAULT_DATA_DIR = Path("qkit-data")
DATA_ENV = "QKIT_DATA"
DB_NAME = "qkit.sqlite3"
LINK_PARAM = "key"  # not "token": the Jupyter server reserves that one for its own login
SCHEMA_VERSION = 1
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one before giving up

SCHEMA = (
    """CREATE TABLE applicant (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        rubric      TEXT NOT NULL,
        token_hash  TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL
    )""",
    """CREATE TABLE revision (
        id             INTEGER PRIMARY KEY,
        applicant_id   INTEGER NOT NULL REFERENCES applicant(id),
        number         INTEGER NOT NULL,
        parent_number  INTEGER,
        created_at     TEXT NOT NULL,
        document       TEXT NOT NULL,
        note           TEXT NOT NULL DEFAULT '',
        UNIQUE (applicant_id, number)
    )""",
    """CREATE TRIGGER revision_never_updated BEFORE UPDATE ON revision
       BEGIN SELECT RAISE(ABORT, 'revisions are never changed; save a new one'); END""",
    """CREATE TRIGGER revision_never_deleted BEFORE DELETE ON revision
       BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END""",
)


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
class Revision:
    """One saved state of an applicant's document; ``parent`` is the revision it was edited from."""

    applicant_id: int
    number: int
    parent: int | None
    created_at: dt.datetime
    data: dict[str, Any]
    note: str
    document: str  # the stored YAML text of data


class StaleRevision(QkitError):
    """A save based on an older revision than the latest: the page must be reloaded."""

    def __init__(self, latest: int):
        self.latest = latest
        super().__init__(Problem("", "stale_revision", params={"latest": latest}))


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
                with self._write(db):
                    if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # not made meanwhile by another process
                        for statement in SCHEMA:
                            db.execute(statement)
                        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

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

    def add_applicant(self, name: str, rubric_id: str) -> tuple[Applicant, str]:
        """A new applicant with a starter document as revision 1; returns the plain token, only this once."""
        name = (name or "").strip()
        if not name:
            raise QkitError(Problem("name", "required"))
        rubric = self.index.load(rubric_id)
        data = yaml.safe_load(template.render(rubric))  # the same shape as `qkit new`
        data["applicant"]["name"] = name
        token = secrets.token_urlsafe(24)
        created = _now()
        with self._connect() as db, self._write(db):
            applicant_id = db.execute(
                "INSERT INTO applicant (name, rubric, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, rubric.id, hash_token(token), created)).lastrowid
            self._insert(db, applicant_id, 1, None, _dump(data), "", created)
        return self.applicant(applicant_id), token

    def renew_token(self, applicant_id: int) -> str:
        """A new access token for a lost or leaked link; the old link stops working. Shown only this once."""
        token = secrets.token_urlsafe(24)
        with self._connect() as db, self._write(db):
            changed = db.execute("UPDATE applicant SET token_hash = ? WHERE id = ?",
                                 (hash_token(token), applicant_id)).rowcount
        if not changed:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
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

    def applicant_for_token(self, token: str | None) -> Applicant | None:
        """The applicant whose access token this is; None for a missing, empty or wrong token."""
        if not token:
            return None
        with self._connect() as db:
            row = db.execute(self._APPLICANTS + " AND a.token_hash = ?", (hash_token(token),)).fetchone()
        return None if row is None else self._applicant(row)

    # --- revisions --------------------------------------------------------------

    @staticmethod
    def _revision(applicant_id: int, row: tuple) -> Revision:
        number, parent, created, document, note = row
        return Revision(applicant_id, number, parent, dt.datetime.fromisoformat(created),
                        parse_yaml(document, f"revision {number}"), note, document)

    _REVISION = "SELECT number, parent_number, created_at, document, note FROM revision WHERE applicant_id = ?"

    def _latest_number(self, db: sqlite3.Connection, applicant_id: int) -> int:
        latest = db.execute("SELECT MAX(number) FROM revision WHERE applicant_id = ?", (applicant_id,)).fetchone()[0]
        if latest is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return latest

    def _insert(self, db: sqlite3.Connection, applicant_id: int, number: int, parent: int | None,
                document: str, note: str, created: str | None = None) -> Revision:
        created = created or _now()
        db.execute("INSERT INTO revision (applicant_id, number, parent_number, created_at, document, note)"
                   " VALUES (?, ?, ?, ?, ?, ?)", (applicant_id, number, parent, created, document, note))
        return self._revision(applicant_id, (number, parent, created, document, note))

    def latest(self, applicant_id: int) -> Revision:
        with self._connect() as db:
            row = db.execute(self._REVISION + " ORDER BY number DESC LIMIT 1", (applicant_id,)).fetchone()
        if row is None:
            raise QkitError(Problem("applicant", "unknown_applicant", applicant_id))
        return self._revision(applicant_id, row)

    def revision(self, applicant_id: int, number: int) -> Revision:
        with self._connect() as db:
            latest = self._latest_number(db, applicant_id)
            row = db.execute(self._REVISION + " AND number = ?", (applicant_id, number)).fetchone()
        if row is None:
            raise QkitError(Problem("revision", "unknown_revision", number, {"latest": latest}))
        return self._revision(applicant_id, row)

    def history(self, applicant_id: int) -> list[Revision]:
        """Every revision, newest first."""
        with self._connect() as db:
            self._latest_number(db, applicant_id)
            rows = db.execute(self._REVISION + " ORDER BY number DESC", (applicant_id,)).fetchall()
        return [self._revision(applicant_id, row) for row in rows]

    def save(self, applicant_id: int, data: dict[str, Any], base: int, note: str = "") -> Revision:
        """Store ``data`` as revision latest+1, edited from revision ``base``.

        Raises ``StaleRevision`` when ``base`` is not the latest revision (the
        applicant was saved meanwhile, e.g. in another tab): nothing is
        overwritten and the caller should reload. Saving data identical to the
        latest revision adds nothing and returns that revision, so an autosave
        without changes leaves no empty revisions.
        """
        document = _dump(data)
        with self._connect() as db, self._write(db):
            latest = self._latest_number(db, applicant_id)
            if base != latest:
                raise StaleRevision(latest)
            row = db.execute(self._REVISION + " AND number = ?", (applicant_id, latest)).fetchone()
            if row[3] == document:
                return self._revision(applicant_id, row)
            return self._insert(db, applicant_id, latest + 1, base, document, note)

    def restore(self, applicant_id: int, number: int, base: int, lang: str = "zh") -> Revision:
        """Bring back revision ``number`` as a new revision (nothing is overwritten); ``base`` as in save."""
        old = self.revision(applicant_id, number)
        with self._connect() as db, self._write(db):
            latest = self._latest_number(db, applicant_id)
            if base != latest:
                raise StaleRevision(latest)
            return self._insert(db, applicant_id, latest + 1, base, old.document, tr("restored_note", lang, n=number))

    # --- export -----------------------------------------------------------------

    def export(self, folder: str | Path) -> list[Path]:
        """Write every applicant's latest document as ``<id>-<name>.yaml``, the input of qkit validate/score/batch.

        Documents that do not pass the checks yet are written too: the caller
        reports their problems.
        """
        folder = writable_folder(folder)
        return [write_atomic(folder / export_name(a), self.latest(a.id).document) for a in self.applicants()]


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
                   ) -> tuple[Applicant, Revision] | None:
    """What a workbook opens: the applicant of the page's key and its latest revision, or None.

    In a workbook: ``open_for_token(None, os.environ.get("QUERY_STRING"))``;
    ``qkit serve`` sets $QKIT_DATA for the kernels, so None finds the store.
    A missing or wrong key gives None and reveals nothing about any applicant.
    """
    token = token_from_query(query_string)
    if token is None:
        return None
    store = Store(data_dir(data_dir_arg))
    applicant = store.applicant_for_token(token)
    if applicant is None:
        return None
    return applicant, store.latest(applicant.id)
