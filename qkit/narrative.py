"""The 自评报告 as data: how long each part is against its limit, and which sub-points it seems to leave out.

The narrative of the profile (``profile/narrative``) and of each clause
(``clauses/<id>/narrative``) is what an applicant submits. This module
measures it for the writer, so that every view (``qkit validate``, the Word
and HTML reports, the web form) shows the same numbers:

- **Length** in Word's 字数 (``qkit.markup.count_words``), for the profile,
  each clause, each item (its clauses together) and the whole report, against
  the limits of a limits file (``load_limits``; qkit ships ``limits.yaml``).
  Over a limit is a warning, never an error.
- **Coverage hint**: for each sub-point a)–d) of a process clause (the
  evaluation points of an individual-award indicator, the prompts of the
  profile), whether the narrative appears to address it. The sub-point's
  keywords are the two-character sequences of Chinese text in its title and
  text, less those made with a function word (的, 和, 与 …) and a few words every
  requirement uses (组织, 包括, 建立 …). The sub-point counts as addressed when
  the narrative names it by its title (发展方向) or uses at least ``MIN_SHARE``
  of its keywords. A hint for the writer, read from words alone: it never
  touches a score.
- **References**: the numbers of the KPI tables (表5.7-1) and trend charts
  (图5.7-1) that citations point to, counted item by item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import markup
from .document import NARRATIVE
from .reading import parse_yaml, read_text
from .errors import Problem, QkitError
from .i18n import Named, fmt_value, join_list, paren, tr
from .resources import LIMITS

if TYPE_CHECKING:
    import pandas as pd

    from .document import KPI, Assessment
    from .evidence import EvidenceFile
    from .rubric import IndividualRubric, OrganizationRubric, Requirement

DEFAULT_LIMITS = LIMITS
LIMIT_KEYS = ("report", "overview", "figure")
OLD_KEYS = ("total", "profile", "item", "clause")  # the earlier format's keys, refused with how to rewrite them
FIGURE_WORDS = 400  # the 字 a figure counts for when a limits file does not say (see limits.yaml: why)
GUIDE_STEP = 50  # guidance is rounded to this many 字
MAX_YEARS = 6  # columns of years in a KPI table
DEFAULT_SECTION = "default"
PART_ID = re.compile(r"^\d+(\.\d+)*$")

MIN_SHARE = 0.3
# characters that make a two-character sequence a function-word pair rather than a keyword
STOP_CHARS = frozenset("的了和与或等以其并把被于之将在是而也即从这那各每该此着")
# words nearly every requirement uses: they say nothing about which sub-point a text addresses
STOP_WORDS = frozenset((
    "组织", "包括", "以及", "进行", "通过", "相关", "有效", "实现", "确保", "能够", "根据", "基于", "方面",
    "情况", "提高", "提升", "建立", "实施", "开展", "形成", "加强", "推进", "持续", "适宜", "要求", "利用",
    "采用", "采取", "识别", "确定", "明确", "充分", "不断", "积极", "全面", "系统", "合理", "主要", "关键",
    "重要", "相应", "具有", "有关", "结合", "不同", "其他", "必要", "方法", "活动", "机制",
))


def keywords(text: str) -> tuple[str, ...]:
    """The keywords of a requirement: its Chinese two-character sequences, function words and common words left out."""
    found: dict[str, None] = {}
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]+", text):
        run = "".join("|" if ch in STOP_CHARS else ch for ch in run)
        for word in STOP_WORDS & {run[i:i + 2] for i in range(len(run) - 1)}:
            run = run.replace(word, "||")
        for piece in run.split("|"):
            found.update((piece[i:i + 2], None) for i in range(len(piece) - 1))
    return tuple(found)


@dataclass(frozen=True)
class SubpointCoverage(Named):
    """How much of one sub-point's vocabulary a narrative uses."""

    id: str
    title: str
    title_en: str
    keywords: tuple[str, ...]
    found: tuple[str, ...]
    named: bool = False  # the narrative names the sub-point by its title

    @property
    def share(self) -> float:
        return len(self.found) / len(self.keywords) if self.keywords else 1.0

    @property
    def addressed(self) -> bool:
        return self.named or self.share >= MIN_SHARE

    def label(self, lang: str = "zh") -> str:
        """As the standards write a sub-point: a）发展方向."""
        return f"{self.id}) {self.name(lang)}" if lang == "en" else f"{self.id}）{self.name(lang)}"


def coverage(text: str, subpoints: list[Requirement]) -> tuple[SubpointCoverage, ...]:
    """Each sub-point's keywords and those the narrative (plain text) uses; empty when there is no narrative."""
    if not text.strip():
        return ()
    out = []
    for point in subpoints:
        words = keywords(f"{point.title}：{point.text}")
        out.append(SubpointCoverage(point.id, point.title, point.title_en, words,
                                    tuple(w for w in words if w in text), point.title in text))
    return tuple(out)


# --- limits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """One standard's limits in Word's 字数 (None: no limit), as the published notices set them.

    ``report`` is the 自评报告: every clause's text, tables and figures (the
    profile apart); ``overview`` the 组织概述 (the profile, 5.1), counted apart;
    ``figure`` the 字 each figure counts for; ``ids`` an item's or clause's own
    limit. An item or clause without one has guidance instead (``guide``): its
    share of ``report`` by its points, never a limit.
    """

    report: int | None = None
    overview: int | None = None
    figure: int = FIGURE_WORDS
    ids: dict[str, int | None] = field(default_factory=dict)
    source: str = ""  # the limits file, for messages

    def of_item(self, item_id: str) -> int | None:
        return self.ids.get(item_id)

    def of_clause(self, clause_id: str) -> int | None:
        return self.ids.get(clause_id)

    def of_profile(self, profile_id: str) -> int | None:
        return self.ids.get(profile_id, self.overview)

    def guide(self, points: int, total_points: int) -> int | None:
        """The words a part worth ``points`` of ``total_points`` is given of the report, to the nearest 50."""
        if self.report is None or not total_points:
            return None
        return max(GUIDE_STEP, round(self.report * points / total_points / GUIDE_STEP) * GUIDE_STEP)


@dataclass(frozen=True)
class LimitsFile:
    """A limits file: a section per standard, and ``default`` for the others."""

    path: Path
    sections: dict[str, dict[str, int | None]]

    def for_rubric(self, rubric_id: str) -> Limits:
        """The standard's own section over the default section, key by key."""
        merged = {**self.sections.get(DEFAULT_SECTION, {}), **self.sections.get(rubric_id, {})}
        named = {k: merged[k] for k in LIMIT_KEYS if k in merged}
        if named.get("figure") is None:
            named.pop("figure", None)
        ids = {k: v for k, v in merged.items() if k not in LIMIT_KEYS}
        return Limits(**named, ids=ids, source=str(self.path))


def _limit(value: Any, where: str, problems: list[Problem], least: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        problems.append(Problem(where, "limit_value" if least else "figure_value", value))
        return None
    return value


def load_limits(path: str | Path | None = None) -> LimitsFile:
    """Read and check a limits file (the shipped one when None); QkitError names every problem, and says how to
    rewrite a file of the earlier format (total, profile, item, clause)."""
    path = Path(path) if path is not None else DEFAULT_LIMITS
    data = parse_yaml(read_text(path), str(path))
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise QkitError(Problem(str(path), "not_mapping", data))
    sections: dict[str, dict[str, int | None]] = {}
    for name, raw in data.items():
        where = f"{path.name}: {name}"
        if not isinstance(raw, dict):
            problems.append(Problem(where, "not_mapping", raw))
            continue
        section: dict[str, int | None] = {}
        for key, value in raw.items():
            key = str(key)
            if key in OLD_KEYS:
                problems.append(Problem(f"{where}/{key}", "limit_old_key", params={"old": key}))
            elif key not in LIMIT_KEYS and not PART_ID.match(key):
                problems.append(Problem(f"{where}/{key}", "limit_key", params={"allowed": [*LIMIT_KEYS, "5.3", "5.3.2"]}))
            else:
                section[key] = _limit(value, f"{where}/{key}", problems, least=0 if key == "figure" else 1)
        sections[str(name)] = section
    if problems:
        raise QkitError(problems)
    return LimitsFile(path, sections)


def limits_of(limits: Limits | LimitsFile | None, rubric_id: str) -> Limits:
    """A standard's limits from a limits file, or the shipped file's when None."""
    return limits if isinstance(limits, Limits) else (limits or load_limits()).for_rubric(rubric_id)


# --- references: table and figure numbers --------------------------------------------------


@dataclass(frozen=True)
class References:
    """Tables and figures numbered per item, and the evidence files by number.

    Numbers are ``5.7-1`` (views write 表5.7-1, 图5.7-1): the item, then the
    place within it, in the standard's clause order: in each clause the tables
    and images its narrative places, then its KPI table and the trend chart of
    each KPI in the document's KPI order. The profile (5.1) numbers its own.
    """

    tables: dict[str, str]  # clause id -> the number of its KPI table
    figures: dict[int, str]  # index of the KPI in the document's results -> number
    by_name: dict[str, int]  # KPI name -> index of its first KPI
    placed: dict[tuple[str, int], str] = field(default_factory=dict)  # (part id, block's place) -> number
    evidence: dict[str, EvidenceFile] = field(default_factory=dict)  # number -> evidence file

    def figure_of(self, name: str) -> str | None:
        index = self.by_name.get(name)
        return None if index is None else self.figures.get(index)

    def cite(self, cite: markup.Cite, lang: str = "zh") -> str:
        """A citation as the report prints it: 客户端百万件不良率（见图5.7-1）, 图5.7-1, 表5.7-1, 证据5.3-2."""
        if cite.kind == markup.TABLE:
            number = self.tables.get(cite.id)
            return tr("ref_table", lang, number=number) if number else cite.id
        if cite.kind in (markup.EVIDENCE, markup.IMAGE):
            return tr("ref_evidence", lang, number=cite.id) if cite.id in self.evidence else cite.id
        number = self.figure_of(cite.id)
        if number is None:
            return cite.id
        if cite.kind == markup.FIGURE:
            return tr("ref_figure", lang, number=number)
        return tr("ref_kpi", lang, name=cite.id, figure=tr("ref_figure", lang, number=number))


def references(doc: Assessment, rubric: OrganizationRubric | IndividualRubric) -> References:
    tables: dict[str, str] = {}
    figures: dict[int, str] = {}
    placed: dict[tuple[str, int], str] = {}
    counts = {"table": 0, "image": 0}

    def place(part_id: str, text: str, prefix: str) -> None:
        for i, block in enumerate(markup.parse(text)):
            if block.kind in counts:
                counts[block.kind] += 1
                placed[(part_id, i)] = f"{prefix}-{counts[block.kind]}"

    if rubric.profile is not None:
        place(rubric.profile.id, doc.profile_narrative, rubric.profile.id)
    for item in rubric.items:
        counts.update(table=0, image=0)
        for clause in item.clauses:
            place(clause.id, doc.rating(clause.id).narrative, item.id)
            indexes = [i for i, k in enumerate(doc.results) if k.clause == clause.id]
            if not indexes:
                continue
            counts["table"] += 1
            tables[clause.id] = f"{item.id}-{counts['table']}"
            for i in indexes:
                counts["image"] += 1
                figures[i] = f"{item.id}-{counts['image']}"
    by_name: dict[str, int] = {}
    for i, kpi in enumerate(doc.results):
        by_name.setdefault(kpi.name, i)
    evidence = {e.number: e for rating in doc.clauses.values() for e in rating.evidence_files}
    return References(tables, figures, by_name, placed, evidence)


def image_caption(refs: References, part_id: str, place: int, block: markup.Block, lang: str = "zh") -> str:
    """A placed image's caption: 图5.3-1 and its own caption, else its evidence file's title."""
    title = block.image.caption or (refs.evidence[block.image.id].title if block.image.id in refs.evidence else "")
    return f"{tr('ref_figure', lang, number=refs.placed.get((part_id, place), ''))} {title}".strip()


def table_caption(refs: References, part_id: str, place: int, block: markup.Block, lang: str = "zh") -> str:
    """A placed table's caption: 表5.3-1 and the caption written above it."""
    return f"{tr('ref_table', lang, number=refs.placed.get((part_id, place), ''))} {block.caption}".strip()


# --- what a part shows besides its text: tables and figures, counted as Word counts them ---------------------


def kpi_table(kpis: list[KPI], lang: str = "zh") -> tuple[list[str], list[list[str]], set[int]]:
    """A clause's KPI table as the 自评报告 sets it: the header, one row per KPI (our values by year and the
    target) and one per comparison series beneath it; and the rows that are our own KPIs."""
    years = sorted({y for k in kpis for series in [k.values, *k.comparisons.values()] for y in series})[-MAX_YEARS:]
    header = [tr("col_kpi", lang), tr("col_unit", lang), *[str(y) for y in years], tr("col_target", lang)]
    rows, own = [], set()
    for kpi in kpis:
        name = paren(kpi.name, "↓", lang) if kpi.better == "lower" else kpi.name
        own.add(len(rows))
        rows.append([name, kpi.unit, *[fmt_value(kpi.values[y]) if y in kpi.values else "" for y in years],
                     fmt_value(kpi.target) if kpi.target is not None else ""])
        for series, points in kpi.comparisons.items():
            rows.append([f"　{series}", kpi.unit, *[fmt_value(points[y]) if y in points else "" for y in years], ""])
    return header, rows, own


def kpi_caption(refs: References, clause_id: str, title: str, lang: str = "zh") -> str:
    """A KPI table's caption: 表5.7-1 产品和服务质量：关键绩效指标."""
    return tr("kpi_table_caption", lang, table=tr("ref_table", lang, number=refs.tables[clause_id]), title=title)


@dataclass(frozen=True)
class Exhibits:
    """What a part shows besides its text, in Word's 字数: its tables (captions and cells) and its figures
    (each counted as the limits' ``figure`` 字, its caption beside it)."""

    tables: int = 0  # words of the tables, captions included
    figures: int = 0  # how many figures
    figure_words: int = 0  # what the figures count for, captions included

    @property
    def words(self) -> int:
        return self.tables + self.figure_words


def exhibits(doc: Assessment | None, part, text: str, refs: References, per_figure: int) -> Exhibits:
    """What a part (the profile or a clause) shows besides its text, as the Word file shows it, counted: the tables
    and images its narrative places, then a clause's KPI table and trend charts."""
    tables = figures = figure_words = 0
    for place, block in enumerate(markup.parse(text)):
        if block.kind == "table":
            tables += sum(markup.count_words(t) for t in [table_caption(refs, part.id, place, block),
                                                          *markup.cell_texts(block)])
        elif block.kind == "image":
            figures += 1
            figure_words += per_figure + markup.count_words(image_caption(refs, part.id, place, block))
    indexed = [(i, k) for i, k in enumerate(doc.results) if k.clause == part.id] if doc is not None else []
    if indexed:
        header, rows, _ = kpi_table([k for _, k in indexed])
        tables += markup.count_words(kpi_caption(refs, part.id, part.title)) + \
            sum(markup.count_words(cell) for cell in header + [c for row in rows for c in row])
        figures += len(indexed)
        figure_words += sum(per_figure + markup.count_words(f"{tr('ref_figure', number=refs.figures[i])} {k.name}")
                            for i, k in indexed)
    return Exhibits(tables, figures, figure_words)


# --- the status of the writing ------------------------------------------------------------


@dataclass(frozen=True)
class PartStatus(Named):
    """The profile or one clause (indicator): its narrative, length, limit or guidance, and coverage hint.

    ``words`` is all the part counts for: its text, its tables and its
    figures (``shown``). ``limit`` is a limit (over it is a warning);
    ``guide`` the part's share of the report by its points (over it, a note).
    """

    id: str
    title: str
    title_en: str
    field: str  # where the narrative is in the document: profile/narrative, clauses/5.3.2/narrative
    text: str
    words: int
    limit: int | None
    coverage: tuple[SubpointCoverage, ...]
    guide: int | None = None
    shown: Exhibits = Exhibits()

    @property
    def written(self) -> bool:
        return bool(self.text.strip())

    @property
    def over(self) -> bool:
        return self.limit is not None and self.words > self.limit

    @property
    def beyond_guide(self) -> bool:
        return self.guide is not None and self.words > self.guide

    @property
    def unaddressed(self) -> list[SubpointCoverage]:
        """The sub-points the narrative does not appear to address (none while nothing is written)."""
        return [c for c in self.coverage if not c.addressed]

    def warning(self) -> Problem | None:
        if not self.over:
            return None
        code = "narrative_over" if self.field.startswith("clauses/") else "narrative_over_overview"
        return Problem(self.field, code, params=_counts(self.id, self.words, self.limit))


@dataclass(frozen=True)
class ItemStatus(Named):
    id: str
    title: str
    title_en: str
    parts: tuple[PartStatus, ...]
    limit: int | None
    guide: int | None = None

    @property
    def words(self) -> int:
        return sum(p.words for p in self.parts)

    @property
    def over(self) -> bool:
        return self.limit is not None and self.words > self.limit

    @property
    def beyond_guide(self) -> bool:
        return self.guide is not None and self.words > self.guide


@dataclass(frozen=True)
class WritingStatus:
    """The application's writing: the 组织概述 (the profile), and the 自评报告's parts, items and whole, each
    counted with its tables and figures."""

    profile: PartStatus | None
    items: tuple[ItemStatus, ...]
    limits: Limits

    @property
    def parts(self) -> list[PartStatus]:
        """The profile (when the standard has one) and every clause, in order."""
        return ([self.profile] if self.profile else []) + [p for item in self.items for p in item.parts]

    def part(self, part_id: str) -> PartStatus | None:
        return next((p for p in self.parts if p.id == part_id), None)

    @property
    def words(self) -> int:
        """The 自评报告's words: every clause's text, tables and figures; the 组织概述 is counted apart."""
        return sum(item.words for item in self.items)

    @property
    def limit(self) -> int | None:
        return self.limits.report

    @property
    def over(self) -> bool:
        return self.limit is not None and self.words > self.limit

    @property
    def written(self) -> list[PartStatus]:
        return [p for p in self.parts if p.written]

    @property
    def warnings(self) -> list[Problem]:
        """Every limit exceeded, as problems to show (never errors): the parts, then the items, then the report."""
        out = [w for p in self.parts if (w := p.warning())]
        out += [Problem("clauses", "narrative_over_item", params=_counts(i.id, i.words, i.limit))
                for i in self.items if i.over]
        if self.over:
            out.append(Problem("", "narrative_over_total", params=_counts("", self.words, self.limit)))
        return out

    @property
    def hinted(self) -> list[PartStatus]:
        """The written parts with sub-points that seem left out."""
        return [p for p in self.parts if p.unaddressed]


def _counts(where: str, words: int, limit: int | None) -> dict[str, str]:
    return {"where": where, "n": f"{words:,}", "limit": f"{limit:,}"}


def part_status(part, field_path: str, text: str, limit: int | None, guide: int | None = None,
                shown: Exhibits = Exhibits()) -> PartStatus:
    """One part's status from its rubric entry (the profile, a clause or an indicator), its narrative and what it
    shows besides (``shown``)."""
    plain = markup.plain_text(text)
    return PartStatus(part.id, part.title, part.title_en, field_path, text, markup.count_words(plain) + shown.words,
                      limit, coverage(plain, part.subpoints), guide, shown)


def _total_points(rubric: OrganizationRubric | IndividualRubric) -> int:
    return sum(item.points for item in rubric.items)


def part_writing(doc: Assessment | None, rubric: OrganizationRubric | IndividualRubric, limits: Limits,
                 part_id: str, text: str, refs: References | None = None) -> PartStatus | None:
    """One part's status with ``text`` as its narrative (as typed, in the web form), its tables and figures
    numbered as in ``doc`` (``refs``, worked out when not given; none while there is no document); None for a
    part the standard lacks."""
    refs = refs or (references(doc, rubric) if doc is not None else References({}, {}, {}))
    if rubric.profile is not None and part_id == rubric.profile.id:
        return part_status(rubric.profile, f"profile/{NARRATIVE}", text, limits.of_profile(part_id),
                           shown=exhibits(doc, rubric.profile, text, refs, limits.figure))
    clause = rubric.clause(part_id)
    if clause is None:
        return None
    limit = limits.of_clause(clause.id)
    return part_status(clause, f"clauses/{clause.id}/{NARRATIVE}", text, limit,
                       None if limit is not None else limits.guide(clause.points, _total_points(rubric)),
                       exhibits(doc, clause, text, refs, limits.figure))


def writing_status(doc: Assessment, rubric: OrganizationRubric | IndividualRubric,
                   limits: Limits | LimitsFile | None = None) -> WritingStatus:
    """The status of every part of a document's narrative, against ``limits`` (the shipped ones when None)."""
    limits = limits_of(limits, rubric.id)
    refs = references(doc, rubric)
    profile = None
    if rubric.profile is not None:
        profile = part_writing(doc, rubric, limits, rubric.profile.id, doc.profile_narrative, refs)
    total = _total_points(rubric)
    items = tuple(
        ItemStatus(item.id, item.title, item.title_en,
                   tuple(part_writing(doc, rubric, limits, c.id, doc.rating(c.id).narrative, refs)
                         for c in item.clauses),
                   limits.of_item(item.id),
                   None if limits.of_item(item.id) is not None else limits.guide(item.points, total))
        for item in rubric.items)
    return WritingStatus(profile, items, limits)


WRITING_COLUMNS = ("part", "words", "exhibits", "limit", "unaddressed")


def writing_frame(status: WritingStatus, lang: str = "zh") -> tuple[pd.DataFrame, list[int]]:
    """The writing status as a table for the reports: the 组织概述 first, then each item (its clauses together)
    followed by its clauses, the 自评报告 as a whole last; and the rows that are items or the whole (to set off).

    Words read ``3,412（超出）`` over a limit, ``1,612（多于参考）`` beyond guidance and ``（尚未撰写）`` for a
    part not written yet; the limit column gives a limit, or guidance as ``约 1,500（参考）``.
    """
    import pandas as pd  # here, not above: the web form counts narratives as they are typed without pandas

    def limit(value: int | None, guide: int | None = None) -> str:
        if value is None and guide is not None:
            return paren(tr("about_words", lang, n=f"{guide:,}"), tr("guide", lang), lang)
        return tr("no_limit", lang) if value is None else f"{value:,}"

    def words(n: int, over: bool, beyond: bool = False) -> str:
        return paren(f"{n:,}", tr("over_limit", lang), lang) if over else \
            paren(f"{n:,}", tr("beyond_guide", lang), lang) if beyond else f"{n:,}"

    def shown(found: Exhibits) -> str:
        return exhibits_text(found, lang) if found.words else ""

    def part_row(part: PartStatus) -> list[str]:
        return [f"{part.id} {part.name(lang)}",
                words(part.words, part.over, part.beyond_guide) if part.written or part.shown.words else
                tr("not_written", lang), shown(part.shown), limit(part.limit, part.guide),
                join_list([c.label(lang) for c in part.unaddressed], lang)]

    rows, totals = [], []
    if status.profile:
        rows.append(part_row(status.profile))
        rows[-1][0] = paren(rows[-1][0], tr("overview_apart", lang), lang)
    for item in status.items:
        totals.append(len(rows))
        rows.append([f"{item.id} {item.name(lang)}", words(item.words, item.over, item.beyond_guide), "",
                     limit(item.limit, item.guide), ""])
        rows += [part_row(part) for part in item.parts]
    totals.append(len(rows))
    rows.append([tr("writing_total", lang), words(status.words, status.over), "", limit(status.limit), ""])
    return pd.DataFrame(rows, columns=[tr(f"col_{c}", lang) for c in WRITING_COLUMNS]), totals


def exhibits_text(found: Exhibits, lang: str = "zh") -> str:
    """What a part's tables and figures count for: 表格 84 字，图 2 幅 822 字."""
    parts = []
    if found.tables:
        parts.append(tr("exhibit_tables", lang, n=f"{found.tables:,}"))
    if found.figures:
        parts.append(tr("exhibit_figures", lang, figures=found.figures, n=f"{found.figure_words:,}"))
    return ("，" if lang != "en" else ", ").join(parts)
