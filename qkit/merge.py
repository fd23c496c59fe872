"""Three-way merge of assessment documents, and what changed between two of them.

A team writes one document at the same time: the leadership office 5.2, HR
5.5, quality 5.7. When a save was started from an older revision, the page's
edits are merged with what the others saved meanwhile, field by field, three
ways: the revision both started from (base), the latest one (theirs) and the
page (mine).

- A field changed on one side only takes that side's value; changed the same
  way on both sides, that value.
- Lists of texts (strengths, OFIs, evidence, assessors) merge entry by entry
  against the base: two people adding entries keep both; one person's edit or
  removal of an entry nobody else touched is kept.
- KPIs are matched by their clause and name, and their yearly values by year,
  so two people editing different KPIs, or different years, never collide;
  the improvement plan's actions by their id, so two people adding or
  editing different actions keep both.
- Only the same field changed to different values, or an entry removed by one
  person and edited by another, is a ``Conflict``: the merged document holds
  the latest saved value there, and the person chooses.

The documents are the raw data a form holds (what was typed, even if wrong),
so the merge never needs them to be valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from .plan import first_clause

Path = tuple[Any, ...]


class _Missing:
    """A field that is not there (never written, or removed)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Conflict:
    """The same field changed to different values: ``theirs`` (saved meanwhile) and ``mine`` (this page)."""

    path: Path
    base: Any
    theirs: Any
    mine: Any


@dataclass
class Merged:
    data: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)


def merge(base: dict[str, Any], theirs: dict[str, Any], mine: dict[str, Any]) -> Merged:
    """Merge ``mine`` and ``theirs``, both edited from ``base``; conflicts keep ``theirs`` until resolved."""
    conflicts: list[Conflict] = []
    data = _merge((), base, theirs, mine, conflicts)
    return Merged(data if isinstance(data, dict) else {}, conflicts)


def resolve(data: dict[str, Any], conflict: Conflict, value: Any) -> dict[str, Any]:
    """``data`` with the chosen ``value`` at the conflict's path (MISSING removes the field or entry)."""
    return put(data, conflict.path, value)


def put(data: Any, path: Path, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``path``; MISSING removes it."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(data, list):
        items = list(data)
        if isinstance(key, int) and 0 <= key < len(items):
            new = put(items[key], rest, value)
            if new is MISSING:
                del items[key]
            else:
                items[key] = new
        elif value is not MISSING:
            items.append(put(MISSING, rest, value) if rest else value)
        return items
    mapping = dict(data) if isinstance(data, dict) else {}
    new = put(mapping.get(key, MISSING), rest, value)
    if new is MISSING:
        mapping.pop(key, None)
    else:
        mapping[key] = new
    return mapping


def delta(old: Any, new: Any) -> list[tuple[Path, Any]]:
    """What turns ``old`` into ``new`` exactly, as (path, value) changes for ``patch``; MISSING removes.

    Mappings are compared key by key and lists of one length entry by entry;
    a list that grew or shrank, or a mapping whose keys changed order, is
    given whole, so the result has the same order as ``new``. Nothing changed
    is an empty list.
    """
    found: list[tuple[Path, Any]] = []

    def walk(path: Path, a: Any, b: Any) -> None:
        if _identical(a, b):
            return
        if isinstance(a, dict) and isinstance(b, dict) and list(k for k in b if k in a) == list(k for k in a if k in b) \
                and all(k in a for k in list(b)[:len([k for k in b if k in a])]):
            for key, value in b.items():
                walk(path + (key,), a.get(key, MISSING), value) if key in a else found.append((path + (key,), value))
            found.extend((path + (key,), MISSING) for key in a if key not in b)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(path + (i,), x, y)
        else:
            found.append((path, b))

    walk((), old, new)
    return found


def _identical(a: Any, b: Any) -> bool:
    """``same``, and mappings' keys in the same order too: what a revision must give back exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    return same(a, b)


def patch(data: Any, changes: list[tuple[Path, Any]]) -> Any:
    """``data`` with ``changes`` (``delta``'s) made, as a copy."""
    for path, value in changes:
        data = put(data, path, value)
    return data


def _merge(path: Path, base: Any, theirs: Any, mine: Any, conflicts: list[Conflict]) -> Any:
    if same(theirs, mine) or same(mine, base):
        return theirs
    if same(theirs, base):
        return mine
    if isinstance(theirs, dict) and isinstance(mine, dict):
        base = base if isinstance(base, dict) else {}
        keys = list(theirs) + [k for k in mine if k not in theirs] + [k for k in base if k not in theirs and k not in mine]
        out = {}
        for key in keys:
            value = _merge(path + (key,), base.get(key, MISSING), theirs.get(key, MISSING), mine.get(key, MISSING),
                           conflicts)
            if value is not MISSING:
                out[key] = value
        return out
    if isinstance(theirs, list) and isinstance(mine, list):
        base = base if isinstance(base, list) else []
        if all(isinstance(x, dict) for x in base + theirs + mine):
            return _merge_records(path, base, theirs, mine, conflicts)
        return _merge_sequence(path, base, theirs, mine, conflicts)
    conflicts.append(Conflict(path, base, theirs, mine))
    return theirs


def same(a: Any, b: Any) -> bool:
    """Equal as data: 55 and 55.0 differ (a typed value is kept as typed)."""
    if a is MISSING or b is MISSING:
        return a is b
    return type(a) is type(b) and a == b


def record_key(entry: dict[str, Any]) -> tuple[str, str]:
    """What makes an entry the same on both sides: a KPI's clause and name, an action's id."""
    if isinstance(entry.get("id"), str) and entry["id"]:  # an action's id is text (5.2.2-1)
        return "id", entry["id"]
    return str(entry.get("clause", "")), str(entry.get("name", ""))


def _keyed(entries: list[dict]) -> dict[tuple, dict]:
    """Entries by (clause, name, n): the n-th entry with that clause and name, so duplicates stay apart."""
    seen: dict[tuple, int] = {}
    out = {}
    for entry in entries:
        key = record_key(entry)
        seen[key] = seen.get(key, 0) + 1
        out[(*key, seen[key])] = entry
    return out


def _merge_records(path: Path, base: list, theirs: list, mine: list, conflicts: list[Conflict]) -> list:
    b, t, m = _keyed(base), _keyed(theirs), _keyed(mine)
    keys = list(t) + [k for k in m if k not in t] + [k for k in b if k not in t and k not in m]
    out = []
    for key in keys:
        at = path + (len(out),)
        found = len(conflicts)
        value = _merge(at, b.get(key, MISSING), t.get(key, MISSING), m.get(key, MISSING), conflicts)
        if value is MISSING and len(conflicts) == found:
            continue
        # a conflict inside a record names its place in the merged list
        out.append(value if value is not MISSING else t.get(key, m.get(key)))
    return out


def _edits(base: list, side: list) -> tuple[dict[int, Any], dict[int, list]]:
    """How ``side`` differs from ``base``: per base position, MISSING (removed) or its new value; and
    per base position, the entries inserted before it (position len(base) is the end)."""
    changed: dict[int, Any] = {}
    inserted: dict[int, list] = {}
    matcher = SequenceMatcher(a=[repr(x) for x in base], b=[repr(x) for x in side], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                changed[i1 + k] = side[j1 + k]
            continue
        for i in range(i1, i2):
            changed[i] = MISSING
        if j2 > j1:
            inserted.setdefault(i1, []).extend(side[j1:j2])
    return changed, inserted


def _merge_sequence(path: Path, base: list, theirs: list, mine: list, conflicts: list[Conflict]) -> list:
    t_changed, t_inserted = _edits(base, theirs)
    m_changed, m_inserted = _edits(base, mine)
    out: list = []
    for i in range(len(base) + 1):
        before = t_inserted.get(i, [])
        out += before + [x for x in m_inserted.get(i, []) if x not in before]
        if i == len(base):
            break
        t, m = t_changed.get(i, base[i]), m_changed.get(i, base[i])
        if same(t, m) or same(m, base[i]):
            value = t
        elif same(t, base[i]):
            value = m
        else:
            conflicts.append(Conflict(path + (len(out),), base[i], t, m))
            value = t if t is not MISSING else m  # kept in place until the person chooses
        if value is not MISSING:
            out.append(value)
    return out


def changes(old: Any, new: Any) -> list[str]:
    """What changed from ``old`` to ``new``, as field paths a history can list.

    Clause fields are named down to the field (``clauses/5.2.2/score``), KPIs
    by their clause and name (``results/5.4.4 顾客满意度``), actions of the
    improvement plan by their first clause and id before and after
    (``improvements/5.2.2 A3``: the clause decides whose item it is), other
    fields by their place (``applicant/name``, ``profile/a``).
    """
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    out: list[str] = []
    for key in list(new) + [k for k in old if k not in new]:
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if same(a, b):
            continue
        if key == "clauses" and isinstance(a or {}, dict) and isinstance(b or {}, dict):
            a, b = a or {}, b or {}
            for cid in list(b) + [c for c in a if c not in b]:
                ra, rb = a.get(cid, MISSING), b.get(cid, MISSING)
                if same(ra, rb):
                    continue
                if isinstance(ra or {}, dict) and isinstance(rb or {}, dict):
                    ra, rb = ra or {}, rb or {}
                    out += [f"clauses/{cid}/{f}" for f in list(rb) + [f for f in ra if f not in rb]
                            if not same(ra.get(f, MISSING), rb.get(f, MISSING))]
                else:
                    out.append(f"clauses/{cid}")
        elif key == "results" and isinstance(a or [], list) and isinstance(b or [], list):
            ka = _keyed([x for x in a or [] if isinstance(x, dict)])
            kb = _keyed([x for x in b or [] if isinstance(x, dict)])
            for k in list(kb) + [k for k in ka if k not in kb]:
                if not same(ka.get(k, MISSING), kb.get(k, MISSING)):
                    out.append(f"results/{k[0]} {k[1]}".rstrip())
        elif key == "improvements" and isinstance(a or [], list) and isinstance(b or [], list):
            out += _action_changes(a or [], b or [])
        elif isinstance(a, dict) and isinstance(b, dict):
            out += [f"{key}/{f}" for f in list(b) + [f for f in a if f not in b]
                    if not same(a.get(f, MISSING), b.get(f, MISSING))]
        else:
            out.append(str(key))
    return list(dict.fromkeys(out))


def _action_changes(old: list, new: list) -> list[str]:
    """The actions added, removed or changed, each named by its first clause and id on either side; a change
    among entries that are not actions (a tampered page's) names the whole plan."""
    ka = _keyed([x for x in old if isinstance(x, dict)])
    kb = _keyed([x for x in new if isinstance(x, dict)])
    out = []
    for k in list(kb) + [k for k in ka if k not in kb]:
        before, after = ka.get(k, MISSING), kb.get(k, MISSING)
        if not same(before, after):
            out += [f"improvements/{first_clause(e) or '—'} {record_key(e)[1]}".rstrip()
                    for e in (after, before) if e is not MISSING]
    if not same([x for x in old if not isinstance(x, dict)], [x for x in new if not isinstance(x, dict)]):
        out.append("improvements")
    return out
