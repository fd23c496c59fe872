"""Bad input gets a clear message naming the field and what is allowed; never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from support.documents import full_document, write_yaml
from qkit import QkitError, check, load, load_rubric


@pytest.fixture
def doc():
    return full_document(load_rubric("hubei-manufacturing"), 50)


def problems_of(data):
    _, problems = check(data)
    return [(p.field, p.code) for p in problems]


@pytest.mark.parametrize("value", [33, 120, -5, "high", 52.5, True])
def test_invalid_scores_name_the_clause_and_the_rule(doc, cli, tmp_path, value):
    doc["clauses"]["5.3.3"]["score"] = value
    code, out, err = cli("validate", write_yaml(tmp_path / "a.yaml", doc))
    assert code == 1
    assert "clauses/5.3.3/score" in err
    assert "5 的倍数" in err and str(value) in err
    code, _, err = cli("validate", "--lang", "en", tmp_path / "a.yaml")
    assert "multiple of 5 from 0 to 100" in err


def test_every_problem_is_listed_in_one_pass(doc):
    doc["clauses"]["5.2.2"]["score"] = 33
    doc["clauses"]["5.9.9"] = {"score": 50}
    doc["clauses"]["5.4.4"]["factors"] = {"Le": "high", "X": "50-65"}
    doc["results"] = [{"clause": "5.4.4", "name": "顾客满意度", "values": {}}]
    assert sorted(problems_of(doc)) == sorted([
        ("clauses/5.2.2/score", "score_step"),
        ("clauses/5.9.9", "unknown_clause"),
        ("clauses/5.4.4/factors/Le", "factor_band"),
        ("clauses/5.4.4/factors/X", "unknown_factor"),
        ("results/1/values", "kpi_no_values"),
    ])


def test_unknown_clause_lists_the_allowed_ids(doc, cli, tmp_path):
    doc["clauses"]["5.8.2"] = {"score": 50}
    code, _, err = cli("validate", write_yaml(tmp_path / "a.yaml", doc))
    assert code == 1 and "clauses/5.8.2" in err and "5.2.2、5.2.3" in err


def test_unknown_rubric_lists_the_rubrics(doc, cli, tmp_path):
    doc["rubric"] = "hubei-mining"
    code, _, err = cli("validate", write_yaml(tmp_path / "a.yaml", doc))
    assert code == 1 and "rubric" in err and "hubei-mining" in err and "wuhan-individual" in err


def test_wrong_types(doc, cli, tmp_path):
    doc["clauses"]["5.2.2"]["strengths"] = "只写了一句话"
    doc["applicant"]["employees"] = "很多"
    doc["results"] = {"name": "not a list"}
    code, _, err = cli("validate", write_yaml(tmp_path / "a.yaml", doc))
    assert code == 1
    assert "clauses/5.2.2/strengths：应为列表" in err
    assert "applicant/employees：应为整数" in err
    assert "results：应为列表" in err


def test_kpi_without_values_and_with_bad_years(doc):
    doc["results"] = [
        {"clause": "5.2.4", "name": "营业收入", "unit": "亿元"},
        {"clause": "5.2.4", "name": "利润", "values": {"去年": 3.1, 2024: "高"}},
        {"clause": "5.2.2", "name": "过程指标", "values": {2024: 1}, "better": "more"},
    ]
    assert sorted(problems_of(doc)) == sorted([
        ("results/1/values", "kpi_no_values"),
        ("results/2/values/去年", "year"),
        ("results/2/values/2024", "not_number"),
        ("results/3/clause", "results_clause"),
        ("results/3/better", "better"),
    ])


def test_missing_applicant_name_and_unknown_top_level_field(doc):
    doc["applicant"] = {"industry": "制造"}
    doc["colour"] = "blue"
    assert sorted(problems_of(doc)) == [("applicant/name", "required"), ("colour", "unknown_field")]


@pytest.mark.parametrize("content, expected", [
    (b"rubric: [unclosed\n", "YAML 格式错误"),
    (b"", "文件为空"),
    (b"   \n\n", "文件为空"),
    ("rubric: hubei-manufacturing\napplicant: {name: 华科}\n".encode("gbk"), "UTF-8"),
    (b"- just\n- a list\n", "映射"),
])
def test_unreadable_files(tmp_path, cli, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    code, _, err = cli("validate", path)
    assert code == 1 and expected in err and "Traceback" not in err


def test_yaml_error_names_the_line(tmp_path, cli):
    path = tmp_path / "bad.yaml"
    path.write_text("rubric: hubei-service\napplicant:\n  name: 江城\n clauses: {\n", encoding="utf-8")
    code, _, err = cli("validate", path)
    assert code == 1 and "第 4 行" in err


def test_missing_file(tmp_path, cli):
    code, _, err = cli("score", tmp_path / "nowhere.yaml")
    assert code == 1 and "文件不存在" in err and "nowhere.yaml" in err


def test_the_installed_command_never_shows_a_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    for args in (["validate", path], ["score", path], ["rubrics", "show", "nope"], ["new", "--rubric", "x", "-o", path]):
        proc = subprocess.run([sys.executable, "-m", "qkit", *map(str, args)], capture_output=True, text=True)
        assert proc.returncode == 1, args
        assert "Traceback" not in proc.stderr and proc.stderr.strip(), args


def test_factor_bands_accept_common_spellings(doc):
    doc["clauses"]["5.2.2"]["factors"] = {"A": "50%-65%", "D": "50–65", "L": "30-45", "I": "50 - 65"}
    loaded, problems = check(doc)
    assert not problems
    assert loaded.clauses["5.2.2"].factors == {"A": "50-65", "D": "50-65", "L": "30-45", "I": "50-65"}


def test_a_document_round_trips_through_yaml(tmp_path, doc):
    doc["results"] = [{"clause": "5.2.4", "name": "营业收入", "unit": "亿元", "better": "higher", "target": 50,
                       "values": {2023: 40.0, 2024: 45.5}, "comparisons": {"行业标杆": {2024: 60.0}}}]
    doc["assessment"] = {"date": "2026-10-15", "assessors": ["李娜"]}
    first = load(write_yaml(tmp_path / "a.yaml", doc))
    (tmp_path / "b.yaml").write_text(first.to_yaml(), encoding="utf-8")
    assert load(tmp_path / "b.yaml") == first


def test_load_raises_with_all_problems(tmp_path, doc):
    doc["clauses"]["5.2.2"]["score"] = 33
    doc["clauses"]["5.2.3"]["score"] = 120
    with pytest.raises(QkitError) as err:
        load(write_yaml(tmp_path / "a.yaml", doc))
    assert len(err.value.problems) == 2
