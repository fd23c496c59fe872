"""The checks of single values every field of a document uses: mappings, texts, names, numbers, series of
years, dates, flags and scores.

Each check takes the raw value and its field, and either returns the value
as qkit uses it or notes a ``Problem`` naming the field and what is allowed,
so a whole file's problems are found in one pass (``qkit.document`` walks
the fields, ``ValueChecks`` does each one).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Iterator

import yaml

from .errors import NO_VALUE, Problem
from .paths import as_year
from .rubric import STEP

MAX_TEXT = 20_000  # characters in one text field (a long clause narrative has a few thousand)
MAX_NUMBER = 10**15  # a KPI value's size: far above any real figure, and safely a float (exact to 2**53)
# characters no spreadsheet or XML file can hold: control characters other than tab and line breaks (Word
# pastes \x0b and \x07), DEL, and lone surrogates (half a character, which only a tampered page sends)
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

COMMENT_FIELDS = ("text", "by")


class Comment(str):
    """A strength, OFI or piece of evidence; ``by`` names the assessors who wrote it (in a consensus document).

    It is a string everywhere a view needs the text; a document lists it as
    plain text, or as ``{text: …, by: [assessor, …]}`` when its authors are known.
    """

    by: tuple[str, ...]

    def __new__(cls, text: str, by: tuple[str, ...] | list[str] = ()) -> "Comment":
        comment = super().__new__(cls, text)
        comment.by = tuple(by)
        return comment

    def to_data(self) -> str | dict[str, Any]:
        return {"text": str(self), "by": list(self.by)} if self.by else str(self)


yaml.SafeDumper.add_representer(Comment, lambda dumper, comment: dumper.represent_data(comment.to_data()))


LOOKALIKES = {"O": "0", "o": "0", "l": "1", "I": "1"}  # letters typed for the digits they look like


def _letter_for_digit(text: str) -> str | None:
    """The first letter in ``text`` that stands for a digit it looks like (9O.1, 9l.5), when the text reads as a
    number once such letters are digits; else None."""
    letters = [c for c in text if c in LOOKALIKES]
    if not letters or not any(c.isdigit() for c in text):
        return None
    try:
        float(text.translate(str.maketrans(LOOKALIKES)).replace(",", ""))
    except ValueError:
        return None
    return letters[0]


class ValueChecks:
    """Collects the problems of the values checked, each with its field."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, where: str, code: str, value: Any = NO_VALUE, **params: Any) -> None:
        self.problems.append(Problem(where, code, value, params))

    def mapping(self, value: Any, where: str, allowed: tuple[str, ...] | list[str] | None = None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(where, "not_mapping", value)
            return {}
        if allowed is not None:
            for key in value:
                if str(key) not in allowed:
                    self.add(f"{where}/{key}" if where else str(key), "unknown_field",
                             allowed=list(allowed))
        return value

    def entries(self, value: Any, where: str, allowed: tuple[str, ...] | list[str]) -> Iterator[tuple[str, dict]]:
        """Each entry of a list of mappings, with its place (``where/1``, ``where/2``…); a value that is not a
        list, or an entry that is not a mapping, is named instead of yielded."""
        if value is None:
            return
        if not isinstance(value, list):
            self.add(where, "not_list", value)
            return
        for i, entry in enumerate(value, 1):
            at = f"{where}/{i}"
            if isinstance(entry, dict):
                yield at, self.mapping(entry, at, allowed)
            else:
                self.add(at, "not_mapping", entry)

    def text(self, value: Any, where: str, required: bool = False) -> str:
        if value is None or value == "":
            if required:
                self.add(where, "required")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(where, "not_text", value)
            return ""
        if isinstance(value, str) and len(value) > MAX_TEXT:
            self.add(where, "too_long", value, limit=f"{MAX_TEXT:,}", n=f"{len(value):,}")
            return ""
        try:
            text = str(value)
        except ValueError:  # an integer of more digits than Python writes out
            self.add(where, "not_text", value)
            return ""
        return text if self.writable(text, where) else ""

    def writable(self, text: str, where: str) -> bool:
        """Whether text holds no character a spreadsheet refuses; else the first such one is named (U+000B)."""
        found = UNWRITABLE.search(text)
        if found:
            char = found.group()
            code = "lone_surrogate" if "\ud800" <= char <= "\udfff" else "control_char"
            self.add(where, code, text, char=f"U+{ord(char):04X}")
        return not found

    def texts(self, value: Any, where: str) -> list[Comment]:
        """A list of texts; an entry may name its authors as ``{text: …, by: [name, …]}``."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(where, "not_list", value)
            return []
        out = []
        for i, entry in enumerate(value, 1):
            by: list[str] = []
            if isinstance(entry, dict):
                raw = self.mapping(entry, f"{where}/{i}", COMMENT_FIELDS)
                by = self.names(raw.get("by"), f"{where}/{i}/by")
                entry = raw.get("text")
            found = len(self.problems)
            text = self.text(entry, f"{where}/{i}")
            if len(self.problems) > found:
                continue  # named already: not also "empty"
            if not text.strip():
                self.add(f"{where}/{i}", "empty_text")
            else:
                out.append(Comment(text, by))
        return out

    def names(self, value: Any, where: str) -> list[str]:
        """One name or a list of names (assessors)."""
        if value is None or value == "":
            return []
        return [str(v) for v in self.texts(value if isinstance(value, list) else [value], where)]

    def number(self, value: Any, where: str) -> float | None:
        """A finite number within ±MAX_NUMBER: NaN, infinity (.nan, .inf, 1e999) and absurd sizes are named."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if not isinstance(value, str) or self.writable(value, where):  # else named for its character
                letter = _letter_for_digit(value) if isinstance(value, str) else None
                if letter:
                    self.add(where, "number_letter", value, letter=letter, digit=LOOKALIKES[letter])
                else:
                    self.add(where, "not_number", value)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.add(where, "not_finite", value)
            return None
        if abs(value) > MAX_NUMBER:
            self.add(where, "number_too_big", value, limit=f"{MAX_NUMBER:,}")
            return None
        return float(value)

    def series(self, value: Any, where: str) -> dict[int, float]:
        out, seen = {}, set()
        for key, number in self.mapping(value, where).items():
            year = as_year(key)
            if year is None:
                if not isinstance(key, str) or self.writable(key, f"{where}/{key}"):
                    self.add(f"{where}/{key}", "year", key)
                continue
            if year in seen:  # 2025 and "2025年" are one year
                self.add(f"{where}/{key}", "duplicate_year", key)
                continue
            seen.add(year)
            checked = self.number(number, f"{where}/{year}")
            if checked is not None:
                out[year] = checked
        return dict(sorted(out.items()))

    def date(self, value: Any, where: str) -> dt.date | None:
        """A day, as YAML reads one (2026-10-15) or as typed (the text "2026-10-15"); else named."""
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str) or self.writable(value, where):  # else named for its character
            self.add(where, "not_date", value)
        return None

    def flag(self, value: Any, where: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(where, "not_bool", value)
            return False
        return value

    def score(self, value: Any, where: str) -> int | None:
        if value is None:
            return None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        # the range first: NaN and infinity are outside it, and never reach int()
        if not ok or not 0 <= value <= 100 or value != int(value) or int(value) % STEP:
            self.add(where, "score_step", value)
            return None
        return int(value)
