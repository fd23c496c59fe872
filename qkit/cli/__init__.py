"""The ``qkit`` command.

One module per group of commands, each registering its parsers next to its
handlers (``documents``: rubrics, new, validate, score; ``team``: applicants
and members; ``serving``: serve, export, history, restore, store;
``reports``: report, batch; ``comparing``: compare, new-cycle, consensus;
``plan``: the improvement plan; ``progress``: a team's progress and due dates;
``package``: the application package),
on what they share (``console``). Every command catches ``QkitError`` and
prints its problems in the chosen language: bad input never ends in a
traceback, and anything unforeseen is a short message and a logged one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..errors import QkitError
from ..i18n import tr
from ..rubric_files import RubricIndex
from . import comparing, documents, package, plan, progress, reports, serving, team
from .console import Parents, console

GROUPS = (documents, team, progress, serving, reports, package, comparing, plan)


def build_parser() -> argparse.ArgumentParser:
    parents = Parents()
    parser = argparse.ArgumentParser(prog="qkit", parents=[parents.common],
                                     description="湖北省长江质量奖 / 武汉市市长质量奖 自评工具 (quality-award self-assessment)")
    parser.add_argument("--version", action="version", version=f"qkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub, parents)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", "zh")
    out = console()
    try:
        index = RubricIndex.scan(getattr(args, "rubrics", None))
        return args.handler(args, index, lang, out)
    except QkitError as exc:
        console(stderr=True).print(exc.render(lang), markup=False, highlight=False)
        return 1
    except BrokenPipeError:  # the reader went away (qkit … | head): nothing left to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:  # Ctrl-C: stopped as asked, as a shell reports it
        console(stderr=True).print(tr("interrupted", lang), markup=False, highlight=False)
        return 130
    except Exception:  # noqa: BLE001 - the last resort: a bug is a short message and a logged traceback
        try:
            message = tr("command_crashed", lang, file=log_exception(argv))
        except OSError as exc:
            message = tr("command_crashed_unlogged", lang, file=crash_log(), detail=exc.strerror or str(exc))
        console(stderr=True).print(message, markup=False, highlight=False)
        return 1


def crash_log() -> Path:
    """Where unexpected errors are logged: the user's state folder ($XDG_STATE_HOME, else ~/.local/state)."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "qkit" / "qkit.log"


def log_exception(argv: Sequence[str] | None) -> Path:
    """Append the exception being handled, with the time, qkit's version and the command, to ``crash_log()``."""
    import traceback

    path = crash_log()
    path.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["qkit", *(sys.argv[1:] if argv is None else argv)])
    entry = (f"--- {dt.datetime.now().astimezone().isoformat(timespec='seconds')} qkit {__version__}\n"
             f"{command}\n{traceback.format_exc()}\n")
    with path.open("a", encoding="utf-8", errors="backslashreplace") as log:
        log.write(entry)
    return path
