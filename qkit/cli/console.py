"""What every command shares: its parent options, the store it opens, and the console it prints to.

Everything a user typed reaches the console as text, never as Rich markup or
emoji codes: a name like "[/bold]" or ":warning:" is printed as written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..i18n import fmt_date, tr
from ..rubric_files import RubricIndex
from ..web.serve import DEFAULT_PORT, PUBLIC_URL_ENV
from ..web.store import Store, data_dir


class Parents:
    """The options several commands share, as argparse parents: language and rubric folders, the store, the port."""

    def __init__(self) -> None:
        self.common = argparse.ArgumentParser(add_help=False)
        self.common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                                 help="language of messages and titles (default zh)")
        self.common.add_argument("--rubrics", type=Path, action="append", default=argparse.SUPPRESS,
                                 metavar="DIR", help="extra directory of rubric files (also $QKIT_RUBRICS)")
        self.data = argparse.ArgumentParser(add_help=False)
        self.data.add_argument("--data", metavar="DIR|URL",
                               help="data directory, or a postgresql:// database URL (default ./qkit-data or $QKIT_DATA)")
        self.port = argparse.ArgumentParser(add_help=False)
        self.port.add_argument("--port", type=int, default=DEFAULT_PORT, help="the port qkit serve uses (for the link)")
        self.port.add_argument("--public-url", metavar="URL",
                               help=f"where staff reach qkit, e.g. https://qkit.example.com/ behind a proxy (default "
                                    f"${PUBLIC_URL_ENV}, else this machine's 127.0.0.1 and --port)")


def open_store(args, index: RubricIndex) -> Store:
    """The store a command's ``--data`` names (else $QKIT_DATA, else ./qkit-data)."""
    return Store(data_dir(args.data), index)


def when(moment, lang: str) -> str:
    """A moment as a table shows it: 2026年12月4日 18:05."""
    return f"{fmt_date(moment.date(), lang)} {moment:%H:%M}"


def count(text: str) -> int:
    """A whole number of 0 or more, for options that count things."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: 0, 1, 2 …")
    return number


def missing(value) -> bool:
    """A cell with nothing in it (None, or a frame's NaN)."""
    return value is None or (isinstance(value, float) and value != value)


class PlainTable(Table):
    """A Rich table showing its headers, title, caption and cells as written, never as markup: a name such as
    "[/bold]" would stop the command, and "[link=…]" would become a link."""

    def __init__(self, *headers: str, title: str | None = None, caption: str | None = None) -> None:
        super().__init__(title=plain(title), caption=plain(caption))
        for header in headers:
            self.add_column(plain(header))

    def add_row(self, *cells: str | None, style: str | None = None) -> None:
        super().add_row(*(plain(cell) for cell in cells), style=style)


def plain(text: str | None) -> Text | None:
    return None if text is None else Text(str(text))


def console(stderr: bool = False) -> Console:
    """Standard output or error for messages printed with ``markup=False``: no emoji codes either (a name
    with :warning: in it stays as written)."""
    return Console(stderr=stderr, soft_wrap=True, emoji=False)


def columns(frame, *headers: str) -> list[str]:
    """The frame's columns with these headers, in this order: a table picks its columns by name, never by place."""
    missing_headers = [h for h in headers if h not in frame.columns]
    if missing_headers:
        raise KeyError(f"no column {missing_headers} in {list(frame.columns)}")
    return list(headers)


def role_text(member, lang: str) -> str:
    """A member's role as the tables say it: 撰写人（5.2、5.3）."""
    from ..i18n import join_list

    role = tr(f"role_{member.role}", lang)
    return f"{role}（{join_list(member.items, lang)}）" if member.items else role
