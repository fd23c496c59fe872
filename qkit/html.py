"""HTML from Jinja2 macros, for every view that shows HTML: the report's sections and the web form.

One environment, built once: templates come from the package's templates
folder, autoescaping is on (whatever a user typed, a strength containing
``<script>``, appears as text), an undefined name is an error, and the
templates see the same formatting as every other view (``qkit.i18n``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from .i18n import capital, colon, fmt_band, fmt_cell, fmt_date, fmt_percent, fmt_points, join_list, lettered, paren, tr
from .resources import TEMPLATES


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=_compiled())
    env.globals.update(tr=tr, join_list=join_list, fmt_date=fmt_date, paren=paren, colon=colon, lettered=lettered)
    env.filters.update(points=fmt_points, percent=fmt_percent, cell=fmt_cell, band=fmt_band, cap=capital)
    return env


def _compiled() -> jinja2.BytecodeCache | None:
    """Templates compiled once per user and machine, not once per process: every kernel of the web form would
    otherwise spend some 0.4 CPU-seconds compiling the form's macros. Jinja2 keeps them in a folder of the
    user's own (mode 0700) in the temporary directory, writes them atomically and recompiles a template whose
    source changed; where no such folder can be had, each process compiles its own."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@cache
def macros(template: str) -> Any:
    """The template's macros, compiled once."""
    return environment().get_template(template).module


def macro(template: str, name: str, /, **context: Any) -> Markup:
    """One macro of a template rendered with its arguments; the values in context are escaped."""
    return Markup(getattr(macros(template), name)(**context))
