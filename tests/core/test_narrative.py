"""The 自评报告's narrative: markup, Word's 字数, citations checked against the KPIs, limits and the coverage hint."""

from __future__ import annotations

import copy

import pytest
import yaml

from support.documents import full_document, SAMPLES, write_yaml, HUAKE
from qkit import document, from_data, load, load_rubric, values
from qkit.errors import QkitError
from qkit.markup import citations, count_words, parse, plain_text, word_count
from qkit.narrative import (DEFAULT_LIMITS, Limits, coverage, keywords, kpi_table, load_limits, references,
                            writing_status)
from qkit.template import render

GUANGGU = SAMPLES / "wuhan-manufacturing-guanggu.yaml"


def raw(path=HUAKE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- Word's 字数 -------------------------------------------------------------------------


@pytest.mark.parametrize("text, n", [
    ("你好，世界。", 6),  # each Chinese character and each Chinese punctuation mark
    ("ISO 9001:2015 认证", 4),  # a run of Latin letters or digits is one word, however long
    ("ERP、MES、PLM", 5),
    ("营业收入51.3亿元", 7),  # 营业收入 4, 51.3 1, 亿元 2
    ("3%–5% 的年度降价", 6),
    ("2021—2025年", 4),  # the em dash counts as Chinese punctuation
    ("Quality award self-assessment", 3),
    ("- -- … ", 1),  # punctuation alone is no word; the ellipsis is Chinese punctuation
    ("", 0),
    ("　全角空格　不计", 6),  # the ideographic space is a space
])
def test_count_words_counts_as_words_zi_shu(text, n):
    assert count_words(text) == n


def test_word_count_leaves_the_markup_out():
    text = "**华科精密**是专精特新企业。\n\n- 使命：精密制造\n- 愿景：国内领先\n\n见[[KPI:客户端PPM]]。"
    assert plain_text(text) == "华科精密是专精特新企业。\n使命：精密制造\n愿景：国内领先\n见客户端PPM。"
    assert word_count(text) == count_words(plain_text(text)) == 12 + 7 + 7 + 6


# --- markup ------------------------------------------------------------------------------


def test_paragraphs_lists_and_bold():
    blocks = parse("第一段第一行\n第一段第二行 with\nLatin\n\n- 第一项 **加粗** 文字\n- 第二项\n  接续\n\n第二段")
    assert [b.kind for b in blocks] == ["paragraph", "list", "paragraph"]
    (first,) = blocks[0].entries
    assert "".join(r.text for r in first) == "第一段第一行第一段第二行 with Latin"  # no space inside Chinese
    items = blocks[1].entries
    assert len(items) == 2
    assert [(r.text, r.bold) for r in items[0]] == [("第一项 ", False), ("加粗", True), (" 文字", False)]
    assert "".join(r.text for r in items[1]) == "第二项接续"


def test_a_paragraph_followed_by_a_list_without_a_blank_line():
    blocks = parse("文化架构如下：\n- 使命\n- 愿景")
    assert [b.kind for b in blocks] == ["paragraph", "list"]


def test_an_unpaired_bold_marker_is_text():
    (block,) = parse("**加粗** 和 **未闭合")
    runs = block.entries[0]
    assert [(r.text, r.bold) for r in runs] == [("加粗", True), (" 和 **未闭合", False)]


def test_citations_are_parsed_with_their_kind():
    found = citations("见[[KPI:客户端百万件不良率]]、[[图:营业收入]]、[[FIG:OEE]]、[[表:5.7.4]]、[[table:5.2.4]]、[[X:y]]")
    assert [(c.kind, c.id) for c in found] == [("kpi", "客户端百万件不良率"), ("figure", "营业收入"), ("figure", "OEE"),
                                               ("table", "5.7.4"), ("table", "5.2.4"), (None, "y")]
    (block,) = parse("**见[[KPI:营业收入]]**")
    cite_run = block.entries[0][1]
    assert cite_run.cite.id == "营业收入" and cite_run.bold and cite_run.text == "营业收入"


# --- the document ----------------------------------------------------------------------


def test_samples_carry_narratives_that_round_trip():
    doc = load(HUAKE)
    assert doc.profile_narrative.startswith("**华科精密**")
    assert "（四）契合时代" in doc.rating("5.2.2").narrative
    data = doc.to_data()
    assert data["profile"]["narrative"] == doc.profile_narrative
    assert set(data["profile"]) == {"a", "b", "c", "d", "narrative"}
    assert data["clauses"]["5.3.2"]["narrative"] == doc.rating("5.3.2").narrative
    again = from_data(yaml.safe_load(doc.to_yaml()))
    assert again.profile_narrative == doc.profile_narrative and again.rating("5.7.4").narrative


@pytest.mark.parametrize("path", [HUAKE, GUANGGU], ids=lambda p: p.stem)
def test_samples_cite_kpis_that_exist_and_are_within_the_default_limits(path):
    doc = load(path)
    status = writing_status(doc, load_rubric(doc.rubric))
    assert len(status.written) >= 5 and status.profile.written
    assert status.warnings == []
    cited = [c for p in status.written for c in citations(p.text)]
    assert len(cited) >= 5


def test_a_citation_of_a_missing_kpi_names_the_clause_and_the_id():
    data = raw()
    data["clauses"]["5.3.2"]["narrative"] = "新能源配套收入占比见[[KPI:新能源收入占比]]。"
    data["profile"]["narrative"] = "营业收入见[[图:营收]]。"
    _, problems = document.check(data)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"clauses/5.3.2/narrative", "profile/narrative"}
    problem = by_field["clauses/5.3.2/narrative"]
    assert problem.code == "cite_kpi" and problem.value == "[[KPI:新能源收入占比]]"
    assert "新能源收入占比" in problem.render() and problem.render().startswith("clauses/5.3.2/narrative：")
    assert "新能源收入占比" in problem.render("en")


def test_a_table_citation_needs_a_clause_with_kpis_and_a_kind_must_be_known():
    data = raw()
    data["clauses"]["5.2.2"]["narrative"] = "见[[表:5.2.2]]，以及[[图表:营业收入]]和[[表:5.7.4]]。"
    _, problems = document.check(data)
    assert [(p.field, p.code) for p in problems] == [("clauses/5.2.2/narrative", "cite_table"),
                                                    ("clauses/5.2.2/narrative", "cite_kind")]
    assert "5.7.4" in problems[0].render()  # the clauses that do have a table
    assert "KPI" in problems[1].render()


def test_a_narrative_is_text_within_the_text_limit():
    data = raw()
    data["clauses"]["5.2.2"]["narrative"] = ["不是", "文字"]
    data["profile"]["narrative"] = "长" * (values.MAX_TEXT + 1)
    _, problems = document.check(data)
    assert {(p.field, p.code) for p in problems} == {("clauses/5.2.2/narrative", "not_text"),
                                                     ("profile/narrative", "too_long")}


def test_an_unknown_profile_key_lists_the_narrative_as_allowed():
    data = raw()
    data["profile"]["e"] = "多余"
    _, problems = document.check(data)
    assert [p.code for p in problems] == ["unknown_prompt"] and "narrative" in problems[0].render()


def test_the_individual_award_has_narratives_per_indicator_but_no_profile():
    rubric = load_rubric("wuhan-individual")
    data = full_document(rubric, 70)
    data["clauses"]["2.1"]["narrative"] = "带领团队推动形成独特的质量文化，注重质量人才培养。"
    doc = from_data(data)
    assert doc.rating("2.1").narrative
    status = writing_status(doc, rubric)
    assert status.profile is None and [p.id for p in status.written] == ["2.1"]
    data["profile"] = {"narrative": "个人奖没有组织环境"}
    _, problems = document.check(data)
    assert [p.code for p in problems] == ["no_profile"]


def test_the_template_shows_where_to_write_the_narratives():
    organization = render(load_rubric("hubei-service"))
    assert organization.count("narrative:") == 1 + len(load_rubric("hubei-service").clauses)
    assert "自评报告" in organization and "[[KPI:" in organization
    individual = render(load_rubric("wuhan-individual"))
    assert individual.count("narrative:") == 6
    for text in (organization, individual):  # a blank narrative reads as none
        doc, problems = document.check_partial(yaml.safe_load(text))
        assert [p.field for p in problems] == ["applicant/name"]


# --- limits -----------------------------------------------------------------------------


# The published figures (award notices: Hubei Changjiang Quality Award 2010, the Wuhan Mayor Quality Award's 申报表,
# Shenzhen 2016): the 自我评价报告 at most 30,000 字 including figures and tables, the 组织概述 3,000 字 apart.
PUBLISHED_REPORT, PUBLISHED_OVERVIEW = 30000, 3000


def test_the_shipped_limits_are_the_published_figures_with_their_sources():
    assert DEFAULT_LIMITS.name == "limits.yaml" and DEFAULT_LIMITS.parent.name == "qkit"
    limits = load_limits()
    for rubric in ("hubei-manufacturing", "hubei-service", "hubei-education", "hubei-medical", "wuhan-manufacturing",
                   "wuhan-service"):
        organization = limits.for_rubric(rubric)
        assert (organization.report, organization.overview) == (PUBLISHED_REPORT, PUBLISHED_OVERVIEW)
        assert organization.figure == 400 and organization.ids == {}
    assert limits.for_rubric("wuhan-individual").report == 10000
    text = DEFAULT_LIMITS.read_text(encoding="utf-8")
    settings = [line for line in text.splitlines() if not line.startswith("#") and ":" in line]
    report, overview, figure, individual = (line for line in settings if line.startswith("  "))
    assert report.split("#")[0].split() == ["report:", "30000"]  # each number with its source beside it
    assert "湖北省长江质量奖申报通知（2010）" in report and "武汉市市长质量奖申报表" in report
    assert overview.split("#")[0].split() == ["overview:", "3000"] and "组织概述" in overview
    assert "qkit 的选择" in figure and "qkit 的选择" in individual
    assert "报告文字含图表不超过30000字" in text and "GB/Z 19579" in text


def test_clauses_and_items_get_guidance_in_proportion_to_their_points():
    rubric = load_rubric("hubei-manufacturing")
    doc = from_data(full_document(rubric, 60))
    status = writing_status(doc, rubric)
    guides = {p.id: p.guide for item in status.items for p in item.parts}
    assert guides["5.2.2"] == 1500 and guides["5.3.3"] == 1200 and guides["5.6.2"] == 1350  # 50, 40, 45 of 1000 points
    assert guides["5.2.4"] == 2400 and {p.limit for item in status.items for p in item.parts} == {None}
    assert [i.guide for i in status.items] == [5400, 5100, 5100, 4500, 5100, 4800]
    assert sum(i.guide for i in status.items) == PUBLISHED_REPORT
    assert status.profile.limit == PUBLISHED_OVERVIEW and status.profile.guide is None
    individual = load_rubric("wuhan-individual")
    assert writing_status(from_data(full_document(individual, 70)), individual).part("2.1").guide == 3000  # 30 of 100


def test_a_limits_file_sets_standards_items_and_clauses(tmp_path):
    path = write_yaml(tmp_path / "字数.yaml", {"default": {"report": 20000, "figure": 0, "5.3.2": 1500},
                                                "hubei-manufacturing": {"overview": 2000, "5.3": None, "5.4": 4000}})
    limits = load_limits(path).for_rubric("hubei-manufacturing")
    assert (limits.report, limits.overview, limits.figure) == (20000, 2000, 0)
    assert limits.of_clause("5.3.2") == 1500 and limits.of_clause("5.3.3") is None
    assert limits.of_item("5.3") is None and limits.of_item("5.4") == 4000
    service = load_limits(path).for_rubric("hubei-service")
    assert service.overview is None and service.of_item("5.4") is None
    status = writing_status(load(HUAKE), load_rubric("hubei-manufacturing"), limits)
    assert status.part("5.3.2").limit == 1500 and status.part("5.3.2").guide is None  # a limit replaces the guidance
    assert status.part("5.3.3").guide == 800  # 40 of 1000 points of 20,000
    assert status.part("5.7.4").shown.figures == 5 and status.part("5.7.4").shown.figure_words < 100  # captions only
    assert next(i for i in status.items if i.id == "5.4").limit == 4000


def test_a_wrong_limits_file_names_every_problem(tmp_path):
    path = write_yaml(tmp_path / "bad.yaml", {"default": {"report": -5, "reports": 3000, "overview": "三千",
                                                          "figure": -1},
                                              "hubei-service": [1, 2]})
    with pytest.raises(QkitError) as caught:
        load_limits(path)
    found = {(p.field, p.code) for p in caught.value.problems}
    assert found == {("bad.yaml: default/report", "limit_value"), ("bad.yaml: default/reports", "limit_key"),
                     ("bad.yaml: default/overview", "limit_value"), ("bad.yaml: default/figure", "figure_value"),
                     ("bad.yaml: hubei-service", "not_mapping")}
    with pytest.raises(QkitError) as caught:
        load_limits(tmp_path / "missing.yaml")
    assert caught.value.problems[0].code == "file_missing"


def test_a_limits_file_of_the_earlier_format_is_refused_with_how_to_rewrite_it(tmp_path):
    old = write_yaml(tmp_path / "旧.yaml", {"default": {"total": 50000, "profile": 5000, "item": 8000, "clause": 3000}})
    with pytest.raises(QkitError) as caught:
        load_limits(old)
    problems = caught.value.problems
    assert [(p.field, p.code) for p in problems] == [(f"旧.yaml: default/{k}", "limit_old_key")
                                                     for k in ("total", "profile", "item", "clause")]
    message = problems[0].render()
    assert "“total”是旧版" in message and "report" in message and "overview" in message and "30000" in message
    assert "earlier format" in problems[0].render("en")


def test_over_a_limit_is_a_warning_and_beyond_guidance_a_note():
    rubric = load_rubric("hubei-manufacturing")
    data = full_document(rubric, 60)
    data["profile"] = {"narrative": "概" * 3412}
    data["clauses"]["5.3.2"]["narrative"] = "战" * 1600
    data["clauses"]["5.3.3"]["narrative"] = "施" * 1000
    doc = from_data(data)
    status = writing_status(doc, rubric)
    assert [w.message() for w in status.warnings] == ["5.1 组织概述 3,412/3,000 字"]
    assert status.warnings[0].field == "profile/narrative"
    assert status.warnings[0].message("en") == "5.1 organizational overview 3,412/3,000 words"
    part = status.part("5.3.2")
    assert (part.words, part.limit, part.guide, part.over, part.beyond_guide) == (1600, None, 1500, False, True)
    assert not status.part("5.3.3").beyond_guide and status.part("5.2.2").words == 0
    assert status.words == 2600  # the report: the overview is counted apart
    tight = writing_status(doc, rubric, Limits(report=2500, overview=None, ids={"5.3": 2000}))
    assert [w.message() for w in tight.warnings] == ["5.3 合计 2,600/2,000 字", "自评报告（含图表）2,600/2,500 字"]


def test_tables_and_figures_count_toward_the_report():
    doc = load(HUAKE)
    rubric = load_rubric(doc.rubric)
    part = writing_status(doc, rubric).part("5.7.4")
    kpis = doc.kpis("5.7.4")
    header, rows, _ = kpi_table(kpis)
    cells = sum(count_words(c) for c in header + [c for row in rows for c in row])
    caption = count_words("表5.7-1 质量提升的结果：关键绩效指标")
    assert part.shown.tables == cells + caption
    figure_captions = sum(count_words(f"图5.7-{i} {k.name}") for i, k in enumerate(kpis, 1))
    assert part.shown.figures == len(kpis) and part.shown.figure_words == 400 * len(kpis) + figure_captions
    assert part.words == word_count(doc.rating("5.7.4").narrative) + part.shown.tables + part.shown.figure_words
    no_figures = writing_status(doc, rubric, Limits(report=30000, figure=0)).part("5.7.4")
    assert part.words - no_figures.words == 400 * len(kpis)
    assert writing_status(doc, rubric).part("5.7.3").shown.words == 0  # a process clause shows no KPIs


# --- the coverage hint --------------------------------------------------------------------


def test_keywords_leave_function_words_and_common_words_out():
    words = keywords("发展方向：组织识别发展环境和社会期望，确立适宜的使命和愿景，清晰指引未来长远发展方向。")
    assert {"发展", "方向", "环境", "社会", "期望", "使命", "愿景", "未来"} <= set(words)
    assert not {"组织", "识别", "适宜", "宜的", "境和"} & set(words)


def test_a_narrative_that_covers_one_sub_point_leaves_the_others_hinted():
    clause = load_rubric("hubei-manufacturing").clause("5.2.2")
    text = "公司结合发展环境和社会期望，确立使命和愿景，为未来长远发展指明方向。"
    found = {c.id: c.addressed for c in coverage(text, clause.subpoints)}
    assert found == {"a": True, "b": False, "c": False, "d": False}
    named = coverage(text + "在可持续发展方面，公司设立创新基金。", clause.subpoints)
    assert [c.id for c in named if c.addressed] == ["a", "c"]  # c is named by its title


def test_no_narrative_no_hint_and_results_clauses_have_no_sub_points():
    rubric = load_rubric("hubei-manufacturing")
    assert coverage("", rubric.clause("5.2.2").subpoints) == ()
    assert rubric.clause("5.2.4").subpoints == []
    assert [p.id for p in rubric.clause("5.2.2").subpoints] == ["a", "b", "c", "d"]
    indicator = load_rubric("wuhan-individual").clause("2.1")
    assert [p.id for p in indicator.subpoints] == ["a", "b", "c"][:len(indicator.evaluation_points)]
    assert indicator.subpoints[0].title == indicator.evaluation_points[0]


def test_the_samples_hints_point_at_the_sub_points_left_out():
    for path, expected in ((HUAKE, {"5.7.3": ["c"]}), (GUANGGU, {"5.2.2": ["d"]})):
        doc = load(path)
        status = writing_status(doc, load_rubric(doc.rubric))
        assert {p.id: [c.id for c in p.unaddressed] for p in status.hinted} == expected


def test_the_status_gives_a_form_what_it_shows_per_clause():
    doc = load(HUAKE)
    part = writing_status(doc, load_rubric(doc.rubric)).part("5.7.3")
    assert part.field == "clauses/5.7.3/narrative" and part.written
    assert part.words == word_count(doc.rating("5.7.3").narrative) and part.limit is None and not part.over
    assert part.guide == 1200 and not part.beyond_guide  # 40 of 1,000 points of the 30,000 字
    assert [c.label() for c in part.unaddressed] == ["c）质量深化"]
    assert [c.label("en") for c in part.unaddressed] == ["c) Deepening quality management"]


# --- references ---------------------------------------------------------------------------


def test_tables_and_figures_are_numbered_per_item_and_citations_read_as_references():
    doc = load(HUAKE)
    refs = references(doc, load_rubric(doc.rubric))
    assert refs.tables["5.2.4"] == "5.2-1" and refs.tables["5.7.4"] == "5.7-1"
    assert refs.figure_of("营业收入") == "5.2-1" and refs.figure_of("客户端百万件不良率") == "5.7-1"
    kpi, figure, table = citations("[[KPI:客户端百万件不良率]][[图:准时交付率]][[表:5.7.4]]")
    assert refs.cite(kpi) == "客户端百万件不良率（见图5.7-1）"
    assert refs.cite(figure) == "图5.7-3" and refs.cite(table) == "表5.7-1"
    assert refs.cite(figure, "en") == "Figure 5.7-3"


# --- qkit validate --------------------------------------------------------------------------


def test_validate_warns_over_limits_and_still_passes(cli, tmp_path):
    data = raw()
    data["profile"]["narrative"] = "概况" * 1706
    data["clauses"]["5.3.2"]["narrative"] = "战略" * 8000
    path = write_yaml(tmp_path / "长.yaml", data)
    code, out, err = cli("validate", path)
    assert code == 0 and err == ""
    assert "自评报告超出字数限制 2 处" in out and "  - 5.1 组织概述 3,412/3,000 字" in out
    report = writing_status(load(path), load_rubric("hubei-manufacturing")).words
    assert report > PUBLISHED_REPORT and f"  - 自评报告（含图表）{report:,}/30,000 字" in out
    assert "处多于参考字数" in out and "5.3.2" in out.split("处多于参考字数")[1].splitlines()[0]
    code, out, _ = cli("validate", path, "--lang", "en")
    assert code == 0 and "5.1 organizational overview 3,412/3,000 words" in out and "beyond their guidance" in out


def test_validate_takes_a_limits_file(cli, tmp_path):
    limits = write_yaml(tmp_path / "limits.yaml", {"default": {**{c: 400 for c in load(HUAKE).clauses}}})
    code, out, _ = cli("validate", HUAKE, "--limits", limits)
    assert code == 0
    over = [line for line in out.splitlines() if line.startswith("  - ")]
    status = writing_status(load(HUAKE), load_rubric("hubei-manufacturing"))
    expected = [p.id for p in status.parts[1:] if p.words > 400]  # tables and figures count too
    assert over and [line.split()[1] for line in over] == expected
    assert "5.2.4" in expected and word_count(load(HUAKE).rating("5.2.4").narrative) < 400
    bad = write_yaml(tmp_path / "bad.yaml", {"default": {"overview": 0}})
    code, _, err = cli("validate", HUAKE, "--limits", bad)
    assert code == 1 and "bad.yaml: default/overview" in err
    old = write_yaml(tmp_path / "old.yaml", {"default": {"clause": 3000}})
    code, _, err = cli("validate", HUAKE, "--limits", old)
    assert code == 1 and "old.yaml: default/clause" in err and "旧版" in err and "Traceback" not in err


def test_validate_notes_the_coverage_hint_and_lists_it_with_coverage(cli):
    code, out, _ = cli("validate", HUAKE)
    assert code == 0 and "1 处叙述可能未涉及某些要点；加 --coverage 查看" in out
    code, out, _ = cli("validate", HUAKE, GUANGGU, "--coverage")
    assert code == 0
    assert "  - 5.7.3 产品和服务质量：c）质量深化" in out and "  - 5.2.2 引领发展：d）契合时代" in out


def test_validate_fails_on_a_citation_of_nothing(cli, tmp_path):
    data = copy.deepcopy(raw())
    data["clauses"]["5.7.4"]["narrative"] = "见[[KPI:客户端PPM]]"
    code, _, err = cli("validate", write_yaml(tmp_path / "引用.yaml", data))
    assert code == 1 and "clauses/5.7.4/narrative" in err and "客户端PPM" in err


# --- the reports' 自评报告撰写情况 section ------------------------------------------------------


def test_the_html_report_section_lists_counts_limits_and_sub_points(tmp_path):
    from support.documents import card_of
    from qkit import sections

    card = card_of(HUAKE)
    html = sections.writing(card)._repr_html_()
    assert "自评报告撰写情况" in html and "limits.yaml" in html
    assert "<td class=\"qk-text\">5.7.3 产品和服务质量</td>" in html and "c）质量深化" in html
    assert html.count("qk-total") == 1 + len(card.rubric.items)  # each item and the whole report
    assert "约 1,500（参考）" in html and "图 5 幅" in html  # guidance, and what the figures count for
    limits = write_yaml(tmp_path / "紧.yaml", {"default": {"report": 10000}})
    tight = sections.writing(card, "en", str(limits))._repr_html_()
    assert "紧.yaml" in tight and "(over)" in tight and "Writing the self-assessment report" in tight
    plain = card_of(SAMPLES / "hubei-service-jiangcheng.yaml")
    assert sections.writing(plain)._repr_html_() == ""  # no narrative, no section
