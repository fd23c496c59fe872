"""The draft: the raw document as typed, and changes at field paths, kept even when wrong."""

from __future__ import annotations

import copy
from typing import Any

from ...errors import Problem
from ...merge import same
from ...paths import FieldPath, field_of, value_at
from ...plan import first_clause

TYPED = ("key_themes",)  # parts typed as free text (clause ids in a theme): kept as typed and flagged, never refused
# problems the form's own inputs cannot cause (lists of allowed values, fixed fields, typed text within
# MAX_TEXT): a change causing one can only come from a tampered page, and is refused
REFUSED = {"score_step", "factor_band", "unknown_factor", "unknown_clause", "unknown_field", "unknown_prompt",
           "better", "results_clause", "too_long", "not_mapping", "not_list", "not_text", "no_factors", "no_profile",
           "lone_surrogate", "action_status", "unknown_kpi"}


class Editing:
    """Raw values at field paths: read, set, added to a list, removed; a change the form cannot make is refused."""

    def value(self, path: FieldPath, default: Any = None) -> Any:
        node: Any = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return default
        return default if node is None else node

    def set(self, path: FieldPath, value: Any) -> Problem | None:
        """Put a value at a path; an empty value removes a mapping's field.

        What a person types is kept even when it is wrong (and flagged). A
        change the form's own inputs cannot make (a score of 33 from the
        score list, a clause the standard does not have, an overlong text)
        can only come from a tampered page: it is refused, with the problem
        ``qkit validate`` would report, and the document stays as it was.
        """
        refused = self._allowed(path, value)
        if refused is not None:
            return refused
        before = copy.deepcopy(self.data)
        parent = self._container(path[:-1], path[-1])
        key = path[-1]
        if isinstance(parent, dict) and value in (None, "", [], {}):
            if key not in parent:
                return None
            del parent[key]
        else:
            if same(value_at(parent, (key,)), value):
                return None
            if isinstance(parent, list) and key == len(parent):
                parent.append(value)
            else:
                parent[key] = value
        if self.agreeing and path[0] == "clauses" and path[2:] == ("score",) and isinstance(parent, dict):
            parent.pop("proposed", None)  # a score the lead set is agreed, not proposed
        known = {(p.field, p.code) for p in self.problems}
        self._recheck()
        where = field_of(path)
        refused = None if path[0] in TYPED else next(
            (p for p in self.problems if p.code in REFUSED and (p.field, p.code) not in known
             and (p.field == where or p.field.startswith(where + "/") or where.startswith(p.field + "/"))), None)
        if refused is not None:
            self.data = before
            self._recheck()
            return self._say(refused)
        self._changed(path, checked=True)
        return None

    def append(self, path: FieldPath, value: Any) -> int:
        """Add an entry to the list at path; returns its position (-1 when the member may not change it)."""
        entry = path + (len(self.value(path, []) or []),)
        if path == ("results",):  # a new KPI belongs to its clause, a new action to its first clause
            entry = ("clauses", value.get("clause", "") if isinstance(value, dict) else "")
        elif path == ("improvements",):
            entry = ("clauses", first_clause(value))
        if self._allowed(entry):
            return -1
        entries = self.value(path)
        entries = list(entries) if isinstance(entries, list) else []
        entries.append(value)
        self.data_at(path[:-1])[path[-1]] = entries
        self._changed(path + (len(entries) - 1,))  # the new entry is what the person fills in next
        return len(entries) - 1

    def remove(self, path: FieldPath) -> None:
        """Remove the list entry at path (its last key is the position)."""
        if self._allowed(path):
            return
        entries = self.value(path[:-1])
        if isinstance(entries, list) and 0 <= path[-1] < len(entries):
            del entries[path[-1]]
            if not entries:
                del self.data_at(path[:-2])[path[-2]]
            self._changed(path[:-1])
            self.editing = None

    def data_at(self, path: FieldPath) -> Any:
        node = self.data
        for key in path:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        return node

    def _container(self, path: FieldPath, key: Any) -> Any:
        node: Any = self.data
        for i, part in enumerate(path):
            following = path[i + 1] if i + 1 < len(path) else key
            if isinstance(node, dict):
                if not isinstance(node.get(part), (dict, list)):
                    node[part] = [] if isinstance(following, int) else {}
                node = node[part]
            else:
                node = node[part]
        return node
