"""The store's tables on both backends, how each older schema is brought up to date, and how rows are written."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from ... import rounds
from ...reading import parse_yaml
from ...errors import Problem, QkitError
from ...i18n import tr

DEFAULT_DATA_DIR = Path("qkit-data")
DATA_ENV = "QKIT_DATA"
DB_NAME = "qkit.sqlite3"
DATABASE_URLS = ("postgresql://", "postgres://")  # --data given as one of these is a PostgreSQL database
LINK_PARAM = "key"  # not "token": the Jupyter server reserves that one for its own login
SCHEMA_VERSION = 7
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one before giving up
CHANNEL = "qkit"  # PostgreSQL: where every write to an applicant is announced (its id), for open pages to hear
ROLES = ("lead", "writer", "assessor")
LEAD_NAME = "负责人"  # the first member of an applicant when no name is given
TABLES = {  # every table and column, in the order a copy must fill them (references first)
    "applicant": ("id", "name", "rubric", "created_at"),
    "member": ("id", "applicant_id", "name", "role", "items", "token_hash", "created_at", "revoked_at"),
    "revision": ("id", "applicant_id", "number", "parent_number", "created_at", "document", "note", "author_id",
                 "changed", "delta"),
    "cycle": ("id", "applicant_id", "number", "label", "first_revision", "created_at"),
    "assessment": ("id", "applicant_id", "cycle", "round", "assessor_id", "number", "created_at", "document",
                   "submitted", "author_id", "note"),
    "deadline": ("id", "applicant_id", "cycle", "target", "due", "set_by", "set_at"),
    "opened": ("id", "applicant_id", "member_id", "cycle", "opened_at"),
    "file": ("id", "sha256", "size", "content", "created_at"),
    "attachment": ("id", "applicant_id", "file_id", "clause", "name", "member_id", "created_at"),
}
DUE_TARGETS = ("application", "assessors")  # beside items and clauses: the whole application, the assessors' hand-in


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
            delta          TEXT,
            UNIQUE (applicant_id, number)
        )""",
        *_rounds(identity),
        *_progress(identity),
        *_files(identity),
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


def _progress(identity: str) -> tuple[str, ...]:
    """What the lead follows the team by (schema 5): due dates, and when each member first opened their page."""
    return (
        # settings, changed as plans change: one due date per target and cycle (an item or clause id, 5.1,
        # 'application' or 'assessors'), replaced when set again and removed when cleared
        f"""CREATE TABLE deadline (
            id            {identity},
            applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
            cycle         INTEGER NOT NULL,
            target        TEXT NOT NULL,
            due           TEXT NOT NULL,
            set_by        INTEGER REFERENCES member(id),
            set_at        TEXT NOT NULL,
            UNIQUE (applicant_id, cycle, target)
        )""",
        # a fact kept as it happened: a member's first opening of their page in a cycle, never changed
        f"""CREATE TABLE opened (
            id            {identity},
            applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
            member_id     INTEGER NOT NULL REFERENCES member(id),
            cycle         INTEGER NOT NULL,
            opened_at     TEXT NOT NULL,
            UNIQUE (member_id, cycle)
        )""",
    )


def _files(identity: str) -> tuple[str, ...]:
    """Evidence files (schema 7): each content once, found by its SHA-256, however many revisions, clauses or
    applicants name it; and each upload, who attached which file to which clause and when. Neither is ever changed
    or deleted: a file removed from the application is still kept, and its older revisions still find it."""
    binary = "BLOB" if identity == _SQLITE_ID else "BYTEA"  # the dialect's bytes
    return (
        f"""CREATE TABLE file (
            id          {identity},
            sha256      TEXT NOT NULL UNIQUE,
            size        INTEGER NOT NULL,
            content     {binary} NOT NULL,
            created_at  TEXT NOT NULL
        )""",
        f"""CREATE TABLE attachment (
            id            {identity},
            applicant_id  INTEGER NOT NULL REFERENCES applicant(id),
            file_id       INTEGER NOT NULL REFERENCES file(id),
            clause        TEXT NOT NULL,
            name          TEXT NOT NULL,
            member_id     INTEGER REFERENCES member(id),
            created_at    TEXT NOT NULL
        )""",
        "CREATE INDEX attachment_of ON attachment (applicant_id, file_id)",
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
_IMMUTABLE_OPENED = (
    """CREATE TRIGGER opened_never_updated BEFORE UPDATE ON opened
       BEGIN SELECT RAISE(ABORT, 'openings are never changed'); END""",
    """CREATE TRIGGER opened_never_deleted BEFORE DELETE ON opened
       BEGIN SELECT RAISE(ABORT, 'openings are never deleted'); END""",
)
_IMMUTABLE_FILES = tuple(
    f"""CREATE TRIGGER {table}_never_{past} BEFORE {verb} ON {table}
       BEGIN SELECT RAISE(ABORT, '{table}s are never {past}'); END"""
    for table in ("file", "attachment") for verb, past in (("UPDATE", "changed"), ("DELETE", "deleted")))
SCHEMA = (*_tables(_SQLITE_ID), *_IMMUTABLE, *_IMMUTABLE_OPENED, *_IMMUTABLE_FILES)
# each step takes the schema from its version to the next; a store is brought up to date when opened
# schema 6: a revision is kept whole (``document``) now and then, and as the changes since the revision before
# (``delta``, with ``document`` empty) in between, so a save's storage grows with the change, not the document
_DELTAS = "ALTER TABLE revision ADD COLUMN delta TEXT"
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
    4: (*_progress(_SQLITE_ID), *_IMMUTABLE_OPENED),  # due dates and first openings; nothing to carry over
    5: (_DELTAS,),  # revisions as changes since the one before; every earlier one stays whole
    6: (*_files(_SQLITE_ID), *_IMMUTABLE_FILES),  # evidence files and their uploads; nothing to carry over
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


PG_SCHEMA = (*_tables(_PG_ID), _PG_IMMUTABLE_FUNCTION, *_pg_immutable("revision"), *_pg_immutable("assessment"),
             *_pg_immutable("opened"), *_pg_immutable("file"), *_pg_immutable("attachment"))
# PostgreSQL stores start at version 2; a later schema change adds its step here as in MIGRATIONS
PG_MIGRATIONS: dict[int, tuple[Any, ...]] = {
    2: (_layer(_PG_ID),),
    3: (*_rounds(_PG_ID), _PG_IMMUTABLE_FUNCTION, *_pg_immutable("assessment"), lambda db: _rounds_from_layers(db),
        "DROP TABLE layer"),
    4: (*_progress(_PG_ID), _PG_IMMUTABLE_FUNCTION, *_pg_immutable("opened")),
    5: (_DELTAS,),
    6: (*_files(_PG_ID), _PG_IMMUTABLE_FUNCTION, *_pg_immutable("file"), *_pg_immutable("attachment")),
}
PG_LOCK_TIMEOUT = "30s"  # how long a writer waits for another one's lock before giving up
PG_SCHEMA_LOCK = 0x716B6974  # the advisory lock held while a schema is created or upgraded ("qkit")


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# libyaml when PyYAML has it (about ten times faster both ways), else PyYAML's own: the same YAML either way
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump(data: Any) -> str:
    """Data as the store keeps it: YAML, so a document as typed (years as numbers, dates, wrong values) comes back
    as it was."""
    try:
        return yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=1000)
    except yaml.YAMLError as exc:
        raise QkitError(Problem("", "not_storable", params={"detail": str(exc)})) from None


def load(text: str) -> Any:
    """What ``dump`` wrote. The store's own text is trusted: the hostile-input checks a document file goes
    through (``reading.parse_yaml``) were made of the data before it was saved, and are not paid again."""
    return yaml.load(text, Loader=_LOADER)


def insert_cycle(db: Any, applicant_id: int, number: int, label: str, first_revision: int, created: str) -> None:
    db.execute("INSERT INTO cycle (applicant_id, number, label, first_revision, created_at) VALUES (?, ?, ?, ?, ?)",
               (applicant_id, number, label, first_revision, created))


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
                insert_cycle(db, applicant_id, len(cycles) + 1, label or "", number, created)
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
                       (applicant_id, cycle, member_id, number, created, dump(judged), submitted, member_id))
