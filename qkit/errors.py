"""Errors that reach users: each names the field, the value and what is allowed.

qkit never shows a traceback for bad input. Code that finds a problem raises
``QkitError`` (or collects ``Problem`` objects); the CLI and the widgets render
them in the user's language through ``qkit.i18n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # a problem about a field that was left out has no value to show


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user input: where, what was given, what is allowed."""

    field: str
    code: str
    value: Any = NO_VALUE
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def has_value(self) -> bool:
        return self.value is not NO_VALUE

    def render(self, lang: str = "zh") -> str:
        """The field, the message and the value given, in the user's language."""
        from .i18n import render_problem

        return render_problem(self, lang)

    def message(self, lang: str = "zh") -> str:
        """The message alone, for a view that already shows which field it is about."""
        from .i18n import problem_message

        return problem_message(self, lang)

    def short(self, lang: str = "zh") -> str:
        """The message in a word or two, for a table cell (the codes that have a ``<code>_short``)."""
        from .i18n import tr

        return tr(f"{self.code}_short", lang)


class QkitError(Exception):
    """Bad input or configuration, carrying one or more problems."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh") -> str:
        """One line per problem; a problem repeated in many places is one line with the count."""
        from .i18n import render_problems

        return "\n".join(render_problems(self.problems, lang))
