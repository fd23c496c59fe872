"""Year over year: two assessments of one standard compared, in the core, the CLI, the charts and the report."""

from __future__ import annotations

import copy
import html
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
import yaml

from support.documents import full_document, SAMPLES, write_yaml
from qkit import QkitError, charts, from_data, load_rubric, score, sections
from qkit.compare import compare, compare_files, signed
from qkit.options import ReportOptions
from qkit.report import TEMPLATE, Reporter

MANUFACTURING = load_rubric("hubei-manufacturing")
INDIVIDUAL = load_rubric("wuhan-individual")


def documents(rubric=MANUFACTURING, score_: int = 60) -> tuple[dict, dict]:
    """An earlier and a later document, every clause at ``score_``, assessed a year apart."""
    old = full_document(rubric, score_)
    old["applicant"]["short_name"] = "测试"
    new = copy.deepcopy(old)
    old["assessment"] = {"date": "2025-04-10"}
    new["assessment"] = {"date": "2026-04-16"}
    return old, new


def worked_pair() -> tuple[dict, dict]:
    """The worked case: clause 5.3.3 (40 points) goes from 45 % to 55 %."""
    old, new = documents()
    old["clauses"]["5.3.3"]["score"] = 45
    new["clauses"]["5.3.3"]["score"] = 55
    return old, new


def comparison_of(old: dict, new: dict, rubric=MANUFACTURING):
    return compare(score(from_data(old), rubric), score(from_data(new), rubric))


def write_pair(folder: Path, old: dict, new: dict) -> tuple[Path, Path]:
    return write_yaml(folder / "2025.yaml", old), write_yaml(folder / "2026.yaml", new)


# --- the numbers -----------------------------------------------------------------------


def test_the_worked_case():
    comp = comparison_of(*worked_pair())
    (clause,) = [c for c in comp.clauses if c.id == "5.3.3"]
    assert clause.points == 40
    assert (clause.old, clause.new, clause.delta_percent, clause.delta_points) == (45, 55, 10, 4)
    assert (clause.old_band.key, clause.new_band.key, clause.band_changed) == ("30-45", "50-65", True)
    assert comp.band_changes == [clause]
    assert [c.id for c in comp.movers()] == ["5.3.3"]
    (item,) = [i for i in comp.items if i.id == "5.3"]
    assert item.delta_points == 4 and item.delta_percent == pytest.approx(400 / 170)
    assert all(i.delta_points == 0 for i in comp.items if i.id != "5.3")
    assert (comp.total.old, comp.total.new, comp.total.delta) == (594, 598, 4)
    assert comp.total.delta_percent == pytest.approx(0.4)
    unchanged = [c for c in comp.clauses if c.id != "5.3.3"]
    assert all(c.delta_points == 0 and not c.band_changed for c in unchanged)


def test_a_results_clause_is_placed_in_the_results_table():
    old, new = documents()
    old["clauses"]["5.2.4"]["score"], new["clauses"]["5.2.4"]["score"] = 65, 70
    (clause,) = [c for c in comparison_of(old, new).clauses if c.id == "5.2.4"]
    results = MANUFACTURING.guidelines.results
    assert clause.old_band == results.band("50-65") and clause.new_band == results.band("70-85")
    assert clause.delta_points == 4  # 5 percentage points of 80


def test_an_unscored_clause_has_no_change_and_neither_have_its_item_and_the_total():
    old, new = worked_pair()
    old["clauses"]["5.2.2"]["score"] = None
    comp = comparison_of(old, new)
    (clause,) = [c for c in comp.clauses if c.id == "5.2.2"]
    assert (clause.old, clause.new, clause.delta_points, clause.delta_percent) == (None, 60, None, None)
    assert clause.old_band is None and not clause.band_changed
    assert comp.unscored == [clause]
    (item,) = [i for i in comp.items if i.id == "5.2"]
    assert not item.complete and item.delta_points is None and item.delta_percent is None
    assert not comp.total.complete and comp.total.delta is None
    assert [c.id for c in comp.movers()] == ["5.3.3"]  # the unscored clause is not a mover


def test_individual_award_bands_may_be_below_the_lowest_described():
    old, new = documents(INDIVIDUAL)
    old["clauses"]["2.1"]["score"], new["clauses"]["2.1"]["score"] = 20, 40
    (clause,) = [c for c in comparison_of(old, new, INDIVIDUAL).clauses if c.id == "2.1"]
    assert clause.old_band is None and clause.new_band.key == "30-45"
    assert clause.delta_points == 6  # 20 percentage points of 30
    assert clause.band_changed
    assert clause.to_dict()["old_band"] is None


def test_the_rubrics_place_a_clause_score_in_their_own_tables():
    process, results = MANUFACTURING.clause("5.3.3"), MANUFACTURING.clause("5.3.4")
    assert MANUFACTURING.clause_band(process, 45) == MANUFACTURING.guidelines.process.band("30-45")
    assert MANUFACTURING.clause_band(results, 45) == MANUFACTURING.guidelines.results.band("30-45")
    assert MANUFACTURING.clause_band(process, None) is None
    indicator = INDIVIDUAL.clause("1.1")
    assert INDIVIDUAL.clause_band(indicator, 95).key == "90-100"
    assert INDIVIDUAL.clause_band(indicator, 25) is None


def test_different_rubrics_are_refused():
    old = score(from_data(full_document(INDIVIDUAL, 50)), INDIVIDUAL)
    new = score(from_data(full_document(MANUFACTURING, 50)), MANUFACTURING)
    with pytest.raises(QkitError) as caught:
        compare(old, new)
    text = caught.value.render("zh")
    assert "评定标准不同" in text and "wuhan-individual" in text and "hubei-manufacturing" in text
    assert "different standards" in caught.value.render("en")


def test_ofis_gone_and_new_match_after_stripping_whitespace():
    old, new = documents()
    old["clauses"]["5.2.2"]["ofis"] = ["  文化评价以问卷为主 ", "继任者计划不完整"]
    new["clauses"]["5.2.2"]["ofis"] = ["文化评价以问卷为主", "风险管理在分厂的展开落后"]
    new["clauses"]["5.4.2"]["ofis"] = ["新的改进机会"]
    old["clauses"]["5.5.2"]["ofis"] = ["已经解决的问题"]
    comp = comparison_of(old, new)
    changes = {o.clause: o for o in comp.ofis}
    assert list(changes) == ["5.2.2", "5.4.2", "5.5.2"]
    assert changes["5.2.2"].gone == ("继任者计划不完整",) and changes["5.2.2"].added == ("风险管理在分厂的展开落后",)
    assert changes["5.2.2"].kept == 1
    assert changes["5.4.2"].gone == () and changes["5.4.2"].added == ("新的改进机会",)
    assert changes["5.5.2"].gone == ("已经解决的问题",) and changes["5.5.2"].added == ()


def kpi(name: str, values: dict, **more) -> dict:
    return {"clause": "5.2.4", "name": name, "unit": "亿元", "values": values, **more}


def test_kpi_series_are_joined_over_the_years():
    old, new = documents()
    old["results"] = [kpi("营业收入", {2021: 38.2, 2022: 41.5, 2023: 45.0, 2024: 48.0},
                          comparisons={"行业标杆": {2023: 50, 2024: 52}}),
                      kpi("纳税总额", {2023: 1.9, 2024: 2.1})]
    new["results"] = [kpi("营业收入 ", {2023: 45.0, 2024: 48.9, 2025: 51.3}, target=50,
                          comparisons={"行业标杆": {2024: 52, 2025: 55}}),
                      kpi("利润总额", {2024: 3.9, 2025: 4.4})]
    comp = comparison_of(old, new)
    joins = {(j.kpi.name.strip(), j.found): j for j in comp.kpis}
    assert list(joins) == [("营业收入", "both"), ("利润总额", "new"), ("纳税总额", "old")]
    revenue = joins[("营业收入", "both")]
    assert revenue.kpi.values == {2021: 38.2, 2022: 41.5, 2023: 45.0, 2024: 48.9, 2025: 51.3}  # the newer wins
    assert revenue.kpi.comparisons == {"行业标杆": {2023: 50, 2024: 52, 2025: 55}}
    assert revenue.kpi.target == 50
    assert [(r.series, r.year, r.old, r.new) for r in revenue.revised] == [(None, 2024, 48.0, 48.9)]
    assert joins[("纳税总额", "old")].kpi.values == {2023: 1.9, 2024: 2.1}
    data = comp.to_dict()["kpis"][0]
    assert data["values"] == {"2021": 38.2, "2022": 41.5, "2023": 45.0, "2024": 48.9, "2025": 51.3}
    assert data["revised"] == [{"series": None, "year": 2024, "old": 48.0, "new": 48.9}]


def test_signed_changes():
    assert [signed(v) for v in (4, 4.0, -2.5, 0, 0.001, None)] == ["+4", "+4", "-2.5", "0", "0", "—"]


# --- qkit compare ---------------------------------------------------------------------


def test_compare_command_json(cli, tmp_path):
    old, new = write_pair(tmp_path, *worked_pair())
    code, out, err = cli("compare", old, new, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["rubric"] == "hubei-manufacturing"
    assert data["total"]["old"] == 594 and data["total"]["new"] == 598 and data["total"]["delta"] == 4
    clause = next(c for c in data["clauses"] if c["id"] == "5.3.3")
    assert {k: clause[k] for k in ("id", "old", "new", "delta_points", "old_band", "new_band")} == {
        "id": "5.3.3", "old": 45, "new": 55, "delta_points": 4, "old_band": "30-45", "new_band": "50-65"}
    assert len(data["clauses"]) == len(MANUFACTURING.clauses)
    assert {c["id"] for c in data["clauses"] if c["delta_points"]} == {"5.3.3"}
    assert [i["id"] for i in data["items"]] == [i.id for i in MANUFACTURING.items]
    assert data["movers"] == ["5.3.3"]
    assert data["old"]["date"] == "2025-04-10" and data["new"]["date"] == "2026-04-16"
    assert data["ofis"] == [] and data["kpis"] == []


def test_compare_command_table(cli, tmp_path):
    old_data, new_data = worked_pair()
    old_data["clauses"]["5.2.2"]["score"] = None
    old_data["clauses"]["5.2.3"]["ofis"] = ["已经解决的问题"]
    new_data["clauses"]["5.2.3"]["ofis"] = ["新的改进机会"]
    old, new = write_pair(tmp_path, old_data, new_data)
    code, out, err = cli("compare", old, new)
    assert code == 0, err
    assert "5.3.3" in out and "45%" in out and "55%" in out and "+10" in out and "+4" in out
    assert "30%–45%" in out and "50%–65%" in out
    assert "未评分" in out and "5.2.2" in out
    assert "有未评分的条款，不计算变化" in out  # the total is not compared when a side is partial
    assert "5.3.3 战略实施：45% → 55%（+4 分）" in out
    assert "已经解决的问题" in out and "新的改进机会" in out
    assert "上期：测试 · 2025年4月10日；本期：测试 · 2026年4月16日" in out


def test_compare_command_in_english(cli, tmp_path):
    old, new = write_pair(tmp_path, *worked_pair())
    code, out, err = cli("compare", old, new, "--lang", "en")
    assert code == 0, err
    assert "total: 594 → 598 of 1000 (+4 points, +0.4 pp)" in out
    assert "previous: 测试 · 2025-04-10; current: 测试 · 2026-04-16" in out
    assert "5.3.3 Strategy implementation: 45% → 55% (+4 points)" in out
    code, out, _ = cli("compare", old, new, "--json", "--lang", "en")
    assert next(c for c in json.loads(out)["clauses"] if c["id"] == "5.3.3")["title"] == "Strategy implementation"


def test_compare_command_refuses_different_rubrics(cli, tmp_path):
    old = write_yaml(tmp_path / "a.yaml", full_document(INDIVIDUAL, 50))
    new = write_yaml(tmp_path / "b.yaml", full_document(MANUFACTURING, 50))
    code, out, err = cli("compare", old, new)
    assert code == 1 and out == ""
    assert "评定标准不同" in err and "上期为 wuhan-individual" in err and "本期为 hubei-manufacturing" in err
    assert "Traceback" not in err
    code, out, err = cli("compare", old, new, "--lang", "en")
    assert code == 1 and "the previous one wuhan-individual, the current one hubei-manufacturing" in err


def test_compare_command_names_the_file_of_each_problem(cli, tmp_path):
    old_data, new_data = worked_pair()
    old_data["clauses"]["5.3.3"]["score"] = 33
    new_data["clauses"]["5.2.2"]["score"] = 101
    old, new = write_pair(tmp_path, old_data, new_data)
    code, out, err = cli("compare", old, new)
    assert code == 1 and "Traceback" not in err
    assert f"{old}: clauses/5.3.3/score" in err and f"{new}: clauses/5.2.2/score" in err
    code, out, err = cli("compare", tmp_path / "nope.yaml", new)
    assert code == 1 and "nope.yaml：文件不存在" in err


def test_compare_files_reads_the_samples(tmp_path):
    sample = SAMPLES / "hubei-manufacturing-huake.yaml"
    comp = compare_files(sample, sample)
    assert comp.total.delta == 0 and not comp.movers() and not comp.ofis
    assert all(j.found == "both" and not j.revised for j in comp.kpis)


# --- charts and the report section ------------------------------------------------------


def draw(fig):
    """Render with every warning an error: a missing glyph must fail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    return fig


def test_item_change_bars():
    old, new = worked_pair()
    old["clauses"]["5.4.2"]["score"] = 80
    old["clauses"]["5.2.2"]["score"] = None
    comp = comparison_of(old, new)
    for lang in ("zh", "en"):
        ax = draw(charts.item_changes(comp, lang)).axes[0]
        (bars,) = ax.containers
        by_item = dict(zip([i.id for i in comp.items], bars))
        assert by_item["5.3"].get_width() == pytest.approx(400 / 170)
        assert by_item["5.4"].get_width() == pytest.approx(-1000 / 170)
        assert by_item["5.2"].get_width() == 0  # partly unscored: no bar
        green, red = by_item["5.3"].get_facecolor(), by_item["5.4"].get_facecolor()
        assert green[1] > green[0] and red[0] > red[1]
        texts = [t.get_text() for t in ax.texts]
        assert "+2.4（+4 分）" in texts if lang == "zh" else "+2.4 (+4 points)" in texts
        assert any(t.startswith("-5.9") for t in texts)
        assert any(t in ("有未评分条款，不比较", "partly unscored, not compared") for t in texts)
        assert [t.get_text() for t in ax.get_yticklabels()][0].startswith("5.2 ")


def test_radar_of_two_years_names_each_polygon_by_its_date():
    comp = comparison_of(*worked_pair())
    ax = draw(charts.item_radar(comp.new, "zh", compare=comp.old)).axes[0]
    polygons = [line for line in ax.lines if line.get_gid() == "polygon"]
    assert len(polygons) == 2
    assert [line.get_label() for line in polygons] == ["测试 · 2026年4月16日", "测试 · 2025年4月10日"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["测试 · 2026年4月16日", "测试 · 2025年4月10日"]
    old, new = worked_pair()
    del old["assessment"], new["assessment"]  # no dates: which is which is still said
    comp = comparison_of(old, new)
    ax = draw(charts.item_radar(comp.new, "en", compare=comp.old)).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["测试 (current)", "测试 (previous)"]


def test_the_report_section(tmp_path):
    old_data, new_data = worked_pair()
    old_data["clauses"]["5.2.3"]["ofis"] = ["<b>已经解决</b>"]
    old_data["results"] = [kpi("营业收入", {2024: 48.0})]
    new_data["results"] = [kpi("营业收入", {2024: 48.9, 2025: 51.3})]
    old, new = write_pair(tmp_path, old_data, new_data)
    card = sections.load_scorecard(new)
    parts = sections.comparison(card, old, "zh")
    intro, radar, bars, details = parts
    assert "与上期比较" in intro.html and "总分：594 → 598 / 1000（+4 分，+0.4 个百分点）" in intro.html
    assert radar.html.count('class="qk-radar-polygon"') == radar.html.count('class="qk-radar-compared"') == 1
    assert "测试 · 2026年4月16日" in radar.html and "测试 · 2025年4月10日" in radar.html  # the legend
    draw(bars)
    page = details.html
    assert 'class="qk-table qk-clause-changes"' in page
    row = re.search(r"<tr>\s*<td[^>]*>5\.3\.3</td>(.*?)</tr>", page, re.S).group(1)
    cells = [html.unescape(re.sub(r"\s+", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["战略实施", "40", "45%", "55%", "+10", "+4", "30%–45%", "50%–65%"]
    assert "&lt;b&gt;已经解决&lt;/b&gt;" in page  # typed text stays text
    assert "5.2.4 营业收入（2024 年）：48 → 48.9" in page
    english = sections.comparison(card, old, "en")
    assert "Compared with the previous assessment" in english[0].html and "± % points" in english[3].html


def test_the_report_section_refuses_a_previous_document_of_another_standard(tmp_path):
    new = write_yaml(tmp_path / "new.yaml", full_document(MANUFACTURING, 50))
    old = write_yaml(tmp_path / "old.yaml", full_document(INDIVIDUAL, 50))
    with pytest.raises(QkitError, match="different standards"):
        sections.comparison(sections.load_scorecard(new), old)


# --- the report with --previous (kernels) -----------------------------------------------


@pytest.fixture(scope="module")
def sample_pair(tmp_path_factory) -> tuple[Path, Path]:
    """The manufacturing sample and an earlier assessment of it: lower scores, other OFIs, a revised KPI."""
    folder = tmp_path_factory.mktemp("years")
    new = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))
    old = copy.deepcopy(new)
    old["assessment"]["date"] = "2025-04-15"
    old["clauses"]["5.3.3"]["score"] = 45
    new["clauses"]["5.3.3"]["score"] = 55
    old["clauses"]["5.2.2"]["ofis"] = ["上一年的改进机会"]
    year = max(old["results"][0]["values"])
    old["results"][0]["values"][year] -= 1
    return write_yaml(folder / "华科-2025.yaml", old), write_yaml(folder / "华科-2026.yaml", new)


def shown_html(nb) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))


def pngs(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))


@pytest.mark.slow
def test_report_with_previous(cli, sample_pair, tmp_path):
    old, new = sample_pair
    code, out, err = cli("report", new, "--previous", old, "-o", tmp_path, "--no-pdf")
    assert code == 0, err
    page = (tmp_path / f"{new.stem}.html").read_text(encoding="utf-8")
    text = html.unescape(page)
    assert "与上期比较" in text and "上期：华科精密 · 2025年4月15日；本期：华科精密 · 2026年4月16日" in text
    assert 'class="qk-table qk-clause-changes"' in page
    assert "上一年的改进机会" in text
    nb = nbformat.read(tmp_path / f"{new.stem}.ipynb", as_version=4)
    kpis = len(yaml.safe_load(new.read_text(encoding="utf-8"))["results"])
    assert pngs(nb) == 2 + 1  # the usual charts and the item changes
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == 2 + 1
    assert page.count('<figure class="qk-radar">') == 2 and page.count('class="qk-radar-compared"') == 1  # both years
    assert page.count('<figure class="qk-trend">') == kpis  # and each KPI's trend, drawn as SVG
    streams = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type in ("stream", "error")]
    assert streams == []  # no missing-glyph warning
    # the section comes after the item charts and before the strengths and OFIs
    assert text.index("与上期比较") > text.index("各条目得分") and text.index("与上期比较") < text.index("优势与改进机会")


@pytest.mark.slow
def test_report_refuses_a_previous_document_that_is_invalid_or_of_another_standard(sample_pair, tmp_path):
    old, new = sample_pair
    other = write_yaml(tmp_path / "other.yaml", full_document(INDIVIDUAL, 50))
    bad = write_yaml(tmp_path / "bad.yaml", {**full_document(MANUFACTURING, 50), "clauses": {"5.2.2": {"score": 33}}})
    with Reporter(ReportOptions(pdf=False)) as reporter:
        with pytest.raises(QkitError) as caught:
            reporter.run(new, tmp_path / "out", previous=other)
        assert "上期为 wuhan-individual，本期为 hubei-manufacturing" in caught.value.render()
        assert not (tmp_path / "out" / f"{new.stem}.html").exists()
        with pytest.raises(QkitError) as caught:
            reporter.run(new, tmp_path / "out", previous=bad)
        assert f"{bad}: clauses/5.2.2/score" in caught.value.render()
        files = reporter.run(new, tmp_path / "out")  # without previous: no section
        assert "与上期比较" not in files.html.read_text(encoding="utf-8")


@pytest.mark.slow
def test_papermill_with_previous(sample_pair, tmp_path):
    old, new = sample_pair
    papermill = Path(sys.executable).parent / "papermill"
    proc = subprocess.run([str(papermill), "--no-progress-bar", str(TEMPLATE), "out.ipynb", "-p", "assessment",
                           str(new), "-p", "previous", str(old), "-p", "lang", "en"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    shown = html.unescape(shown_html(nb))
    assert "Compared with the previous assessment" in shown
    assert "previous: 华科精密 · 2025-04-15; current: 华科精密 · 2026-04-16" in shown
    assert 'class="qk-table qk-clause-changes"' in shown_html(nb)
