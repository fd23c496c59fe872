"""A store's documents exported as files, and whole copies of a store: into PostgreSQL, or a backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ... import rounds
from ...errors import Problem, QkitError
from ...files import replacing, writable_folder, write_atomic
from .records import export_name
from .schema import DB_NAME, TABLES, dump

COPY_BATCH = {"file": 4}  # rows copied at a time: evidence files of up to 5 MB each, a few at once


class Copies:
    """Exports, copies and backups, for ``Store``."""

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
            return [write_atomic(folder / export_name(a), dump(self.latest(a.id).data)) for a in self.applicants()]
        if round_name not in ("independent", "consensus"):
            raise QkitError(Problem("--round", "unknown_round", round_name, {"allowed": ["independent", "consensus"]}))
        written = []
        for applicant in self.applicants():
            number = self.cycle(applicant.id, cycle).number if cycle is not None else None
            records = (self.submitted_layers(applicant.id, number) if round_name == "independent"
                       else [r for r in [self.consensus(applicant.id, number)] if r.number])
            for record in records:
                name = export_name(applicant, rounds.STAGES[round_name], record.assessor and record.assessor.name)
                written.append(write_atomic(folder / name, dump(self.round_document(applicant.id, record))))
        return written

    # --- copies and backups -------------------------------------------------------

    def copy_to(self, target: "Copies") -> dict[str, tuple[int, int]]:
        """Copy every applicant, member, revision, round and evidence file into an empty store, as they are.

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
                while batch := rows.fetchmany(COPY_BATCH.get(table, 500)):
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
