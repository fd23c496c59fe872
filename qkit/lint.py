"""Feedback quality: warnings about the strengths and OFIs of an assessment, by editable rules.

The rules live in a YAML file (``qkit/rules/feedback.yaml``, or the user's own
with ``--lint-rules``) and follow the Baldrige comment guidelines and EFQM
scorebook practice: an OFI names what is missing without prescribing the fix;
a judgement needs facts; a results strength gives a figure or a year; a
clause with comments has evidence behind them; comments are neither a few
words nor a page; a clause has a handful of each. Warnings never change a
score and never make a document invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex
import yaml

from .document import Assessment
from .errors import NO_VALUE, Problem, QkitError
from .resources import FEEDBACK_RULES

CODES = ("prescriptive", "judgement", "no_figure", "no_evidence", "too_short", "too_long", "count_low", "count_high")
# what one pattern may take on one comment: a real rule takes microseconds, while a nested repeat such as
# (a|aa)+$ can backtrack for longer than anyone waits; the regex module stops it, and the rule is named
MATCH_SECONDS = 1.0


@dataclass(frozen=True)
class Rules:
    prescriptive: tuple[regex.Pattern, ...]
    judgement: tuple[regex.Pattern, ...]
    fact: regex.Pattern
    length: tuple[int, int]
    count: dict[str, tuple[int, int]]
    source: str = ""  # the rules file, named with a rule that runs too long

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Rules":
        return _load(Path(path) if path else FEEDBACK_RULES)

    def search(self, kind: str, text: str) -> regex.Match | None:
        """The first match of the ``kind`` rules (prescriptive, judgement, fact) in ``text``, within MATCH_SECONDS
        each; a rule that runs longer raises QkitError naming it (prescriptive/3: the third in the file)."""
        patterns = getattr(self, kind)
        listed = isinstance(patterns, tuple)
        for n, pattern in enumerate(patterns if listed else (patterns,), 1):
            try:
                found = pattern.search(text, timeout=MATCH_SECONDS)
            except TimeoutError:
                rule = f"{self.source}: {kind}" + (f"/{n}" if listed else "")
                raise QkitError(Problem(rule, "lint_rule_slow", pattern.pattern,
                                        {"seconds": f"{MATCH_SECONDS:g}"})) from None
            if found:
                return found
        return None


def _load(path: Path) -> Rules:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Rules(
            prescriptive=tuple(regex.compile(p, regex.IGNORECASE) for p in raw["prescriptive"]),
            judgement=tuple(regex.compile(p, regex.IGNORECASE) for p in raw["judgement"]),
            fact=regex.compile(raw["fact"]),
            length=tuple(int(n) for n in raw["length"]),
            count={kind: tuple(int(n) for n in span) for kind, span in raw["count"].items()},
            source=str(path),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, regex.error) as exc:
        raise QkitError(Problem(str(path), "lint_rules", params={"detail": str(exc)})) from None


@dataclass(frozen=True)
class LintWarning:
    """One feedback-quality warning: which clause, which comment (kind and number), which rule."""

    clause: str
    kind: str  # strengths, ofis, or "" for the clause as a whole
    number: int  # 1-based position of the comment, 0 for the clause
    code: str
    text: str
    params: dict

    def problem(self) -> Problem:
        where = f"clauses/{self.clause}" + (f"/{self.kind}/{self.number}" if self.number else "")
        code, params = "lint_" + self.code, dict(self.params, code=self.code)
        return Problem(where, code, self.text or NO_VALUE, params)


def lint(doc: Assessment, rubric, rules: Rules | None = None) -> list[LintWarning]:
    """Every warning about the document's feedback comments, in clause order."""
    rules = rules or Rules.load()
    low, high = rules.length
    out: list[LintWarning] = []
    for clause in rubric.clauses:
        rating = doc.rating(clause.id)
        comments = {"strengths": rating.strengths, "ofis": rating.ofis}
        for kind, texts in comments.items():
            for n, text in enumerate(texts, 1):
                def warn(code: str, **params) -> None:
                    out.append(LintWarning(clause.id, kind, n, code, str(text), params))

                size = len(str(text).strip())
                if size < low:
                    warn("too_short", n=size, min=low)
                elif size > high:
                    warn("too_long", n=size, max=high)
                if kind == "ofis" and (hit := rules.search("prescriptive", text)):
                    warn("prescriptive", word=hit.group(0))
                if (hit := rules.search("judgement", text)) and not rules.search("fact", text):
                    warn("judgement", word=hit.group(0))
                if kind == "strengths" and clause.kind == "results" and not rules.search("fact", text):
                    warn("no_figure")
        if (rating.strengths or rating.ofis) and not rating.evidence:
            out.append(LintWarning(clause.id, "", 0, "no_evidence", "", {}))
        if rating.strengths or rating.ofis:
            for kind, texts in comments.items():
                least, most = rules.count.get(kind, (0, 10**6))
                if len(texts) < least:
                    out.append(LintWarning(clause.id, "", 0, "count_low", "", {"kind": kind, "n": len(texts), "min": least}))
                elif len(texts) > most:
                    out.append(LintWarning(clause.id, "", 0, "count_high", "", {"kind": kind, "n": len(texts), "max": most}))
    return out
