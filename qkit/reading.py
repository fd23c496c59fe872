"""Reading a YAML file people wrote, within limits: size, nesting and alias expansion are refused before
anything is built, syntax errors and keys written twice are named by line, and what PyYAML cannot read
(a date that is no date, an integer too long) stays text for the check to name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, QkitError
from .i18n import fmt_bytes, short_repr

# Input limits, enforced while parsing, before anything is expanded. The largest
# shipped sample is 50 KB, 5 levels deep and about 2,000 values: these leave
# room for a hundred times that, and stop a file built to exhaust memory or time.
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 20
MAX_VALUES = 200_000  # values after YAML aliases (*name) are expanded


def check_limits(text: str, where: str = "") -> None:
    """Refuse text over the size, nesting or alias-expansion limits, reading it as a stream of events.

    The check never builds the data: nesting is counted as it opens (so a file
    100,000 levels deep stops at level 21), and each anchor's size is counted
    once and added wherever an alias repeats it, so a "billion laughs" file is
    refused after reading a few lines.
    """
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise QkitError(Problem(where, "too_big", params={"size": fmt_bytes(size), "limit": fmt_bytes(MAX_BYTES)}))
    anchors: list[str | None] = []  # the anchor of each open mapping or list
    counts = [0]  # values counted so far inside each open mapping or list (the document first)
    expanded: dict[str, int] = {}  # how many values each anchor stands for
    for event in yaml.parse(text):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(anchors) == MAX_DEPTH:
                raise QkitError(Problem(where, "too_deep", params={"limit": MAX_DEPTH,
                                                                   "line": event.start_mark.line + 1}))
            anchors.append(event.anchor)
            counts.append(0)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, values = anchors.pop(), counts.pop() + 1
        elif isinstance(event, yaml.ScalarEvent):
            anchor, values = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, values = None, expanded.get(event.anchor, 1)
        else:
            continue
        if anchor:
            expanded[anchor] = values
        counts[-1] += values
        if counts[-1] > MAX_VALUES:
            raise QkitError(Problem(where, "too_many_values", params={"limit": f"{MAX_VALUES:,}"}))


class _DocumentLoader(yaml.SafeLoader):
    """PyYAML's safe loader, for documents: what it cannot read is named instead of raised.

    A date that is no date (2025-13-40) and an integer too long for Python
    (5,000 digits) stay text, so the check names their field; a key written
    twice in one mapping is noted with both lines, where PyYAML would keep
    the last one silently.
    """

    def __init__(self, text: str, where: str):
        super().__init__(text)
        self.where = where
        self.duplicates: list[Problem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # << merges defaults in: they may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # an unhashable key: PyYAML names it
                continue
            if first is not key_node:
                self.duplicates.append(Problem(self.where, "duplicate_key", params={
                    "name": short_repr(key), "first": first.start_mark.line + 1,
                    "first_column": first.start_mark.column + 1, "second": key_node.start_mark.line + 1,
                    "second_column": key_node.start_mark.column + 1}))
        return super().construct_mapping(node, deep)

    def _or_text(self, construct, node: yaml.ScalarNode) -> Any:
        try:
            return construct(self, node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        return self._or_text(yaml.SafeLoader.construct_yaml_timestamp, node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        return self._or_text(yaml.SafeLoader.construct_yaml_int, node)


_DocumentLoader.add_constructor("tag:yaml.org,2002:timestamp", _DocumentLoader.construct_yaml_timestamp)
_DocumentLoader.add_constructor("tag:yaml.org,2002:int", _DocumentLoader.construct_yaml_int)


def parse_yaml(text: str, where: str = "") -> Any:
    """YAML text to data, within the input limits; syntax errors as a Problem naming line and column,
    keys written twice as a Problem naming the key and both lines."""
    if not text.strip():
        raise QkitError(Problem(where, "file_empty"))
    try:
        check_limits(text, where)
        loader = _DocumentLoader(text, where)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
        if loader.duplicates:
            raise QkitError(loader.duplicates)
        return data
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else ("?", "?")
        detail = getattr(exc, "problem", None) or str(exc)
        raise QkitError(Problem(where, "yaml_syntax", params={"line": line, "column": column, "detail": detail})) from None


def read_text(path: str | Path) -> str:
    """A document file's text, refusing folders, unreadable files and files over the size limit unread."""
    path = Path(path)
    try:
        if path.is_dir():
            raise QkitError(Problem(str(path), "is_folder"))
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise QkitError(Problem(str(path), "too_big", params={"size": fmt_bytes(size),
                                                                  "limit": fmt_bytes(MAX_BYTES)}))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise QkitError(Problem(str(path), "file_missing")) from None
    except OSError as exc:
        raise QkitError(Problem(str(path), "cannot_read", params={"detail": exc.strerror or str(exc)})) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QkitError(Problem(str(path), "not_utf8")) from None
