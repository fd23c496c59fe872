"""The store itself: where it lives, its schema brought up to date, its connections and write transactions."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ...errors import Problem, QkitError
from ...rubric_files import RubricIndex
from .backends import PostgresBackend, SQLiteBackend, is_database_url, redact
from .schema import SCHEMA_VERSION, TABLES


class StoreBase:
    """Where a store lives, its schema, its connections and write transactions: what every part stands on."""

    def __init__(self, data_dir: str | Path, index: RubricIndex | None = None):
        self.index = index or RubricIndex.scan()
        self.backend = PostgresBackend(data_dir) if is_database_url(data_dir) else SQLiteBackend(Path(data_dir))
        self.location: str = self.backend.location  # what --data/$QKIT_DATA names: a folder or a database URL
        self.dir: Path | None = self.backend.dir  # the data folder (SQLite only)
        self.path: Path | None = self.backend.path  # the database file (SQLite only)
        self.read_only = self.backend.read_only
        self._known: dict[int, dict[int, tuple[tuple, Any]]] = {}  # revisions read lately, by applicant and number
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

    def news(self, applicant_id: int) -> bool:
        """Whether anything of the applicant (its revisions, rounds, members, due dates) may have changed since
        this store was last asked: on PostgreSQL every write is announced to listening pages, so an open page asks
        the server nothing while nothing happens; on SQLite, always (a few small queries tell)."""
        return self.backend.news(applicant_id)

    def schema_version(self) -> int:
        with self._connect() as db:
            return self.backend.version(db)

    def counts(self) -> dict[str, int]:
        """How many rows each table holds: applicant, member, revision."""
        with self._connect() as db:
            return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
