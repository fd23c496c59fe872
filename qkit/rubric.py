"""The award standards as validated data.

A rubric is loaded from one YAML file in ``rubrics/`` (or a user directory,
``qkit.rubric_files``) and checked against the models below at load, so the rest of qkit can trust that
points add up, ids are unique and every band is well formed. The format is
documented in ``rubrics/README.md``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


STEP = 5


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str
    en: str

    def __call__(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


class Document(_Model):
    title: str
    number: str = ""


class Titled(_Model):
    id: str
    title: str
    title_en: str

    def name(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title


def translated(zh: str, en: str, lang: str = "zh") -> str:
    """A text of the standard in the language asked for: qkit's English translation when there is one, else the
    standard's Chinese, which stays authoritative (views mark the English as a translation)."""
    return en if lang == "en" and en else zh


class Requirement(Titled):
    """A sub-point a)–d) of a process clause, or a prompt of the profile."""

    text: str
    text_en: str = ""  # qkit's translation; the Chinese is the standard's text

    def body(self, lang: str = "zh") -> str:
        return translated(self.text, self.text_en, lang)


class Profile(Titled):
    intro: str
    prompts: list[Requirement]
    intro_en: str = ""  # qkit's translation

    def introduction(self, lang: str = "zh") -> str:
        return translated(self.intro, self.intro_en, lang)

    @property
    def subpoints(self) -> list[Requirement]:
        """What a narrative of the profile should address: its prompts a)–d)."""
        return self.prompts


class Clause(Titled):
    kind: Literal["process", "results"]
    points: int = Field(gt=0)
    lead: str = ""
    requirements: list[Requirement] = []
    description: str = ""
    lead_en: str = ""  # qkit's translations
    description_en: str = ""

    def lead_text(self, lang: str = "zh") -> str:
        return translated(self.lead, self.lead_en, lang)

    @property
    def translated(self) -> bool:
        """Whether qkit has an English translation of what the clause asks."""
        return bool(self.lead_en or self.description_en or any(r.text_en for r in self.requirements))

    def description_text(self, lang: str = "zh") -> str:
        return translated(self.description, self.description_en, lang)

    @property
    def subpoints(self) -> list[Requirement]:
        """What a clause's narrative should address: a process clause's a)–d); a results clause names none."""
        return self.requirements

    @model_validator(mode="after")
    def _shape(self) -> "Clause":
        if self.kind == "process" and (not self.requirements or self.description):
            raise ValueError(f"process clause {self.id} needs requirements a)–d) and no description")
        if self.kind == "results" and (self.requirements or not self.description):
            raise ValueError(f"results clause {self.id} needs a description and no requirements")
        return self


class Item(Titled):
    points: int = Field(gt=0)
    overview: str
    clauses: list[Clause]
    overview_en: str = ""  # qkit's translation

    @property
    def overview_id(self) -> str:
        """The overview's own number in the standard (5.2.1 概述): an unscored clause x.1 of every item."""
        return f"{self.id}.1"

    def overview_text(self, lang: str = "zh") -> str:
        return translated(self.overview, self.overview_en, lang)

    @model_validator(mode="after")
    def _sums(self) -> "Item":
        total = sum(c.points for c in self.clauses)
        if total != self.points:
            raise ValueError(f"clause points of item {self.id} add up to {total}, not {self.points}")
        for clause in self.clauses:
            if not clause.id.startswith(self.id + "."):
                raise ValueError(f"clause {clause.id} does not belong to item {self.id}")
        return self


class Factor(_Model):
    id: str
    zh: str
    en: str
    definition: str
    definition_en: str = ""  # qkit's translation; the Chinese is the standard's text

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def explained(self, lang: str = "zh") -> str:
        """The definition in the language asked for, when a translation exists; else the Chinese."""
        return self.definition_en if lang == "en" and self.definition_en else self.definition


class Band(_Model):
    """A score band such as 50–65 %: its 5 % steps are the scores it allows."""

    min: int = Field(ge=0, le=100)
    max: int = Field(ge=0, le=100)
    label: str
    descriptors: dict[str, str] = {}
    descriptors_en: dict[str, str] = {}  # qkit's translation of each descriptor; the Chinese is authoritative

    @model_validator(mode="after")
    def _steps(self) -> "Band":
        if self.min > self.max or self.min % STEP or self.max % STEP:
            raise ValueError(f"band {self.min}–{self.max} must run upward in {STEP}% steps")
        if self.descriptors_en and sorted(self.descriptors_en) != sorted(self.descriptors):
            raise ValueError(f"band {self.key}: descriptors_en must translate exactly the descriptors")
        return self

    def descriptor(self, factor_id: str, lang: str = "zh") -> str:
        """A factor's descriptor in the language asked for, when a translation exists; else the Chinese."""
        if lang == "en" and factor_id in self.descriptors_en:
            return self.descriptors_en[factor_id]
        return self.descriptors.get(factor_id, "")

    @property
    def key(self) -> str:
        """The band as factor ratings name it: ``"50-65"``."""
        return f"{self.min}-{self.max}"

    @property
    def steps(self) -> list[int]:
        return list(range(self.min, self.max + 1, STEP))

    def __contains__(self, score: float) -> bool:
        return self.min <= score <= self.max


def _check_bands(bands: list[Band], factors: list[str], where: str) -> None:
    ordered = sorted(bands, key=lambda b: b.min)
    if ordered[0].min != 0 or ordered[-1].max != 100:
        raise ValueError(f"{where}: bands must cover 0 to 100")
    for low, high in zip(ordered, ordered[1:]):
        if high.min != low.max + STEP:
            raise ValueError(f"{where}: bands {low.key} and {high.key} leave a gap or overlap")
    for band in ordered:
        if sorted(band.descriptors) != sorted(factors):
            raise ValueError(f"{where}: band {band.key} must describe exactly the factors {factors}")


class Dimension(_Model):
    """One scoring table: A.1 (process, ADLI) or A.2 (results, LeTCI)."""

    table: str
    intro: str
    factors: list[Factor]
    bands: list[Band]
    table_en: str = ""  # qkit's translations; the Chinese is the standard's text
    intro_en: str = ""

    def caption(self, lang: str = "zh") -> str:
        """The table's name in the language asked for, when a translation exists; else the Chinese."""
        return self.table_en if lang == "en" and self.table_en else self.table

    @model_validator(mode="after")
    def _bands(self) -> "Dimension":
        _check_bands(self.bands, [f.id for f in self.factors], self.table)
        return self

    @property
    def factor_ids(self) -> list[str]:
        return [f.id for f in self.factors]

    def band_of(self, score: float) -> Band:
        """The band a percentage falls in; between two bands the lower one."""
        return max((b for b in self.bands if b.min <= score), key=lambda b: b.min)

    def band(self, key: str) -> Band:
        return next(b for b in self.bands if b.key == key)


class Guidelines(_Model):
    id: str
    title: str
    provenance: list[str] = []
    process: Dimension
    results: Dimension

    def dimension(self, kind: str) -> Dimension:
        return self.process if kind == "process" else self.results


class _RubricBase(_Model):
    """What every standard has; the two kinds below differ only through these members.

    ``words`` names the i18n keys for what this kind of standard calls its
    parts (an item or an indicator group, a clause or an indicator, an
    applicant organization or a nominee), so no view branches on the kind;
    ``applicant_form`` is the prefix of the form's labels of the applicant's
    details (``wb_applicant_name`` or ``wb_nominee_name``).
    """

    id: str
    award: Text
    category: Text
    short: Text | None = None  # the award and category in a few words (长江奖制造类, Hubei Manufacturing)
    document: Document
    provenance: list[str]
    total_points: int

    applicant_fields: ClassVar[tuple[str, ...]]
    words: ClassVar[dict[str, str]]

    def title(self, lang: str = "zh") -> str:
        return f"{self.award(lang)} · {self.category(lang)}"

    def short_title(self, lang: str = "zh") -> str:
        """The award and category in a few words, where room is short (an Excel sheet's name: 31 characters)."""
        return self.short(lang) if self.short else self.title(lang)

    @property
    def lowest_band(self) -> Band:
        return min(self.bands, key=lambda b: b.min)

    def clause(self, clause_id: str):
        """The clause (or indicator) with this id, or None."""
        return next((c for c in self.clauses if c.id == clause_id), None)


class OrganizationRubric(_RubricBase):
    """An organization award: items of process and results clauses, scored with the guidelines' tables."""

    kind: Literal["organization"]
    guidelines: Guidelines
    profile: Profile
    items: list[Item]

    applicant_fields: ClassVar[tuple[str, ...]] = ("name", "short_name", "industry", "location", "employees",
                                                   "contact")
    words: ClassVar[dict[str, str]] = {"item": "item", "clause": "clause", "applicant": "applicant",
                                       "profile_tab": "wb_profile_tab", "maturity": "maturity",
                                       "applicant_form": "wb_applicant", "missing": "wb_missing",
                                       "all_scored": "wb_all_scored", "notes": "wb_notes"}

    @model_validator(mode="after")
    def _totals(self) -> "OrganizationRubric":
        total = sum(i.points for i in self.items)
        if total != self.total_points:
            raise ValueError(f"item points add up to {total}, not {self.total_points}")
        ids = [i.id for i in self.items] + [c.id for c in self.clauses]
        duplicates = sorted({x for x in ids if ids.count(x) > 1})
        if duplicates:
            raise ValueError(f"duplicate ids: {duplicates}")
        return self

    @property
    def clauses(self) -> list[Clause]:
        return [c for item in self.items for c in item.clauses]

    def dimension(self, clause: Clause) -> Dimension:
        """The scoring table a clause is rated on: A.1 for process clauses, A.2 for results."""
        return self.guidelines.dimension(clause.kind)

    def factors_of(self, clause: Clause) -> list[str]:
        return self.dimension(clause).factor_ids

    def clause_band(self, clause: Clause, score: float | None) -> Band | None:
        """The band of a clause's score in the clause's own scoring table (A.1 or A.2); None when unscored."""
        return None if score is None else self.dimension(clause).band_of(score)

    @property
    def bands(self) -> list[Band]:
        """The bands a total is placed in (those of the process table; A.2 has the same ranges)."""
        return self.guidelines.process.bands

    def band_of(self, percent: float) -> Band:
        return self.guidelines.process.band_of(percent)

    def maturity_descriptors(self, band: Band) -> dict[str, dict[str, str]]:
        """The process and results descriptors of a maturity band, by factor."""
        return {"process": dict(band.descriptors),
                "results": dict(self.guidelines.results.band(band.key).descriptors)}

    def below_described(self, score: int | None) -> Band | None:
        """Every score has a described band in the organization awards."""
        return None

    @property
    def results_clauses(self) -> list[Clause]:
        """The clauses KPIs support: the results clauses."""
        return [c for c in self.clauses if c.kind == "results"]

    def results_band_of(self, percent: float) -> Band:
        """A share of results read in the bands of table A.2."""
        return self.guidelines.results.band_of(percent)

    def hints_for(self, clause: Clause, has_kpis: bool) -> bool:
        """Every results clause gets a data hint, even one with no KPIs (that says so)."""
        return clause.kind == "results"


class Indicator(Titled):
    points: int = Field(gt=0)
    contents: list[str]
    evaluation_points: list[str]
    descriptors: list[str]
    contents_en: list[str] = []  # qkit's translations, one for each Chinese text
    evaluation_points_en: list[str] = []
    descriptors_en: list[str] = []

    @model_validator(mode="after")
    def _translations(self) -> "Indicator":
        for name in ("contents", "evaluation_points", "descriptors"):
            english = getattr(self, f"{name}_en")
            if english and len(english) != len(getattr(self, name)):
                raise ValueError(f"indicator {self.id}: {name}_en must translate each of its {name}")
        return self

    @property
    def translated(self) -> bool:
        """Whether qkit has an English translation of what the indicator asks."""
        return bool(self.contents_en or self.evaluation_points_en or self.descriptors_en)

    def texts(self, name: str, lang: str = "zh") -> list[str]:
        """Its contents, evaluation points or descriptors in the language asked for (qkit's translation)."""
        english = getattr(self, f"{name}_en")
        return english if lang == "en" and english else getattr(self, name)

    @property
    def kind(self) -> str:
        return "indicator"

    @property
    def subpoints(self) -> list[Requirement]:
        """What an indicator's narrative should address: its evaluation points, lettered a, b, c as in the source."""
        english = self.evaluation_points_en or self.evaluation_points
        return [Requirement(id=chr(ord("a") + i), title=point, title_en=english[i], text="")
                for i, point in enumerate(self.evaluation_points)]


class Group(Titled):
    points: int = Field(gt=0)
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _sums(self) -> "Group":
        total = sum(i.points for i in self.indicators)
        if total != self.points:
            raise ValueError(f"indicator points of group {self.id} add up to {total}, not {self.points}")
        return self

    @property
    def clauses(self) -> list[Indicator]:
        """The indicators, under the name organization items use for their clauses."""
        return self.indicators


class IndividualRubric(_RubricBase):
    """The individual award: indicator groups whose indicators have described score bands, no factors."""

    kind: Literal["individual"]
    bands: list[Band]
    groups: list[Group]

    applicant_fields: ClassVar[tuple[str, ...]] = ("name", "short_name", "organization", "position", "location",
                                                   "contact")
    # the standard describes bands per indicator only: the total's band is qkit's summary of them
    words: ClassVar[dict[str, str]] = {"item": "group", "clause": "indicator", "applicant": "applicant_person",
                                       "profile_tab": "wb_person_tab", "maturity": "overall_level",
                                       "applicant_form": "wb_nominee", "missing": "wb_missing_indicators",
                                       "all_scored": "wb_all_scored_indicators", "notes": "wb_notes_indicator"}
    profile: ClassVar[None] = None  # no organizational profile

    @model_validator(mode="after")
    def _totals(self) -> "IndividualRubric":
        total = sum(g.points for g in self.groups)
        if total != self.total_points:
            raise ValueError(f"group points add up to {total}, not {self.total_points}")
        ids = [i.id for i in self.clauses]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate indicator ids: {ids}")
        ordered = sorted(self.bands, key=lambda b: b.min)
        for low, high in zip(ordered, ordered[1:]):
            if high.min != low.max + STEP:
                raise ValueError(f"bands {low.key} and {high.key} leave a gap or overlap")
        if ordered[-1].max != 100:
            raise ValueError("the highest band must end at 100")
        for ind in self.clauses:
            if len(ind.descriptors) != len(self.bands):
                raise ValueError(f"indicator {ind.id} needs one descriptor per band ({len(self.bands)})")
        return self

    @property
    def items(self) -> list[Group]:
        return self.groups

    @property
    def clauses(self) -> list[Indicator]:
        return [i for g in self.groups for i in g.indicators]

    def dimension(self, clause: Indicator) -> None:
        """Indicators have no factor table."""
        return None

    def factors_of(self, clause: Indicator) -> list[str]:
        return []

    def clause_band(self, clause: Indicator, score: float | None) -> Band | None:
        """The described band of an indicator's score; None when unscored or below the lowest band."""
        return None if score is None else self.band_of(score)

    def band_of(self, score: float) -> Band | None:
        """The described band a percentage falls in, or None below the lowest."""
        fitting = [b for b in self.bands if b.min <= score]
        return max(fitting, key=lambda b: b.min) if fitting else None

    def maturity_descriptors(self, band: Band) -> dict[str, dict[str, str]]:
        """The standard describes bands per indicator only, not for the total."""
        return {}

    def below_described(self, score: int | None) -> Band | None:
        """The lowest described band, when a score lies below it."""
        return self.lowest_band if score is not None and score < self.lowest_band.min else None

    @property
    def results_clauses(self) -> list[Indicator]:
        """Any indicator may be supported by KPIs."""
        return self.clauses

    def results_band_of(self, percent: float) -> Band | None:
        return self.band_of(percent)

    def hints_for(self, clause: Indicator, has_kpis: bool) -> bool:
        """Only indicators with KPIs get a data hint; most indicators are not about results."""
        return has_kpis


Rubric = Annotated[Union[OrganizationRubric, IndividualRubric], Field(discriminator="kind")]


def rubric_kinds() -> tuple[type[OrganizationRubric], type[IndividualRubric]]:
    """The kinds of standard qkit knows."""
    return OrganizationRubric, IndividualRubric
