"""An assessment document file opened in a notebook: the web form's session, kept in the file itself.

Consultants coach applicants in JupyterLab on the applicant's YAML file, year
after year. ``qkit.open(path)`` gives a ``FileSession``: the same live checks,
score and form as the web workbook (``.form()``), saved back to the file
(``.save()``), with the scorecard, the report, a comparison with another
assessment and pandas frames at hand.

Saving writes the file atomically, first copying the version it replaces
into ``.qkit-history/`` beside it, and keeps the file's comments and key
order (a ruamel.yaml round trip). When the file changed on disk since it was
opened (an editor, a colleague's sync), the session's edits are merged with
the file's three ways, as the web form merges two people's edits; the same
field changed both ways is a conflict to choose (``.conflicts``, ``.choose``).

Next year's assessment starts in a new file (``.next_cycle``, ``qkit
new-cycle``): texts and KPIs carried over, every score to be given again,
last year's shown beside it.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
from functools import cache
from pathlib import Path
from typing import Any

from ..reading import parse_yaml, read_text
from ..errors import Problem, QkitError
from ..files import write_atomic
from ..merge import changes, merge
from ..rubric_files import RubricIndex
from .session import AUTOSAVE_DELAY, Session
from .store import MergeConflict, Revision

HISTORY = ".qkit-history"


class FileKeeper:
    """Keeps a session's document in its YAML file, with the store's interface (``latest``, ``save``).

    Revision numbers count the versions of the file this session has seen: 1 as opened, one more for each
    save and for each change found on disk.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.text = read_text(self.path)
        self.number = 1
        self.versions = {1: parse_yaml(self.text, str(self.path))}
        self.saved_at = dt.datetime.fromtimestamp(self.path.stat().st_mtime).astimezone()

    def _revision(self, number: int, note: str = "", changed: tuple[str, ...] = ()) -> Revision:
        return Revision(0, number, number - 1 or None, self.saved_at, copy.deepcopy(self.versions[number]), note,
                        self.text, changed=changed)  # a copy: the session edits what it is given

    def latest(self, _applicant: Any = None) -> Revision:
        """The file as it is now; a change on disk since last seen is a new version."""
        text = read_text(self.path)
        if text != self.text:
            self.number += 1
            self.text, self.versions[self.number] = text, parse_yaml(text, str(self.path))
            self.saved_at = dt.datetime.fromtimestamp(self.path.stat().st_mtime).astimezone()
        return self._revision(self.number)

    def revision(self, _applicant: Any, number: int) -> Revision:
        """Version ``number`` of the file as this session has seen it (1 as opened)."""
        return self._revision(number)

    def history(self, _applicant: Any = None) -> list[Revision]:
        """The versions of the file this session has seen, newest first (each save, each change found on disk)."""
        return [self._revision(number) for number in sorted(self.versions, reverse=True)]

    def member_now(self, member: Any) -> Any:
        """A file has no members: whoever opened it goes on editing."""
        return member

    def news(self, _applicant: Any = None) -> bool:
        """A file tells nobody when it changes: looking at it again tells."""
        return True

    def save(self, _applicant: Any, data: dict[str, Any], base: int, note: str = "", author: Any = None,
             merging: bool = True) -> Revision:
        """Write ``data`` (edited from version ``base``), merged with any change made to the file meanwhile."""
        current = self.latest()
        if base != current.number:
            merged = merge(self.versions[base], current.data, data)
            if merged.conflicts:
                raise MergeConflict(current, merged.data, merged.conflicts)
            data = merged.data
        if data == current.data:
            return current
        self._keep(current)
        text = dump_keeping_comments(self.text, data)
        write_atomic(self.path, text)
        self.number += 1
        self.text, self.versions[self.number] = text, copy.deepcopy(data)
        self.saved_at = dt.datetime.now().astimezone()
        return self._revision(self.number, note, tuple(changes(current.data, data)))

    def _keep(self, current: Revision) -> None:
        """Copy the version about to be replaced into .qkit-history/NAME.<time>.yaml."""
        folder = self.path.parent / HISTORY
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise QkitError(Problem(str(folder), "cannot_write", params={"detail": exc.strerror})) from None
        stamp = current.created_at.strftime("%Y%m%d-%H%M%S")
        target = folder / f"{self.path.stem}.{stamp}{self.path.suffix}"
        if not target.exists():
            write_atomic(target, current.document)


def dump_keeping_comments(original: str, data: dict[str, Any]) -> str:
    """``data`` as YAML in the shape of ``original``: its comments, key order and each unchanged value's style
    (its quotes, a folded paragraph) kept, so a diff of the file shows the values that changed and nothing else.
    A value that is no valid date to YAML (2025-13-40) is read as the text it is, so the file keeps its comments."""
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip
    yaml.Constructor = _lenient_constructor()
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    yaml.width = 1000
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        tree = yaml.load(original)
    except Exception:  # noqa: BLE001 - a file ruamel cannot read back is written plainly
        tree = None
    tree = _update(tree, data) if isinstance(tree, dict) else data
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


@cache
def _lenient_constructor():
    """ruamel's round-trip constructor, reading a timestamp that is no valid date as its text (made when a file is
    first saved: ruamel is imported only then)."""
    from ruamel.yaml.constructor import RoundTripConstructor

    class TextForBadDates(RoundTripConstructor):
        def construct_yaml_timestamp(self, node, values=None):
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError:  # 2025-13-40: the checks name it; the file keeps it as written
                return self.construct_scalar(node)

    TextForBadDates.add_constructor("tag:yaml.org,2002:timestamp", TextForBadDates.construct_yaml_timestamp)
    return TextForBadDates


def _update(node: Any, value: Any) -> Any:
    """``node`` (from the round trip) changed into ``value`` in place where both are mappings or lists; a scalar
    that did not change stays the node it was (its quotes, its block style), a changed text keeps its style."""
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(node, dict) and isinstance(value, dict):
        for key in [k for k in node if k not in value]:
            del node[key]
        for key, item in value.items():
            node[key] = _update(node[key], item) if key in node else item
        return node
    if isinstance(node, list) and isinstance(value, list) and len(node) == len(value):
        for i, item in enumerate(value):
            node[i] = _update(node[i], item)
        return node
    if _unchanged(node, value):
        return node
    if isinstance(node, ScalarString) and isinstance(value, str):
        return type(node)(value)
    return value


def _unchanged(node: Any, value: Any) -> bool:
    """Whether a round-trip scalar (a ScalarFloat 3.20, a folded text) holds the value: of its kind and equal."""
    if isinstance(node, bool) or isinstance(value, bool):
        return node is value
    return isinstance(node, type(value)) and node == value


class FileSession(Session):
    """A document file being edited in a notebook; see the module docstring."""

    @classmethod
    def from_file(cls, path: str | Path, rubrics: list[str | Path] | None = None,
                  autosave_delay: float | None = AUTOSAVE_DELAY) -> "FileSession":
        """The session of the document at ``path``; a file qkit cannot read raises QkitError with its problems."""
        index = RubricIndex.scan([Path(d) for d in rubrics or []])
        keeper = FileKeeper(path)
        data = keeper.versions[1]
        if not isinstance(data, dict) or str(data.get("rubric")) not in index.paths:
            from ..document import from_data

            from_data(data, index)  # raises the problems, as qkit validate names them
        session = cls(index.load(str(data["rubric"])), data, store=keeper, applicant_id=None, base=1, index=index,
                      autosave_delay=autosave_delay)
        session.saved_at = keeper.saved_at
        session.rubric_dirs = list(rubrics or [])
        return session

    @property
    def path(self) -> Path:
        """The document file this session saves to."""
        return self.store.path

    def form(self, lang: str = "zh"):
        """The web form's widgets for this file, to show in JupyterLab or Notebook."""
        from .form import Workbook

        return Workbook(self, lang).widget

    def report(self, out_dir: str | Path, lang: str = "zh", pdf: bool = False, previous: str | Path | None = None):
        """The feedback report of the file as saved (``qkit report``); returns the report's files."""
        from ..options import ReportOptions
        from ..report import make_report

        if self.dirty:
            self.save()
        options = ReportOptions(lang, tuple(Path(d) for d in self.rubric_dirs), pdf=pdf)
        return make_report(self.path, out_dir, options, previous=previous)

    def compare(self, other: "str | Path | FileSession"):
        """This assessment against another of the same standard (``qkit compare``): last year's, say."""
        from ..compare import compare
        from ..scoring import score

        if isinstance(other, FileSession):
            card = other.scorecard
        else:
            other_doc = FileSession.from_file(other, self.rubric_dirs, autosave_delay=None).document
            card = score(other_doc, self.index.load(other_doc.rubric)) if other_doc else None
        if self.scorecard is None or card is None:
            raise QkitError(self.problems or [Problem(str(other), "file_missing")])
        return compare(card, self.scorecard)

    def clauses_frame(self, lang: str = "zh"):
        """One row per clause: score, points earned, suggested band, flag (``qkit.tables.clause_frame``)."""
        from ..tables import clause_frame

        return clause_frame(self._card(), lang)

    def kpis_frame(self, lang: str = "zh"):
        """One row per KPI: latest value, target, trend, comparisons (``qkit.analytics.kpi_summary_frame``), its
        columns named in the language asked for, as ``clauses_frame``'s are (指标, 最新值 …)."""
        from ..analytics import kpi_summary_frame, localize_columns

        return localize_columns(kpi_summary_frame(self._card().assessment, lang), lang)

    def next_cycle(self, path: str | Path, label: str | None = None, force: bool = False) -> "FileSession":
        """Start the next assessment cycle in a new file (``qkit new-cycle``) and open it.

        This file is saved first and stays as it is. The new one carries over
        the profile, narratives, strengths, OFIs, evidence, notes and KPI data;
        every score is cleared, the old one kept as ``previous_score``, which
        the form shows beside the clause marked 待复核 until it is scored again.
        ``label`` names the cycle (default: next year); an existing ``path`` is
        refused unless ``force``.
        """
        if self.dirty:
            self.save()
        start_cycle(self.path, path, label, force)
        return FileSession.from_file(path, autosave_delay=self.autosave_delay, rubrics=self.rubric_dirs)

    def _card(self):
        if self.scorecard is None:
            raise QkitError(self.problems)
        return self.scorecard


def open_file(path: str | Path, rubrics: list[str | Path] | None = None,
              autosave_delay: float | None = AUTOSAVE_DELAY) -> FileSession:
    """A session bound to the document file at ``path``; see ``qkit.open``."""
    return FileSession.from_file(path, rubrics, autosave_delay)


def start_cycle(source: str | Path, target: str | Path, label: str | None = None, force: bool = False) -> Path:
    """Write the start of the next cycle of the document ``source`` to ``target`` (``qkit.cycle.next_cycle``).

    The file's comments and key order are kept; ``label`` defaults to next
    year. ``target`` may not exist unless ``force``; returns it.
    """
    from ..cycle import next_cycle

    source, target = Path(source), Path(target)
    if target.exists() and not force:
        raise QkitError(Problem(str(target), "output_exists"))
    text = read_text(source)
    data = parse_yaml(text, str(source))
    if not isinstance(data, dict):
        from ..document import from_data

        from_data(data)  # raises the problems, as qkit validate names them
    label = label or str(dt.date.today().year + 1)
    write_atomic(target, dump_keeping_comments(text, next_cycle(data, label)))
    return target
