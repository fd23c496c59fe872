"""The assessment document: one applicant's self-assessment against one rubric.

Reading a document is two steps. ``qkit.reading`` turns the file into raw
data within its limits; ``check`` walks that data field by field (each value
by ``qkit.values``) and collects every problem (field path, value, what is
allowed) instead of stopping at the first, so a user can fix a file in one
pass. Only data that passed the check becomes an ``Assessment``. The format
is described in ``docs/assessment-format.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from . import markup
from .errors import Problem, QkitError
from .evidence import (
    EVIDENCE_FIELDS,
    EvidenceFile,
    item_of_number,
    kind_problem,
    next_number,
)
from .plan import Action, PlanChecks
from .reading import parse_yaml, read_text
from .rubric import IndividualRubric, OrganizationRubric, rubric_kinds
from .rubric_files import RubricIndex
from .values import Comment

FORMAT_VERSION = 1
BETTER = ("higher", "lower")

TOP_FIELDS = ("format_version", "rubric", "applicant", "assessment", "key_themes", "profile", "clauses", "results",
              "improvements")
ASSESSMENT_FIELDS = ("date", "stage", "assessors", "cycle")
CLAUSE_FIELDS = ("score", "proposed", "independent", "previous_score", "self_score", "factors", "strengths", "ofis", "evidence",
                 "evidence_files", "notes", "narrative")
KPI_FIELDS = ("clause", "name", "unit", "better", "target", "values", "comparisons")
NARRATIVE = "narrative"  # the 自评报告's text: a clause's field, and a key under profile beside the prompts
THEME_KINDS = ("process_strengths", "process_ofis", "results_strengths", "results_ofis")
THEME_FIELDS = ("text", "clauses")


@dataclass
class ClauseRating:
    """What the assessor recorded for one clause (or individual-award indicator).

    In a consensus document, ``independent`` holds each assessor's own score
    and ``proposed`` marks a score that is the median proposed for the
    consensus discussion, not yet agreed.
    """

    score: int | None = None
    factors: dict[str, str] = field(default_factory=dict)
    strengths: list[Comment] = field(default_factory=list)
    ofis: list[Comment] = field(default_factory=list)
    evidence: list[Comment] = field(default_factory=list)
    evidence_files: list[EvidenceFile] = field(default_factory=list)  # the clause's 证实性材料 (qkit.evidence)
    notes: str = ""
    narrative: str = ""  # the 自评报告's text for this clause, in the markup of qkit.markup
    independent: dict[str, int | None] = field(default_factory=dict)
    proposed: bool = False
    previous_score: int | None = None  # the score of the previous cycle, while this one is reviewed (待复核)
    self_score: int | None = None  # in a round's document: the team's own score of the clause in its application


@dataclass
class KeyTheme:
    """One of the few most important strengths or OFIs of the whole application, with the clauses it draws on."""

    text: str
    clauses: list[str]


@dataclass
class KPI:
    """A key performance indicator supporting one results clause."""

    clause: str
    name: str
    unit: str = ""
    better: str = "higher"
    target: float | None = None
    values: dict[int, float] = field(default_factory=dict)
    comparisons: dict[str, dict[int, float]] = field(default_factory=dict)


@dataclass
class Assessment:
    rubric: str
    applicant: dict[str, Any]
    assessment: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, str] = field(default_factory=dict)
    clauses: dict[str, ClauseRating] = field(default_factory=dict)
    results: list[KPI] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    profile_narrative: str = ""  # the 自评报告's text for the profile (profile/narrative in the file)
    key_themes: dict[str, list[KeyTheme]] = field(default_factory=dict)
    improvements: list[Action] = field(default_factory=list)  # the improvement plan (``qkit.plan``)

    @property
    def name(self) -> str:
        return str(self.applicant.get("name", ""))

    def rating(self, clause_id: str) -> ClauseRating:
        return self.clauses.get(clause_id) or ClauseRating()

    def kpis(self, clause_id: str) -> list[KPI]:
        return [k for k in self.results if k.clause == clause_id]

    def to_data(self) -> dict[str, Any]:
        """Plain data in the document's field order, ready for YAML or JSON."""
        data = asdict(self)
        data = {key: data[key] for key in TOP_FIELDS}
        data["assessment"] = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.assessment.items()}
        data["clauses"] = {cid: {k: v for k, v in c.items() if v not in (None, "", [], {}, False)}
                           for cid, c in data["clauses"].items()}
        for cid, rating in self.clauses.items():  # comments with their authors, as the document lists them
            for kind in ("strengths", "ofis", "evidence"):
                if getattr(rating, kind):
                    data["clauses"][cid][kind] = [c.to_data() if isinstance(c, Comment) else c
                                                  for c in getattr(rating, kind)]
            if rating.evidence_files:
                data["clauses"][cid]["evidence_files"] = [e.to_data() for e in rating.evidence_files]
        data["results"] = [{k: v for k, v in kpi.items() if v not in (None, "", {})} for kpi in data["results"]]
        if self.profile_narrative:
            data["profile"] = {**data["profile"], NARRATIVE: self.profile_narrative}
        data["improvements"] = [action.to_data() for action in self.improvements]
        for key in ("profile", "key_themes", "improvements"):
            if not data[key]:
                del data[key]
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_data(), allow_unicode=True, sort_keys=False, width=1000)


def _band_key(value: Any) -> str:
    """Accept the ways people write a band: 50-65, 50–65, 50%-65%."""
    return str(value).replace("%", "").replace("–", "-").replace("～", "-").replace(" ", "")


class _Checker(PlanChecks):
    """Walks raw document data against a rubric, each field checked by the value checks it needs."""

    def __init__(self, index: RubricIndex):
        super().__init__()
        self.index = index

    # --- the document's parts -------------------------------------------------

    def document(self, data: Any) -> Assessment | None:
        if not isinstance(data, dict):
            self.add("", "not_mapping", data)
            return None
        self.mapping(data, "", TOP_FIELDS)
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            self.add("format_version", "format_version", version, allowed=[FORMAT_VERSION])
        rubric_id = data.get("rubric")
        rubric = None
        if rubric_id is None:
            self.add("rubric", "required")
        elif str(rubric_id) not in self.index.paths:
            self.add("rubric", "unknown_rubric", rubric_id, allowed=self.index.ids)
        else:
            rubric = self.index.load(str(rubric_id))
        # before the rubric is known, any kind's applicant fields are allowed
        fields = rubric.applicant_fields if rubric else tuple(dict.fromkeys(
            f for kind in rubric_kinds() for f in kind.applicant_fields))
        applicant = dict(self.mapping(data.get("applicant"), "applicant", fields))
        if "applicant" not in data:
            self.add("applicant", "required")
        else:
            for key in ["name", *(k for k, v in applicant.items() if k != "name" and isinstance(v, str))]:
                found = len(self.problems)
                self.text(applicant.get(key), f"applicant/{key}", required=key == "name")
                if len(self.problems) > found:
                    applicant.pop(key, None)  # left out of a partial document, as every invalid value is
        if "employees" in applicant and applicant["employees"] is not None:
            if isinstance(applicant["employees"], bool) or not isinstance(applicant["employees"], int):
                self.add("applicant/employees", "not_integer", applicant["employees"])
        assessment = self.assessment(data.get("assessment"))
        if rubric is None:
            return None
        profile, narrative = self.profile(data.get("profile"), rubric)
        clauses = self.clauses(data.get("clauses"), rubric)
        results = self.results(data.get("results"), rubric)
        self.citations(narrative, clauses, results, rubric)
        themes = self.key_themes(data.get("key_themes"), rubric)
        plan = self.improvements(data.get("improvements"), rubric, results)
        return Assessment(str(rubric_id), applicant, assessment, profile, clauses, results,
                          profile_narrative=narrative, key_themes=themes, improvements=plan)

    def assessment(self, value: Any) -> dict[str, Any]:
        raw = self.mapping(value, "assessment", ASSESSMENT_FIELDS)
        out: dict[str, Any] = {}
        if raw.get("date") is not None:
            date = self.date(raw["date"], "assessment/date")
            if date is not None:
                out["date"] = date
        if raw.get("stage") is not None:
            out["stage"] = self.text(raw["stage"], "assessment/stage")
        if raw.get("cycle") is not None:
            out["cycle"] = self.text(raw["cycle"], "assessment/cycle")
        if "assessors" in raw:
            out["assessors"] = [str(name) for name in self.texts(raw["assessors"], "assessment/assessors")]
        return out

    def profile(self, value: Any, rubric: OrganizationRubric | IndividualRubric) -> tuple[dict[str, str], str]:
        """The prompts' texts, and the profile's narrative."""
        if rubric.profile is None:
            if value:
                self.add("profile", "no_profile")
            return {}, ""
        prompts = [p.id for p in rubric.profile.prompts]
        raw = self.mapping(value, "profile")
        out, narrative = {}, ""
        for key, text in raw.items():
            if str(key) == NARRATIVE:
                narrative = self.text(text, f"profile/{NARRATIVE}")
            elif str(key) not in prompts:
                self.add(f"profile/{key}", "unknown_prompt", allowed=[*prompts, NARRATIVE])
            else:
                out[str(key)] = self.text(text, f"profile/{key}")
        return out, narrative

    def clauses(self, value: Any, rubric: OrganizationRubric | IndividualRubric) -> dict[str, ClauseRating]:
        by_id = {c.id: c for c in rubric.clauses}
        item_of = {c.id: item.id for item in rubric.items for c in item.clauses}
        numbered: dict[str, str] = {}  # evidence numbers, each with where it is first given
        out = {}
        for key, raw in self.mapping(value, "clauses").items():
            cid = str(key)
            where = f"clauses/{cid}"
            if cid not in by_id:
                self.add(where, "unknown_clause", allowed=list(by_id))
                continue
            raw = self.mapping(raw, where, CLAUSE_FIELDS)
            out[cid] = ClauseRating(
                score=self.score(raw.get("score"), f"{where}/score"),
                factors=self.factors(raw.get("factors"), f"{where}/factors", rubric, by_id[cid]),
                strengths=self.texts(raw.get("strengths"), f"{where}/strengths"),
                ofis=self.texts(raw.get("ofis"), f"{where}/ofis"),
                evidence=self.texts(raw.get("evidence"), f"{where}/evidence"),
                evidence_files=self.evidence_files(raw.get("evidence_files"), f"{where}/evidence_files", item_of[cid],
                                                   numbered),
                notes=self.text(raw.get("notes"), f"{where}/notes"),
                narrative=self.text(raw.get(NARRATIVE), f"{where}/{NARRATIVE}"),
                independent={str(name): self.score(s, f"{where}/independent/{name}")
                             for name, s in self.mapping(raw.get("independent"), f"{where}/independent").items()
                             if self.writable(str(name), f"{where}/independent/{name}")},
                proposed=self.flag(raw.get("proposed"), f"{where}/proposed"),
                previous_score=self.score(raw.get("previous_score"), f"{where}/previous_score"),
                self_score=self.score(raw.get("self_score"), f"{where}/self_score"),
            )
        return out

    def evidence_files(self, value: Any, where: str, item_id: str, numbered: dict[str, str]) -> list[EvidenceFile]:
        """A clause's evidence files: each numbered in its item (5.3-2) and once in the document, with a title, a
        date, an owner and its file's name (a path in the evidence folder, of a kind ``qkit.evidence`` accepts)."""
        out = []
        for at, raw in self.entries(value, where, EVIDENCE_FIELDS):
            found = len(self.problems)
            number = self.text(raw.get("number"), f"{at}/number", required=True)
            if number and item_of_number(number) != item_id:
                self.add(f"{at}/number", "evidence_number", number, item=item_id, next=next_number(item_id, numbered))
            elif number in numbered:
                self.add(f"{at}/number", "evidence_number_twice", number, first=numbered[number],
                         next=next_number(item_id, numbered))
            if number:
                numbered.setdefault(number, at)
            title = self.text(raw.get("title"), f"{at}/title", required=True)
            date = None
            if raw.get("date") in (None, ""):
                self.add(f"{at}/date", "required")
            else:
                date = self.date(raw["date"], f"{at}/date")
            owner = self.text(raw.get("owner"), f"{at}/owner", required=True)
            name = self.text(raw.get("file"), f"{at}/file", required=True)
            path = PurePosixPath(name.replace("\\", "/"))
            if name and (path.is_absolute() or ".." in path.parts):
                self.add(f"{at}/file", "evidence_path", name)
            elif name and (wrong_kind := kind_problem(name, f"{at}/file")):
                self.problems.append(wrong_kind)
            sha256 = self.text(raw.get("sha256"), f"{at}/sha256")
            if sha256 and not re.fullmatch(r"[0-9a-f]{64}", sha256):
                self.add(f"{at}/sha256", "evidence_sha256", sha256)
            if len(self.problems) == found:
                out.append(EvidenceFile(number, title, date, owner, name, sha256))
        return out

    def key_themes(self, value: Any, rubric) -> dict[str, list[KeyTheme]]:
        """The application's key themes by kind, each citing clauses the standard has."""
        ids = [c.id for c in rubric.clauses]
        out = {}
        for kind, entries in self.mapping(value, "key_themes", THEME_KINDS).items():
            where = f"key_themes/{kind}"
            if str(kind) not in THEME_KINDS:
                continue
            themes = []
            for at, raw in self.entries(entries, where, THEME_FIELDS):
                text = self.text(raw.get("text"), f"{at}/text", required=True)
                cited = [str(c) for c in (raw.get("clauses") or [])] if isinstance(raw.get("clauses") or [], list) \
                    else [str(raw.get("clauses"))]
                for cid in cited:
                    if cid not in ids:
                        self.add(f"{at}/clauses", "unknown_clause", cid, allowed=ids)
                if not cited:
                    self.add(f"{at}/clauses", "theme_clauses")
                if text:
                    themes.append(KeyTheme(text, cited))
            out[str(kind)] = themes
        return out

    def citations(self, profile: str, clauses: dict[str, ClauseRating], results: list[KPI], rubric) -> None:
        """Every [[KPI:…]] and [[图:…]] in a narrative must name a KPI, every [[表:…]] a clause with KPIs, every
        [[证据:…]] an evidence file's number, every [[插图:…]] an image's, on a line of its own."""
        names = [k.name for k in results]
        tables = [c.id for c in rubric.results_clauses if any(k.clause == c.id for k in results)]
        files = {e.number: e for c in clauses.values() for e in c.evidence_files}
        texts = [(f"profile/{NARRATIVE}", profile)]
        texts += [(f"clauses/{cid}/{NARRATIVE}", c.narrative) for cid, c in clauses.items()]
        for where, text in texts:
            for cite in markup.citations(text):
                if cite.kind is None:
                    self.add(where, "cite_kind", cite.source, allowed=list(markup.CITE_KINDS))
                elif cite.kind == markup.TABLE and cite.id not in tables:
                    self.add(where, "cite_table", cite.source, id=cite.id, allowed=tables or ["—"])
                elif cite.kind in (markup.EVIDENCE, markup.IMAGE):
                    if cite.id not in files:
                        self.add(where, "cite_evidence", cite.source, id=cite.id, allowed=list(files) or ["—"])
                    elif cite.kind == markup.IMAGE and not files[cite.id].image:
                        self.add(where, "cite_image", cite.source, id=cite.id)
                elif cite.kind != markup.TABLE and cite.id not in names:
                    self.add(where, "cite_kpi", cite.source, id=cite.id)
            for cite in markup.inline_images(text):
                self.add(where, "cite_image_inline", cite.source)

    def factors(self, value: Any, where: str, rubric, clause) -> dict[str, str]:
        allowed = rubric.factors_of(clause)
        if not allowed:
            if value:
                self.add(where, "no_factors")
            return {}
        bands = [b.key for b in rubric.dimension(clause).bands]
        out = {}
        for key, band in self.mapping(value, where).items():
            if str(key) not in allowed:
                self.add(f"{where}/{key}", "unknown_factor", allowed=allowed)
            elif band is None or band == "":
                continue
            elif _band_key(band) not in bands:
                self.add(f"{where}/{key}", "factor_band", band, allowed=bands)
            else:
                out[str(key)] = _band_key(band)
        return out

    def results(self, value: Any, rubric) -> list[KPI]:
        targets = [c.id for c in rubric.results_clauses]
        out = []
        for where, raw in self.entries(value, "results", KPI_FIELDS):
            if not raw:
                continue
            clause = str(raw.get("clause", ""))
            if "clause" not in raw:
                self.add(f"{where}/clause", "required")
            elif clause not in targets:
                self.add(f"{where}/clause", "results_clause", raw["clause"], allowed=targets)
            name = self.text(raw.get("name"), f"{where}/name", required=True)
            better = raw.get("better", "higher")
            if better not in BETTER:
                self.add(f"{where}/better", "better", better)
            values = self.series(raw.get("values"), f"{where}/values")
            if not values and not any(p.field.startswith(f"{where}/values") for p in self.problems):
                self.add(f"{where}/values", "kpi_no_values")
            comparisons = {
                str(series): self.series(points, f"{where}/comparisons/{series}")
                for series, points in self.mapping(raw.get("comparisons"), f"{where}/comparisons").items()
                if self.writable(str(series), f"{where}/comparisons/{series}")
            }
            out.append(KPI(clause, name, self.text(raw.get("unit"), f"{where}/unit"), better,
                           self.number(raw.get("target"), f"{where}/target"), values, comparisons))
        return out


def check(data: Any, index: RubricIndex | None = None) -> tuple[Assessment | None, list[Problem]]:
    """Check raw document data; the Assessment is returned only when there are no problems."""
    doc, problems = check_partial(data, index)
    return (None if problems else doc), problems


def check_partial(data: Any, index: RubricIndex | None = None) -> tuple[Assessment | None, list[Problem]]:
    """Check raw data and keep the document built from its valid parts.

    A form scores while the user is still typing: a wrong field is left out
    of this document (and reported) instead of hiding the whole score.
    """
    checker = _Checker(index or RubricIndex.scan())
    return checker.document(data), checker.problems


def load(path: str | Path, index: RubricIndex | None = None) -> Assessment:
    """Read and check a document file; any problem raises QkitError listing them all."""
    return from_data(parse_yaml(read_text(path), str(path)), index)


def from_data(data: Any, index: RubricIndex | None = None) -> Assessment:
    doc, problems = check(data, index)
    if problems:
        raise QkitError(problems)
    return doc
