"""Independent assessment and consensus, feedback-quality checks and key themes."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from support.documents import SAMPLES, write_yaml
from qkit import check, from_data, load, load_rubric, score
from qkit.consensus import compare_assessors
from qkit.lint import Rules, lint
from qkit.resources import FEEDBACK_RULES

SAMPLE = yaml.safe_load((SAMPLES / "hubei-service-jiangcheng.yaml").read_text(encoding="utf-8"))
RUBRIC = load_rubric(SAMPLE["rubric"])


def assessor(name: str, scores: dict[str, int | None], extra: dict | None = None) -> dict:
    """The sample as one assessor's independent assessment, with some clause scores changed."""
    data = copy.deepcopy(SAMPLE)
    data["assessment"]["assessors"] = [name]
    for cid, value in scores.items():
        data["clauses"][cid]["score"] = value
    for cid, fields in (extra or {}).items():
        data["clauses"][cid].update(fields)
    return data


def three(tmp_path):
    docs = {
        "张三": assessor("张三", {"5.2.2": 55, "5.3.2": 40, "5.4.2": 50}, {"5.2.2": {"ofis": ["甲的改进机会：未覆盖外包人员"]}}),
        "李四": assessor("李四", {"5.2.2": 55, "5.3.2": 60, "5.4.2": 45}, {"5.2.2": {"ofis": ["甲的改进机会：未覆盖外包人员"]}}),
        "王五": assessor("王五", {"5.2.2": 60, "5.3.2": 50, "5.4.2": None}),
    }
    return {name: write_yaml(tmp_path / f"{name}.yaml", data) for name, data in docs.items()}


def test_the_table_flags_wide_spreads_different_bands_and_gaps_widest_first(tmp_path, cli):
    files = three(tmp_path)
    code, out, err = cli("consensus", *files.values(), "--json")
    assert code == 0, err
    table = json.loads(out)
    clauses = {c["id"]: c for c in table["clauses"]}
    assert clauses["5.3.2"]["scores"] == {"张三": 40, "李四": 60, "王五": 50}
    assert clauses["5.3.2"]["range"] == 20 and clauses["5.3.2"]["flagged"]
    assert set(clauses["5.3.2"]["reasons"]) == {"spread", "bands"}
    assert clauses["5.2.2"]["range"] == 5 and not clauses["5.2.2"]["flagged"]  # 55, 55, 60: one band
    assert clauses["5.4.2"]["reasons"] == ["bands", "unscored"]  # 50 and 45 in two bands, 王五 left it
    assert table["clauses"][0]["id"] == "5.3.2"  # the widest spread first
    assert table["assessors"]["李四"]["mean_deviation"] > 0 > table["assessors"]["张三"]["mean_deviation"]
    code, out, _ = cli("consensus", *files.values(), "--json", "--spread", "25")
    assert set(json.loads(out)["clauses"][0]["reasons"]) == {"bands"}  # 20 points is no longer a spread


def test_the_consensus_document_validates_keeps_who_scored_what_and_proposes_medians(tmp_path, cli):
    files = three(tmp_path)
    before = {name: path.read_bytes() for name, path in files.items()}
    target = tmp_path / "共识.yaml"
    code, out, err = cli("consensus", *files.values(), "-o", target)
    assert code == 0, err
    assert "5.3.2" in out and "需要讨论" in out
    assert {name: path.read_bytes() for name, path in files.items()} == before  # the inputs are never changed
    assert cli("validate", target)[0] == 0
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    c222 = data["clauses"]["5.2.2"]
    assert (c222["score"], c222["proposed"], c222["independent"]) == (55, True, {"张三": 55, "李四": 55, "王五": 60})
    assert "score" not in data["clauses"]["5.3.2"] and data["clauses"]["5.3.2"]["independent"]["李四"] == 60
    assert data["assessment"]["assessors"] == ["张三", "李四", "王五"]
    ofis = c222["ofis"]
    shared = [o for o in ofis if isinstance(o, dict) and o["text"] == "甲的改进机会：未覆盖外包人员"]
    assert len(shared) == 1 and shared[0]["by"] == ["张三", "李四"]  # an exact duplicate kept once, with both authors
    card = score(load(target), RUBRIC)
    assert card.clauses[0].proposed and "5.3.2" in card.missing
    code, _, _ = cli("report", target, "-o", tmp_path / "out", "--no-pdf")
    assert code == 0 and (tmp_path / "out" / "共识.html").is_file()


def test_median_rounds_to_the_5_percent_step_halves_upward():
    docs = [from_data(assessor(n, {"5.2.2": s})) for n, s in (("甲", 50), ("乙", 55), ("丙", 55), ("丁", 60))]
    table = compare_assessors(docs, RUBRIC, ["a", "b", "c", "d"])
    assert next(c for c in table.clauses if c.id == "5.2.2").proposal == 55
    docs = [from_data(assessor(n, {"5.2.2": s})) for n, s in (("甲", 50), ("乙", 55))]
    assert next(c for c in compare_assessors(docs, RUBRIC, ["a", "b"]).clauses if c.id == "5.2.2").proposal == 55


def test_documents_of_different_standards_applicants_or_without_one_assessor_are_refused(tmp_path, cli):
    files = three(tmp_path)
    other = copy.deepcopy(SAMPLE)
    other["applicant"]["name"] = "另一家公司"
    other["assessment"]["assessors"] = ["赵六"]
    code, _, err = cli("consensus", files["张三"], write_yaml(tmp_path / "other.yaml", other))
    assert code == 1 and "申报单位" in err and "另一家公司" in err and "Traceback" not in err
    medical = yaml.safe_load((SAMPLES / "hubei-medical-jingchu.yaml").read_text(encoding="utf-8"))
    medical["applicant"]["name"] = SAMPLE["applicant"]["name"]
    medical["assessment"]["assessors"] = ["赵六"]
    code, _, err = cli("consensus", files["张三"], write_yaml(tmp_path / "medical.yaml", medical))
    assert code == 1 and "评定标准" in err and "hubei-medical" in err
    two = assessor("张三", {})
    two["assessment"]["assessors"] = ["张三", "李四"]
    code, _, err = cli("consensus", files["张三"], write_yaml(tmp_path / "two.yaml", two))
    assert code == 1 and "一位评审员" in err
    code, _, err = cli("consensus", files["张三"], files["张三"])
    assert code == 1 and "同一评审员" in err
    code, _, err = cli("consensus", *files.values(), "-o", files["王五"])
    assert code == 1 and "不能覆盖" in err


def test_a_consensus_score_outside_the_independent_range_must_be_justified(tmp_path, cli):
    files = three(tmp_path)
    target = tmp_path / "共识.yaml"
    cli("consensus", *files.values(), "-o", target)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["clauses"]["5.3.2"]["score"] = 70  # the assessors gave 40 to 60
    write_yaml(target, data)
    code, out, _ = cli("score", target)
    assert "共识得分不在评审员独立评分的范围（40%–60%）内" in out
    data["clauses"]["5.3.2"]["notes"] = "现场评审核实了新的证据"
    write_yaml(target, data)
    code, out, _ = cli("score", target)
    assert "（已说明理由）" in out


# --- feedback quality -----------------------------------------------------------------

EXAMPLES = {
    "prescriptive": ("ofis", "建议公司建立覆盖外包人员的质量文化培训机制，以提升末端服务"),
    "judgement": ("ofis", "供应商管理的做法较好，但对承运商的评价仍显不足，需要加强"),
    "no_figure": ("strengths", "客户满意度持续提升并领先于行业平均水平，趋势良好且稳定"),
    "too_short": ("strengths", "领导重视"),
    "too_long": ("strengths", "高层领导" + "定期组织战略研讨并推动执行，" * 12),
}


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_lint_catches_each_pattern(code):
    kind, text = EXAMPLES[code]
    data = copy.deepcopy(SAMPLE)
    clause = "5.4.4" if code == "no_figure" else "5.2.2"
    data["clauses"][clause][kind] = [text]
    warnings = lint(from_data(data), RUBRIC)
    assert any(w.code == code and w.clause == clause and w.kind == kind and w.number == 1 for w in warnings)
    data["clauses"][clause][kind] = ["2025年顾客满意度为86.9分，比2023年提高3.2分，高于行业平均84.5分"]
    assert not [w for w in lint(from_data(data), RUBRIC) if w.clause == clause and w.kind == kind]


def test_lint_counts_and_evidence_and_exits_0(tmp_path, cli):
    data = copy.deepcopy(SAMPLE)
    data["clauses"]["5.2.2"]["evidence"] = []
    data["clauses"]["5.2.3"]["strengths"] = [f"2024年完成第{i}项制度修订，覆盖全部子公司" for i in range(8)]
    codes = {(w.clause, w.code) for w in lint(from_data(data), RUBRIC)}
    assert ("5.2.2", "no_evidence") in codes and ("5.2.3", "count_high") in codes
    path = write_yaml(tmp_path / "doc.yaml", data)
    code, out, _ = cli("validate", path, "--lint")
    assert code == 0 and "[no_evidence]" in out and "clauses/5.2.3" in out
    code, out, _ = cli("validate", path, "--lint", "--lang", "en")
    assert "comments but no evidence" in out
    code, out, _ = cli("validate", path)
    assert "no_evidence" not in out  # warnings only when asked for


def test_users_edit_the_rules(tmp_path, cli):
    rules = FEEDBACK_RULES.read_text(encoding="utf-8")
    mine = tmp_path / "rules.yaml"
    mine.write_text(rules.replace("length: [15, 150]", "length: [2, 400]"), encoding="utf-8")
    data = copy.deepcopy(SAMPLE)
    data["clauses"]["5.2.2"]["strengths"] = ["领导重视"]
    doc = from_data(data)
    assert any(w.code == "too_short" for w in lint(doc, RUBRIC))
    assert not any(w.code == "too_short" for w in lint(doc, RUBRIC, Rules.load(mine)))
    mine.write_text("prescriptive: [\"(\"]", encoding="utf-8")
    code, _, err = cli("validate", write_yaml(tmp_path / "d.yaml", data), "--lint", "--lint-rules", mine)
    assert code == 1 and "反馈规则文件有误" in err and "Traceback" not in err


# --- key themes ---------------------------------------------------------------------------


def test_key_themes_cite_clauses_that_exist():
    data = copy.deepcopy(SAMPLE)
    data["key_themes"] = {
        "process_strengths": [{"text": "数字化平台贯穿仓储、运输和结算", "clauses": ["5.6.2", "5.7.2"]}],
        "results_ofis": [{"text": "结果缺少对比数据", "clauses": ["5.4.4", "9.9.9"]}],
    }
    _, problems = check(data)
    assert [(p.field, p.code, p.value) for p in problems] == [("key_themes/results_ofis/1/clauses", "unknown_clause",
                                                              "9.9.9")]
    data["key_themes"]["results_ofis"][0]["clauses"] = ["5.4.4"]
    doc = from_data(data)
    assert doc.key_themes["process_strengths"][0].clauses == ["5.6.2", "5.7.2"]
    assert yaml.safe_load(doc.to_yaml())["key_themes"] == data["key_themes"]


# --- the report of a consensus document ----------------------------------------------------


def consensus_card(tmp_path, cli):
    files = three(tmp_path)
    target = tmp_path / "共识.yaml"
    cli("consensus", *files.values(), "-o", target)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["clauses"]["5.3.2"]["score"] = 50  # agreed in the discussion
    data["key_themes"] = {"process_strengths": [{"text": "数字化平台贯穿全流程", "clauses": ["5.6.2"]}],
                          "results_ofis": [{"text": "结果缺少对比数据", "clauses": ["5.4.4", "5.6.4"]}]}
    write_yaml(target, data)
    return target, score(load(target), RUBRIC)


def test_calibration_and_consensus_sections(tmp_path, cli):
    from qkit import sections
    from qkit.consensus import calibration
    from qkit.tables import Edition

    _, card = consensus_card(tmp_path, cli)
    deviations = calibration(card)
    assert deviations["李四"] > 0 > deviations["张三"]  # 60 against the agreed 50 is lenient, 40 severe
    assert sections.consensus(card, "zh") == []  # a consensus document's report goes to the applicant by default
    parts = sections.consensus(card, "zh", Edition("internal"))
    html = parts[0].html
    assert "独立评分与共识" in html and "40%–60%" in html and "偏宽" in html and "偏严" in html
    themes = sections.key_themes(card, "zh").html
    assert "关键要点" in themes and "数字化平台贯穿全流程" in themes and "5.4.4、5.6.4" in themes
    assert sections.consensus(score(from_data(copy.deepcopy(SAMPLE)), RUBRIC), "zh") == []


@pytest.mark.slow
def test_the_report_of_a_consensus_document_shows_themes_first_ranges_and_calibration(tmp_path, cli):
    target, _ = consensus_card(tmp_path, cli)
    code, _, err = cli("report", target, "-o", tmp_path / "out", "--no-pdf", "--audience", "internal")
    assert code == 0, err
    html = (tmp_path / "out" / "共识.html").read_text(encoding="utf-8")
    assert html.index("关键要点") < html.index("总体评价")  # the key themes come first
    assert "独立评分与共识" in html and "评审员校准" in html
    assert html.count("data:image/png") == 3  # the clause bars, the priorities and the assessors' spread
    assert '<figure class="qk-radar">' in html and '<figure class="qk-heatmap">' in html  # drawn as SVG and HTML
