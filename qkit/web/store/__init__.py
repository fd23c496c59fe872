"""The store behind the web workbooks: applicants, their teams' links, the application's revisions, and the
assessment rounds over it.

Two backends behind one ``Store``, chosen by where the data lives
(``backends``):

- a data folder (the default, ``./qkit-data``): one SQLite file,
  ``<data dir>/qkit.sqlite3``, in WAL mode so several workbook kernels and the
  ``qkit`` command can use it at once;
- a ``postgresql://`` URL: a PostgreSQL database (through psycopg 3), which
  several ``qkit serve`` processes on several machines can share.

Every save adds a row and nothing is ever updated or deleted: the database
itself refuses it (triggers on both backends), so the whole history of each
applicant's application, and of each assessment round, stays viewable and
restorable. Documents are stored as the YAML of the raw data the workbook
holds, so even input that does not pass ``qkit validate`` yet is kept. A save
takes a lock before it reads the latest revision (SQLite: an IMMEDIATE
transaction; PostgreSQL: the applicant's row, ``SELECT … FOR UPDATE``) and
merges inside that transaction, so two writers, in one process or on two
servers, never lose a save. Every change is checked against the member who
makes it, as the database holds them at that moment (``qkit.web.access``).

``Store`` is put together from its parts, one module each: ``people``
(applicants, members and their keys), ``revisions`` (the application),
``assessments`` (cycles, assessors' layers, the consensus), ``deadlines``
(due dates, and who has opened their page), ``attachments`` (evidence files,
each content once), ``copies``
(exports, copies into PostgreSQL, backups), on ``base`` (connections, the
schema of ``schema``). ``links`` turns a page's key into what it opens.
"""

from .assessments import Assessments
from .attachments import Attachment, Attachments, StoreFiles
from .backends import data_dir, is_database_url, redact
from .base import StoreBase
from .copies import Copies
from .deadlines import Deadlines
from .links import access_path, open_for_token, token_from_query
from .people import People
from .records import (
    AccessEnded,
    Applicant,
    Cycle,
    Deadline,
    Edit,
    Member,
    MergeConflict,
    NotAllowed,
    Revision,
    RoundRecord,
    StaleRevision,
    export_name,
    hash_token,
    part_ids,
)
from .revisions import Revisions
from .schema import (
    DATA_ENV,
    DB_NAME,
    LEAD_NAME,
    LINK_PARAM,
    ROLES,
    SCHEMA_VERSION,
    TABLES,
)


class Store(People, Revisions, Assessments, Deadlines, Attachments, Copies, StoreBase):
    """The applicants, their teams, revisions, assessment rounds and due dates in a data folder (SQLite) or a
    ``postgresql://`` database, created on first use.

    SQLite: each method opens its own short connection, so many processes can
    use one file. PostgreSQL: the Store keeps one connection, used by its
    threads in turn. Either way a Store can be shared by threads (e.g. an
    autosave timer).
    """


__all__ = [
    "AccessEnded", "Applicant", "Attachment", "Cycle", "DATA_ENV", "DB_NAME", "Deadline", "Edit", "LEAD_NAME", "LINK_PARAM", "Member",
    "MergeConflict", "NotAllowed", "ROLES", "Revision", "RoundRecord", "SCHEMA_VERSION", "StaleRevision", "Store",
    "StoreFiles", "TABLES",
    "access_path", "data_dir", "export_name", "hash_token", "is_database_url", "open_for_token", "part_ids", "redact",
    "token_from_query",
]
