"""Where a value sits in an assessment document: field paths, as keys and as the text ``qkit validate`` prints.

A ``FieldPath`` is the tuple of keys down to a value (``("clauses", "5.2.2",
"strengths", 0)``, ``("results", 3, "values", 2025)``). Its text
(``field_of``) is what every message names: ``clauses/5.2.2/strengths/1``,
list positions counted from 1 and years left as years; ``path_of`` reads
such a text back into the keys a document holds. ``as_year`` is the one way
qkit reads a year, wherever it was typed.
"""

from __future__ import annotations

from typing import Any

FieldPath = tuple[Any, ...]
LISTS = ("results", "strengths", "ofis", "evidence", "evidence_files", "assessors",
         "improvements")  # the document's lists, by field name


def as_year(value: Any) -> int | None:
    """A year as people write it: 2025, or "2025" (JSON keys are strings), or "2025年"; else None.

    Only the ASCII digits 0-9 make a year: "2025²", "①" or "２０２５" are text, never a ValueError.
    """
    if isinstance(value, str):
        text = value.strip().removesuffix("年")
        value = int(text) if len(text) == 4 and text.isascii() and text.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        return None
    return value


def field_of(path: FieldPath) -> str:
    """The field path ``qkit validate`` prints: list positions count from 1 (years stay years)."""
    return "/".join(str(p + 1) if isinstance(p, int) and i and path[i - 1] in LISTS else str(p)
                    for i, p in enumerate(path))


def value_at(data: Any, path: FieldPath, default: Any = None) -> Any:
    """The value at ``path``; ``default`` where nothing is (a missing key, a list too short, a wrong type)."""
    node = data
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def path_of(field: str, data: Any) -> FieldPath:
    """The keys of the document at a field path: positions from 0, years and series names as stored.

    A comparison series' name may itself contain ``/``: the longest stored
    name the rest of the path starts with is taken.
    """
    if not field:
        return ()
    parts = field.split("/")
    path: list[Any] = []
    node: Any = data
    i = 0
    while i < len(parts):
        part = parts[i]
        key: Any = part
        if path and path[-1] in LISTS and part.isdigit():
            key = int(part) - 1
        elif path and path[-1] == "comparisons" and isinstance(node, dict):
            rest = "/".join(parts[i:])
            names = [k for k in node if rest == str(k) or rest.startswith(f"{k}/")]
            if names:
                key = max(names, key=lambda k: len(str(k)))
                i += str(key).count("/")
        elif isinstance(node, dict):
            key = next((k for k in node if str(k) == part), None)
            if key is None:  # a year stored as "2025年" or " 2025" is named 2025 in the field
                key = next((k for k in node if as_year(k) is not None and str(as_year(k)) == part), part)
        path.append(key)
        node = value_at(node, (key,))
        i += 1
    return tuple(path)
